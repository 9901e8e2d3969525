using System.Diagnostics;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Stability;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Application;

/// <summary>What one sweep item produced: its identity, the steps' values by key, and its wall time (kept out of the table, which must not depend on the machine).</summary>
/// <param name="Key">The item's key.</param>
/// <param name="Data">Data set.</param>
/// <param name="Recipe">Recipe name.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Steps">Generator steps trained.</param>
/// <param name="Values">Every step's values; null where a value is undefined (e.g. reverse KL with no point near a mode).</param>
/// <param name="Seconds">Wall time of training and steps.</param>
public sealed record SweepResult(string Key, string Data, string Recipe, long Seed, long Steps, SortedDictionary<string, double?> Values, double Seconds);

/// <summary>What a step sees: the item, the trained generator in memory, and the run folder on disk.</summary>
public sealed class SweepItemContext(SweepItem item, TrainingConfig config, IGenerativeModel sampler, string runFolder) : IDisposable
{
    AuditSubject? _subject;

    /// <summary>The item.</summary>
    public SweepItem Item { get; } = item;
    /// <summary>Its training configuration.</summary>
    public TrainingConfig Config { get; } = config;
    /// <summary>The trained generator as the trainer holds it (EMA weights where the recipe keeps them).</summary>
    public IGenerativeModel Sampler { get; } = sampler;
    /// <summary>The run folder the item trained into.</summary>
    public string RunFolder { get; } = runFolder;
    /// <summary>The run opened as the evaluate, stability and audit verbs open it, on first use.</summary>
    public AuditSubject Subject => _subject ??= AuditSubject.Open(RunFolder);

    /// <inheritdoc />
    public void Dispose() => _subject?.Dispose();
}

/// <summary>One thing run on each trained sweep item; a step reports flat numeric values.</summary>
public interface ISweepStep
{
    /// <summary>True when the item's <see cref="SweepSteps"/> asks for this step.</summary>
    bool AppliesTo(SweepItem item);

    /// <summary>Runs the step; keys are prefixed with the step's name.</summary>
    IReadOnlyDictionary<string, double?> Run(SweepItemContext context);
}

/// <summary>
/// Runs one sweep item on this process: trains into <c>run/</c> of the item folder (under a temporary
/// name, renamed when training ends, so a half-trained run is never taken for a finished one), then runs
/// every step that applies. Deterministic for a given item: the seed and the thread count fix it.
/// </summary>
public sealed class SweepItemRunner(IReadOnlyList<ISweepStep> steps)
{
    /// <summary>The steps this layer provides: modes, evaluate, stability (the audit step lives with the audit).</summary>
    public static IReadOnlyList<ISweepStep> StandardSteps { get; } = [new ModesSweepStep(), new EvaluateSweepStep(), new StabilitySweepStep()];

    /// <summary>Trains and measures <paramref name="item"/> in <paramref name="itemFolder"/>; the result is also written there as result.json, atomically.</summary>
    public SweepResult Run(SweepItem item, string itemFolder, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        item.Verified();
        var wanted = new[] { item.Run.Modes is not null, item.Run.Evaluate is not null, item.Run.Stability is not null, item.Run.Audit is not null }.Count(b => b);
        var applicable = steps.Where(s => s.AppliesTo(item)).ToList();
        if (applicable.Count != wanted)
            throw new InvalidOperationException($"sweep item {item.Key} asks for {wanted} steps but this runner has {applicable.Count} of them; the audit step comes from the audit layer (SweepAudit.Steps)");
        TorchRuntime.EnsureLoaded();
        // Training and every measuring step run at the item's thread count on this thread (libtorch
        // keeps the count per thread), whatever a pooled thread of a silo ran before (TorchThreads).
        using var threads = TorchThreads.Use(item.Threads);
        Directory.CreateDirectory(itemFolder);
        var config = item.TrainingConfig();
        var runFolder = Path.Combine(itemFolder, "run");
        var partial = Path.Combine(itemFolder, $"run.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
        foreach (var stale in Directory.EnumerateDirectories(itemFolder, "run.partial-*")) Directory.Delete(stale, recursive: true);
        if (Directory.Exists(runFolder)) Directory.Delete(runFolder, recursive: true);

        var clock = Stopwatch.StartNew();
        using var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve(item.Data));
        using var trainer = new Trainer(config, data, partial);
        trainer.Run(cancel: cancel);
        cancel.ThrowIfCancellationRequested();
        Directory.Move(partial, runFolder);

        var values = new SortedDictionary<string, double?>(StringComparer.Ordinal);
        using (var context = new SweepItemContext(item, config, trainer.Sampler, runFolder))
            foreach (var step in applicable)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var (key, value) in step.Run(context)) values[key] = value is { } v && double.IsFinite(v) ? v : null;
            }
        var result = new SweepResult(item.Key, item.Data, item.Recipe, item.Seed, config.Steps, values, Math.Round(clock.Elapsed.TotalSeconds, 3));
        Json.WriteFile(Path.Combine(itemFolder, ResultFile), result);
        return result;
    }

    /// <summary>Name of an item's result file inside its folder: its presence marks the item done.</summary>
    public const string ResultFile = "result.json";

    /// <summary>Name of an item's description inside its folder.</summary>
    public const string ItemFile = "item.json";
}

/// <summary>Mode coverage as the mode-collapse benchmark measures it: a seeded latent draw through the trained generator, PacGAN's histogram.</summary>
sealed class ModesSweepStep : ISweepStep
{
    public bool AppliesTo(SweepItem item) => item.Run.Modes is not null;

    public IReadOnlyDictionary<string, double?> Run(SweepItemContext context)
    {
        var settings = context.Item.Run.Modes!;
        var mixture = Mixture2D.FromName(context.Item.Data)
                      ?? throw new InvalidOperationException($"{context.Item.Data}: mode coverage needs a known 2D mixture");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)(settings.LatentSeedOffset + context.Item.Seed));
        var points = context.Sampler.Generate(randn([settings.Points, context.Config.Model.LatentSize], generator: generator)); // (P, 2)
        var means = tensor(mixture.Means.SelectMany(m => new[] { m.X, m.Y }).ToArray()).reshape(mixture.ModeCount, 2); // (modes, 2)
        var result = ModeCoverage.Compute(points, means, mixture.Std);
        return new Dictionary<string, double?>
        {
            ["modes.captured"] = result.ModesCaptured,
            ["modes.highQuality"] = result.HighQualityFraction,
            ["modes.reverseKl"] = result.ReverseKl,
        };
    }
}

/// <summary>The evaluate verb's values on the saved run, prefixed "evaluate.".</summary>
sealed class EvaluateSweepStep : ISweepStep
{
    public bool AppliesTo(SweepItem item) => item.Run.Evaluate is not null;

    public IReadOnlyDictionary<string, double?> Run(SweepItemContext context)
    {
        var subject = context.Subject;
        var evaluator = new QualityEvaluator(subject.Extractor, subject.Train, subject.Test,
            QualityEvaluationOptions.For(context.Item.Run.Evaluate!.Count, context.Item.Seed));
        return evaluator.Evaluate(subject.Generator).ToFlatDictionary().ToDictionary(kv => "evaluate." + kv.Key, kv => kv.Value);
    }
}

/// <summary>The stability verb's numeric values on the saved run, prefixed "stability.".</summary>
sealed class StabilitySweepStep : ISweepStep
{
    public bool AppliesTo(SweepItem item) => item.Run.Stability is not null;

    public IReadOnlyDictionary<string, double?> Run(SweepItemContext context)
    {
        var options = context.Item.Run.Stability!.Quick ? StabilityOptions.Quick() : new StabilityOptions();
        var report = StabilityAudit.Run(context.Subject, options);
        var values = new Dictionary<string, double?>();
        foreach (var (key, value) in report.ToFlatDictionary())
            if (value is double or int or long or float) values["stability." + key] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        return values;
    }
}
