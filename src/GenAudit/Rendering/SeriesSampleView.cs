using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Training;
using ScottPlot;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>
/// Real-valued sequences: each feature in its own band (feature k drawn at k + value, values in [0, 1]),
/// generated sequences in blue over as many real ones in grey.
/// </summary>
public sealed class SeriesSampleView : ISampleView
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Series;

    /// <inheritdoc />
    public int PreviewCount => 8;

    /// <inheritdoc />
    public bool ShowsRealData => true;

    /// <inheritdoc />
    public void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var condition = model.ConditionCount > 0 ? torch.arange(count, dtype: ScalarType.Int64) % model.ConditionCount : null;
        var generated = SampleRenderer.Generate(model, count, seed, condition);                 // (N, T, F)
        var plot = new Plot();
        if (data is not null)
        {
            var real = data.Gather(torch.arange(Math.Min(count, data.Count), dtype: ScalarType.Int64)).X;
            Draw(plot, real, Colors.Gray.WithAlpha(0.6), "real");
        }
        Draw(plot, generated, Colors.Blue.WithAlpha(0.7), "generated");
        plot.Title($"{count} generated sequences; feature k is drawn in the band [k, k + 1]");
        plot.XLabel("step");
        plot.YLabel("feature + value");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 600, ImageFormat.Png));
    }

    /// <inheritdoc />
    public IReadOnlyList<SampleClip> Clips(IGenerativeModel model, string folder, long seed, ITrainingData? data = null) => [];

    static void Draw(Plot plot, Tensor sequences, Color colour, string label)
    {
        long n = sequences.shape[0], length = sequences.shape[1], features = sequences.shape[2];
        var values = sequences.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var steps = Enumerable.Range(0, (int)length).Select(t => (double)t).ToArray();
        for (long i = 0; i < n; i++)
            for (long k = 0; k < features; k++)
            {
                var ys = new double[length];
                for (long t = 0; t < length; t++) ys[t] = k + values[(i * length + t) * features + k];
                var line = plot.Add.Scatter(steps, ys);
                line.Color = colour;
                line.MarkerSize = 0;
                if (i == 0 && k == 0) line.LegendText = label;
            }
    }
}
