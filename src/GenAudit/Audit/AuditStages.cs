using GenAudit.Application;
using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Stability;
using ScottPlot;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Audit;

/// <summary>The explanation stage's outcome: the evaluation, what was explained, and what was skipped and why.</summary>
/// <param name="Report">The evaluation of every method that ran (the random control included).</param>
/// <param name="Target">The target specification explained, e.g. "class:3".</param>
/// <param name="TargetReason">Why that target was chosen.</param>
/// <param name="Notes">Methods skipped and other caveats, for the report.</param>
/// <param name="Charts">PNG paths (attribution heatmap).</param>
public sealed record ExplanationStage(EvaluationReport Report, string Target, string TargetReason, IReadOnlyList<string> Notes, IReadOnlyList<string> Charts);

/// <summary>The quality stage's outcome: the evaluation of the generator and the real row.</summary>
/// <param name="Evaluation">The generator's quality, coverage and memorisation, with intervals.</param>
/// <param name="Real">Held-out real data measured the same way; null without a held-out split.</param>
/// <param name="NoRealRowReason">Why there is no real row; null when there is one.</param>
public sealed record QualityStage(QualityEvaluation Evaluation, RealRow? Real, string? NoRealRowReason);

/// <summary>
/// The audit's calls into the quality, stability and explanation services, one method per stage: the
/// explanation stage runs <see cref="ExplainRunner.Prepare"/>, the comparison of <c>explain --compare</c>.
/// </summary>
public static class AuditStages
{
    /// <summary>Attribution methods the audit can compare.</summary>
    public static IReadOnlyList<string> KnownMethods { get; } = ["ig", "smoothgrad", "saliency", "kernelshap", "lime"];

    /// <summary>Quality, coverage and memorisation of the generator (<see cref="QualityEvaluation.ToFlatDictionary"/>) and the real row.</summary>
    public static QualityStage Quality(AuditSubject subject, AuditOptions options, IProgress<string>? progress)
    {
        var evaluator = new QualityEvaluator(subject.Extractor, subject.Train, subject.Test, options.QualityOptions);
        var evaluation = evaluator.Evaluate(subject.Generator, progress);
        var real = evaluator.EvaluateRealRow(progress);
        return new QualityStage(evaluation, real, real is null
            ? $"'{subject.Train.Name}' has no held-out split (its test split is the training data), so there is no real row"
            : null);
    }

    /// <summary>The stability audit with the run's training history, and its charts (ε curves, worst-case pairs, dynamics with flags) as PNGs in <paramref name="folder"/>.</summary>
    public static (StabilityReport Report, IReadOnlyList<string> Charts) Stability(AuditSubject subject, AuditOptions options, string folder, IProgress<string>? progress)
    {
        var report = StabilityAudit.Run(subject, options.StabilityOptions, progress);
        return (report, StabilityCharts.Write(report, folder));
    }

    /// <summary>
    /// Compares the attribution methods (plus the random control, scored but never recommended) on latents of generated
    /// samples; a target that barely varies over the latents makes explainability not applicable, with a note. Target:
    /// class:c for labelled images with c the class the generator produces most often; output:0 (x) for 2D
    /// data; disc otherwise. Gradient methods are skipped with a note for non-differentiable (ONNX) runs.
    /// </summary>
    public static ExplanationStage Explanations(AuditSubject subject, AuditOptions options, string folder, IProgress<string>? progress)
    {
        var generator = subject.Generator;
        var (spec, reason) = ChooseTarget(subject, options.Seed);
        var notes = new List<string>();
        var names = new List<string>();
        foreach (var name in options.Methods)
        {
            if (ExplainRunner.GradientMethods.Contains(name) && !generator.IsDifferentiable)
            {
                notes.Add($"{name} skipped: this run's generator is not differentiable (an imported black box), so gradient methods do not apply");
                continue;
            }
            names.Add(name);
        }
        using var comparison = ExplainRunner.Prepare(subject, names, spec, options.ExplainSamples, options.Seed, options.Explanation);
        if (comparison.Randomisation is null) notes.Add("model-randomisation check not run: the generator's layers are not accessible; sanity is reported as not measured");
        progress?.Report($"{string.Join(", ", comparison.Methods.Select(m => m.Name))} on {spec}, n = {options.ExplainSamples}");
        var report = comparison.Evaluate();
        if (report.NotApplicableReason is { } why) notes.Add($"explainability not applicable on {spec}: {why}");
        var heatmap = Path.Combine(folder, "attributions.png");
        AttributionHeatmap(comparison.Methods, comparison.Latents, heatmap, $"|attribution| of {spec} per latent dimension (mean over {options.ExplainSamples} samples, each row scaled to its maximum)");
        return new ExplanationStage(report, spec, reason, notes, [heatmap]);
    }

    /// <summary>
    /// GANSpace directions (PCA of the first hidden activation, as Härkönen et al.; of the output for an imported black box)
    /// and their traversals as one grid (a row per direction); null with a note for 2D data.
    /// </summary>
    public static (string? Png, string Note) Latents(AuditSubject subject, AuditOptions options, string folder)
    {
        var generator = subject.Generator;
        if (subject.Output != OutputKind.Images) return (null, "latent traversals are drawn for image generators only");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor? Condition(long count) => generator.ConditionCount > 0 ? zeros([count], ScalarType.Int64) : null;
        var layer = generator is nn.Module ? GeneratorLayers.Of(generator).DefaultLayer : null;
        using var directions = layer is not null
            ? LatentsRunner.Directions(subject, "ganspace", options.TraversalDirections, 1024, options.Seed, layer)
            : GanSpace.Compute(zb => generator.Generate(zb, Condition(zb.shape[0])), generator.LatentSize,
                new GanSpaceOptions { Samples = 1024, Components = options.TraversalDirections, Seed = options.Seed });
        using var random = new Generator(unchecked((ulong)options.Seed + 29));
        var origin = randn([generator.LatentSize], generator: random); // (d)
        var latents = LatentTraversal.Build(origin, directions.Directions, options.TraversalStrengths); // (K·S, d)
        var images = generator.Generate(latents, Condition(latents.shape[0])).cpu();
        var png = Path.Combine(folder, "latent-traversals.png");
        ImageGrid.Save(images, options.TraversalStrengths.Count, png);
        var ratios = string.Join(", ", directions.ExplainedRatio.Select(r => r.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)));
        var source = layer is not null ? $"the activations of {layer}" : "the output of this imported generator (no intermediate layer to read)";
        return (png, $"GANSpace (Härkönen et al. 2020) on {source}: one row per direction, strongest first (variance shares {ratios}); columns are strengths {string.Join(", ", options.TraversalStrengths)}");
    }

    static (string Spec, string Reason) ChooseTarget(AuditSubject subject, long seed)
    {
        if (subject.Logits is { } logits)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var random = new Generator(unchecked((ulong)seed + 23));
            var z = randn([256, subject.Generator.LatentSize], generator: random);
            var condition = subject.Generator.ConditionCount > 0 ? zeros([256], ScalarType.Int64) : null;
            var predicted = logits(subject.Generator.Generate(z, condition)).argmax(1); // (256,)
            var counts = bincount(predicted, minlength: subject.Classifier!.Classifier.ClassCount).data<long>().ToArray();
            var c = Array.IndexOf(counts, counts.Max());
            return ($"class:{c}", $"the classifier's logit for class {c}, the class the generator produces most often ({counts[c]} of 256 samples)");
        }
        return OutputTargets.For(subject.Output).DefaultWithoutClassifier(subject);
    }

    static void AttributionHeatmap(IReadOnlyList<ExplanationMethod> methods, Tensor z, string path, string title)
    {
        var rows = new List<double[]>();
        foreach (var method in methods)
        {
            using var scope = NewDisposeScope();
            var phi = method.Attribute(z).abs().mean([0]).to(ScalarType.Float64); // (d)
            var values = phi.data<double>().ToArray();
            var max = values.Max();
            rows.Add(values.Select(v => max > 0 ? v / max : 0).ToArray());
        }
        var grid = new double[rows.Count, rows[0].Length];
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < rows[r].Length; c++) grid[rows.Count - 1 - r, c] = rows[r][c];
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray(), methods.Select(m => m.Name).Reverse().ToArray());
        plot.Title(title, size: 11);
        plot.XLabel("latent dimension");
        GenAudit.Core.AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 80 + 40 * rows.Count + 100, ImageFormat.Png));
    }
}
