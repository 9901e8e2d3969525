using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Cli.Infrastructure;

/// <summary>Draws the closest generated/training pairs, two columns per pair (evaluate --copies-png).</summary>
static class CopyPairs
{
    public static void Render(QualityEvaluation result, AuditSubject subject, string path, int pairs = 8)
    {
        using var scope = NewDisposeScope();
        var chosen = result.ClosestPairs.Take(pairs).ToList();
        if (chosen.Count == 0) throw new InvalidOperationException("no closest pairs were computed");
        var shape = subject.Generator.OutputShape;
        var generated = torch.stack(chosen.Select(c => torch.tensor(c.GeneratedSample).reshape(shape)).ToArray());
        var (training, _) = subject.Train.GetBatch(chosen.Select(c => (long)c.TrainingIndex).ToArray());
        var interleaved = torch.stack([generated, training.to(ScalarType.Float32)], 1).reshape([2 * chosen.Count, .. shape]);
        ImageGrid.Save(interleaved, 2, path);
    }
}
