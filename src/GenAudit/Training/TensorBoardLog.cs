using GenAudit.Core.TensorBoard;

namespace GenAudit.Training;

/// <summary>
/// A run's TensorBoard log: every history.jsonl line as scalars and every checkpoint's sample grid
/// as an image, in an event file beside history.jsonl (<c>tensorboard --logdir runs</c>).
/// </summary>
public sealed class TensorBoardLog : IDisposable
{
    /// <summary>Tag of the sample grid (or 2D scatter) written at each checkpoint.</summary>
    public const string SamplesTag = "samples";

    /// <summary>TensorBoard tag of each history.jsonl field (all but step and seconds, which every event carries).</summary>
    public static IReadOnlyList<(string Field, string Tag, Func<HistoryEntry, double?> Value)> Scalars { get; } =
    [
        ("lossD", "loss/D", e => e.LossD),
        ("lossG", "loss/G", e => e.LossG),
        ("penalty", "loss/penalty", e => e.Penalty),
        ("loss", "loss/vae", e => e.Loss),
        ("recon", "loss/recon", e => e.Recon),
        ("kl", "loss/kl", e => e.Kl),
        ("gradNormD", "gradNorm/D", e => e.GradNormD),
        ("gradNormG", "gradNorm/G", e => e.GradNormG),
        ("dReal", "D/real", e => e.DReal),
        ("dFake", "D/fake", e => e.DFake),
        ("lrG", "lr/G", e => e.LrG),
        ("lrD", "lr/D", e => e.LrD),
    ];

    readonly TensorBoardWriter _writer;

    /// <summary>Starts a new event file in the run folder; <paramref name="resumedAt"/> is the checkpoint step a resumed run continues from.</summary>
    public TensorBoardLog(string runFolder, long? resumedAt = null)
    {
        _writer = new TensorBoardWriter(runFolder);
        if (resumedAt is { } step) _writer.AddRestart(step + 1);
    }

    /// <summary>The event file.</summary>
    public string Path => _writer.Path;

    /// <summary>Writes the fields a history line holds as scalars at its step.</summary>
    public void Append(HistoryEntry entry)
    {
        foreach (var (_, tag, value) in Scalars)
            if (value(entry) is { } v) _writer.AddScalar(tag, entry.Step, v);
    }

    /// <summary>Writes a checkpoint's sample image (the PNG the trainer rendered) at its step.</summary>
    public void AddSamples(long step, string pngPath) => _writer.AddPng(SamplesTag, step, File.ReadAllBytes(pngPath));

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
