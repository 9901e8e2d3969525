using GenAudit.Core;
using GenAudit.Rendering;
using ScottPlot;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>The plots of a stability audit: stability against ε, the worst-case pairs, the training dynamics with their flags.</summary>
public static class StabilityCharts
{
    /// <summary>File name of the stability-against-ε plot.</summary>
    public const string EpsilonFile = "stability-vs-epsilon.png";

    /// <summary>File name of the worst-case pairs (image generators only).</summary>
    public const string WorstCasePairsFile = "worst-case-pairs.png";

    /// <summary>File name of the loss curves with the flags marked.</summary>
    public const string LossesFile = "dynamics-losses.png";

    /// <summary>File name of the gradient-norm curves with the flags marked.</summary>
    public const string GradientNormsFile = "dynamics-gradient-norms.png";

    /// <summary>
    /// Writes every plot that applies to <paramref name="report"/> into <paramref name="folder"/>
    /// (created if needed) and returns the paths written: the ε plot always, the worst-case pairs for
    /// image outputs, the dynamics curves when the report carries a history.
    /// </summary>
    public static IReadOnlyList<string> Write(StabilityReport report, string folder)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var epsilon = Path.Combine(folder, EpsilonFile);
        StabilityAgainstEpsilon(report, epsilon);
        written.Add(epsilon);

        if (report.WorstCasePairs.Count > 0 && report.WorstCasePairs[0].Shape.Length == 3 && report.WorstCasePairs[0].Shape[0] is 1 or 3)
        {
            var pairs = Path.Combine(folder, WorstCasePairsFile);
            WorstCasePairs(report.WorstCasePairs, pairs);
            written.Add(pairs);
        }

        if (report.History is { Count: > 0 } history)
        {
            var flags = report.DynamicsFlags ?? [];
            var losses = Path.Combine(folder, LossesFile);
            Losses(history, flags.Where(f => !IsGradientSeries(f.Series)).ToArray(), losses);
            written.Add(losses);
            if (history.Any(e => e.GradNormG is not null || e.GradNormD is not null))
            {
                var norms = Path.Combine(folder, GradientNormsFile);
                GradientNorms(history, flags.Where(f => IsGradientSeries(f.Series)).ToArray(), norms);
                written.Add(norms);
            }
        }
        return written;
    }

    static bool IsGradientSeries(string series) => series.StartsWith("gradNorm", StringComparison.Ordinal);

    // One colour per similarity; local pairs solid with circles, worst case dashed with squares; ε on a log axis.
    static void StabilityAgainstEpsilon(StabilityReport report, string path)
    {
        var plot = new Plot();
        var epsilons = report.Local.Select(s => s.Epsilon).Concat(report.WorstCase.Select(s => s.Epsilon)).Distinct().Order().ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < report.Similarities.Count; i++)
        {
            var kind = report.Similarities[i];
            var colour = palette.GetColor(i);
            void Series(IEnumerable<PairScore> scores, string label, LinePattern pattern, MarkerShape marker)
            {
                var points = scores.Where(s => s.Similarity == kind && double.IsFinite(s.Mean)).OrderBy(s => s.Epsilon).ToArray();
                if (points.Length == 0) return;
                var scatter = plot.Add.Scatter(points.Select(p => Math.Log10(p.Epsilon)).ToArray(), points.Select(p => p.Mean).ToArray());
                scatter.LegendText = label;
                scatter.Color = colour;
                scatter.LinePattern = pattern;
                scatter.MarkerShape = marker;
                scatter.MarkerSize = 7;
            }
            Series(report.Local, $"local, {Similarity.Key(kind)}", LinePattern.Solid, MarkerShape.FilledCircle);
            Series(report.WorstCase, $"worst case, {Similarity.Key(kind)}", LinePattern.Dashed, MarkerShape.FilledSquare);
        }
        plot.Axes.Bottom.SetTicks(epsilons.Select(Math.Log10).ToArray(), epsilons.Select(StabilityReport.FormatEpsilon).ToArray());
        plot.Title("Stability against the perturbation size");
        plot.XLabel("ε (perturbation norm ε·√d, log scale)");
        plot.YLabel("mean similarity of the pairs");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 500, ImageFormat.Png));
    }

    // One row per ε: original, perturbed, original, perturbed, … worst pair first.
    static void WorstCasePairs(IReadOnlyList<WorstCasePair> pairs, string path)
    {
        using var scope = NewDisposeScope();
        var shape = pairs[0].Shape;
        var perEpsilon = pairs.GroupBy(p => p.Epsilon).OrderBy(g => g.Key).ToArray();
        var columns = perEpsilon.Max(g => g.Count());
        var blank = full(shape, 0.5f);                                                   // (C, H, W)
        var cells = new List<Tensor>();
        foreach (var group in perEpsilon)
        {
            var row = group.ToArray();
            for (var k = 0; k < columns; k++)
            {
                cells.Add(k < row.Length ? tensor(row[k].Original).reshape(shape) : blank);
                cells.Add(k < row.Length ? tensor(row[k].Perturbed).reshape(shape) : blank);
            }
        }
        ImageGrid.Save(stack(cells), 2 * columns, path, scale: shape[^1] <= 16 ? 6 : 3); // (rows · 2k, C, H, W)
    }

    static void Losses(IReadOnlyList<TrainingLogEntry> history, IReadOnlyList<DynamicsFlag> flags, string path)
    {
        var plot = new Plot();
        foreach (var name in history.SelectMany(e => e.Losses.Keys).Distinct().Order(StringComparer.Ordinal))
            Line(plot, name, history.Where(e => e.Losses.ContainsKey(name)).Select(e => (e.Step, e.Losses[name])));
        Mark(plot, flags);
        plot.Title("Training losses (dashed: dynamics flags)");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 450, ImageFormat.Png));
    }

    // Gradient norms span orders of magnitude, and a spike is a ratio: log10 axis.
    static void GradientNorms(IReadOnlyList<TrainingLogEntry> history, IReadOnlyList<DynamicsFlag> flags, string path)
    {
        var plot = new Plot();
        Line(plot, "gradNormG", history.Where(e => e.GradNormG is > 0).Select(e => (e.Step, Math.Log10(e.GradNormG!.Value))));
        Line(plot, "gradNormD", history.Where(e => e.GradNormD is > 0).Select(e => (e.Step, Math.Log10(e.GradNormD!.Value))));
        Mark(plot, flags);
        plot.Title("Gradient norms (dashed: dynamics flags)");
        plot.XLabel("step");
        plot.YLabel("log10 gradient norm");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 450, ImageFormat.Png));
    }

    static void Line(Plot plot, string label, IEnumerable<(long Step, double Value)> points)
    {
        var finite = points.Where(p => double.IsFinite(p.Value)).ToArray();
        if (finite.Length == 0) return;
        var scatter = plot.Add.Scatter(finite.Select(p => (double)p.Step).ToArray(), finite.Select(p => p.Value).ToArray());
        scatter.LegendText = label;
        scatter.MarkerSize = finite.Length == 1 ? 5 : 0;
    }

    // A dashed vertical line per flagged step, labelled with the flag's kind and series once per kind.
    static void Mark(Plot plot, IReadOnlyList<DynamicsFlag> flags)
    {
        var colours = new Dictionary<string, Color>
        {
            ["divergence"] = Colors.Red,
            ["gradientSpike"] = Colors.DarkOrange,
            ["saturation"] = Colors.Purple,
            ["oscillation"] = Colors.Brown,
        };
        var labelled = new HashSet<string>();
        foreach (var flag in flags)
        {
            var line = plot.Add.VerticalLine(flag.Step);
            line.Color = colours.GetValueOrDefault(flag.Kind, Colors.Black);
            line.LinePattern = LinePattern.Dashed;
            if (labelled.Add(flag.Kind)) line.LegendText = $"{flag.Kind} ({flag.Series})";
        }
    }
}
