using GenAudit.Models;
using GenAudit.Training;

namespace GenAudit.Rendering;

/// <summary>
/// Draws a training run's pictures at every checkpoint: samples/&lt;checkpoint&gt;.png from the same latents
/// each time (an image grid, or a scatter against the real points for 2D data), and loss.png from history.jsonl.
/// </summary>
public sealed class CheckpointCharts : ITrainingObserver
{
    /// <inheritdoc />
    public void OnCheckpoint(TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var run = checkpoint.Run;
        var config = checkpoint.Config;
        Directory.CreateDirectory(run.Samples);
        var view = SampleRenderer.For(OutputKinds.Of(config.Data, checkpoint.Generator.OutputShape));
        view.Render(checkpoint.Generator, Path.Combine(run.Samples, RunDirectory.CheckpointName(checkpoint.Step) + ".png"), view.PreviewCount, config.Seed, checkpoint.Data);
        LossChart.Render(HistoryFile.Read(run.History), run.LossPlot, config.Model.IsGan || config.Model.IsSeries);
    }
}
