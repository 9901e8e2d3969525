using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>Draws a fixed set of samples of one output kind as a PNG: the preview of training checkpoints and of the audit report.</summary>
public interface ISampleView
{
    /// <summary>The output kind drawn.</summary>
    OutputKind Kind { get; }

    /// <summary>Samples a preview shows.</summary>
    int PreviewCount { get; }

    /// <summary>True when the picture shows real data next to the samples (pass it to <see cref="Render"/>).</summary>
    bool ShowsRealData { get; }

    /// <summary>
    /// Renders <paramref name="count"/> samples of <paramref name="model"/> from latents drawn with <paramref name="seed"/>
    /// (the same latents at every checkpoint, so pictures are comparable) to <paramref name="path"/>, atomically.
    /// </summary>
    void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null);

    /// <summary>
    /// Writes sound files of a few generated samples (latents drawn with <paramref name="seed"/>, as in <see cref="Render"/>)
    /// and, when <paramref name="data"/> is given, of as many real ones into <paramref name="folder"/>, atomically; empty
    /// for kinds that are seen rather than heard.
    /// </summary>
    IReadOnlyList<SampleClip> Clips(IGenerativeModel model, string folder, long seed, ITrainingData? data = null);
}

/// <summary>A sound file of one sample (<see cref="ISampleView.Clips"/>): its path, a short caption, and whether it is real data.</summary>
public sealed record SampleClip(string Path, string Caption, bool Real);

/// <summary>The sample view of each output kind.</summary>
public static class SampleRenderer
{
    static readonly ISampleView[] Views = [new PointSampleView(), new ImageSampleView(), new SeriesSampleView(), new AudioSampleView()];

    /// <summary>The view of <paramref name="kind"/>.</summary>
    public static ISampleView For(OutputKind kind) => Views.Single(v => v.Kind == kind);

    /// <summary>The view of <paramref name="model"/>'s outputs.</summary>
    public static ISampleView For(IGenerativeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return For(OutputKinds.Of(model.OutputShape));
    }

    /// <summary>Renders with the view of <paramref name="model"/>'s outputs; see <see cref="ISampleView.Render"/>.</summary>
    public static void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null) =>
        For(model).Render(model, path, count, seed, data);

    /// <summary>Samples G(z) of <paramref name="count"/> latents drawn with <paramref name="seed"/>, under <paramref name="condition"/>; (N, ...) on the CPU.</summary>
    internal static Tensor Generate(IGenerativeModel model, int count, long seed, Tensor? condition)
    {
        using var _ = torch.no_grad();
        using var generator = new Generator((ulong)seed, new Device("cpu"));
        var z = torch.randn([count, model.LatentSize], generator: generator);
        return model.Generate(z, condition).cpu();
    }
}

/// <summary>Points: a scatter of the samples (blue) over real points (grey); conditional models cycle through their classes.</summary>
public sealed class PointSampleView : ISampleView
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Points;

    /// <inheritdoc />
    public int PreviewCount => 2500;

    /// <inheritdoc />
    public bool ShowsRealData => true;

    /// <inheritdoc />
    public void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var condition = model.ConditionCount > 0 ? torch.arange(count, dtype: ScalarType.Int64) % model.ConditionCount : null;
        var generated = ToMatrix(SampleRenderer.Generate(model, count, seed, condition));
        double[,] real = new double[0, 2];
        if (data is not null)
        {
            var indices = torch.arange(Math.Min(count, data.Count), dtype: ScalarType.Int64);
            real = ToMatrix(data.Gather(indices).X);
        }
        PointChart.Render(real, generated, path, $"{count} generated samples");
    }

    /// <inheritdoc />
    public IReadOnlyList<SampleClip> Clips(IGenerativeModel model, string folder, long seed, ITrainingData? data = null) => [];

    static double[,] ToMatrix(Tensor points)
    {
        var values = points.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var matrix = new double[points.shape[0], 2];
        for (int i = 0; i < points.shape[0]; i++) { matrix[i, 0] = values[2 * i]; matrix[i, 1] = values[2 * i + 1]; }
        return matrix;
    }
}

/// <summary>Images: a grid of 8 columns; conditional models get one row per class.</summary>
public sealed class ImageSampleView : ISampleView
{
    const int Columns = 8;

    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Images;

    /// <inheritdoc />
    public int PreviewCount => 64;

    /// <inheritdoc />
    public bool ShowsRealData => false;

    /// <inheritdoc />
    public void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        Tensor? condition = null;
        if (model.ConditionCount > 0)
        {
            count = model.ConditionCount * Columns;
            condition = torch.arange(model.ConditionCount, dtype: ScalarType.Int64).repeat_interleave(Columns);
        }
        ImageGrid.Save(SampleRenderer.Generate(model, count, seed, condition), Columns, path);
    }

    /// <inheritdoc />
    public IReadOnlyList<SampleClip> Clips(IGenerativeModel model, string folder, long seed, ITrainingData? data = null) => [];
}
