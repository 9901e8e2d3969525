using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>Draws a fixed set of samples of a generator: an image grid, or a scatter for 2D data.</summary>
public static class SampleRenderer
{
    /// <summary>
    /// Renders <paramref name="count"/> samples from latents drawn with <paramref name="seed"/>
    /// (the same latents at every checkpoint, so grids are comparable). Conditional image models
    /// get one row per class.
    /// </summary>
    public static void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null)
    {
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        using var generator = new Generator((ulong)seed, new Device("cpu"));
        bool images = model.OutputShape.Length == 3;
        int columns = 8;
        Tensor? condition = null;
        if (model.ConditionCount > 0)
        {
            if (images) count = model.ConditionCount * columns;
            condition = images
                ? torch.arange(model.ConditionCount, dtype: ScalarType.Int64).repeat_interleave(columns)
                : torch.arange(count, dtype: ScalarType.Int64) % model.ConditionCount;
        }
        var z = torch.randn([count, model.LatentSize], generator: generator);
        var samples = model.Generate(z, condition).cpu();
        if (images)
        {
            ImageGrid.Save(samples, columns, path);
            return;
        }
        var generated = ToMatrix(samples);
        double[,] real = new double[0, 2];
        if (data is not null)
        {
            var indices = torch.arange(Math.Min(count, data.Count), dtype: ScalarType.Int64);
            real = ToMatrix(data.Gather(indices).X);
        }
        PointChart.Render(real, generated, path, $"{count} generated samples");
    }

    static double[,] ToMatrix(Tensor points)
    {
        var values = points.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var matrix = new double[points.shape[0], 2];
        for (int i = 0; i < points.shape[0]; i++) { matrix[i, 0] = values[2 * i]; matrix[i, 1] = values[2 * i + 1]; }
        return matrix;
    }
}
