using GenAudit.Core;
using GenAudit.Runs;
using GenAudit.Stability;
using GenAudit.Training;
using static TorchSharp.torch;

namespace GenAudit.Application;

/// <summary>
/// The stability audit of an opened run, as the <c>stability</c> verb and the full audit run it: the
/// classifier's features and logits where the run has a feature classifier (pixels otherwise, the
/// points for 2D data), and the run's history.jsonl for the training dynamics.
/// </summary>
public static class StabilityAudit
{
    /// <summary>
    /// Runs every stability measurement on <paramref name="subject"/>'s generator with <paramref name="options"/>;
    /// <paramref name="steps"/> hears of each of the <see cref="StabilityAuditor.Steps"/> finished measurements.
    /// </summary>
    public static StabilityReport Run(AuditSubject subject, StabilityOptions options, IProgress<string>? progress = null, IProgress<WorkProgress>? steps = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(options);
        if (subject.Output == GenAudit.Models.OutputKind.Tokens)
            throw new NotSupportedException($"{subject.Run.Directory.Root}: a token-sequence run; its stability is Stability.TextStability (genaudit stability), not this audit of points and images");
        var history = ReadHistory(subject.Run, progress);
        var configured = options with { Dynamics = options.Dynamics with { DiscriminatorOutput = DiscriminatorOutputFor(subject.Run.Manifest.Config) } };
        Func<Tensor, Tensor>? features = subject.Classifier is null ? null : subject.Features;
        progress?.Report(
            $"stability: {options.SampleCount} pairs per ε, worst case {options.WorstCaseSampleCount} samples × {options.WorstCaseRestarts} restart(s) × {options.WorstCaseSteps} steps, " +
            $"features: {(features is null ? "flattened outputs" : "feature classifier")}");
        return new StabilityAuditor(configured).Run(subject.Generator, features, subject.Logits, history, steps);
    }

    /// <summary>
    /// What the run logged as dReal/dFake: sigmoid probabilities for the non-saturating loss, raw
    /// scores for hinge and WGAN-GP (the saturation flag needs to know which).
    /// </summary>
    public static DiscriminatorOutputKind DiscriminatorOutputFor(TrainingConfig config) =>
        config.Loss == GanLoss.Ns ? DiscriminatorOutputKind.Probabilities : DiscriminatorOutputKind.Scores;

    /// <summary>
    /// The run's training history up to the loaded checkpoint's step (an earlier checkpoint is judged on the
    /// training it had seen), or null (with a progress note) when the run has none, e.g. an imported model.
    /// </summary>
    public static IReadOnlyList<TrainingLogEntry>? ReadHistory(LoadedRun run, IProgress<string>? progress = null)
    {
        var path = run.Directory.History;
        if (!File.Exists(path))
        {
            progress?.Report($"{path}: no training history; the dynamics flags are skipped");
            return null;
        }
        var history = HistoryReader.Read(path);
        if (run.Step > 0) history = history.Where(e => e.Step <= run.Step).ToList();
        return history.Count == 0 ? null : history;
    }
}
