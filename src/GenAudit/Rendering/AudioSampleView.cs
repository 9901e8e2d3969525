using System.Globalization;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>
/// Audio (log-mel frames): a grid of spectrograms, four to a row (time to the right, low bands at the bottom), the
/// generated samples first and then as many real ones; and WAV clips of both, decoded by Griffin–Lim
/// (<see cref="LogMelFrames.Decode"/>) the same way, so that real clips sound as good as the representation allows.
/// </summary>
public sealed class AudioSampleView : ISampleView
{
    const int Columns = 4;

    /// <summary>Generated (and real) clips that <see cref="Clips"/> writes: 8 each.</summary>
    public const int ClipCount = 8;

    /// <summary>The representation the samples decode with; its frames and bands must match the generator's output.</summary>
    public LogMelFrames Frames { get; init; } = new();

    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Audio;

    /// <inheritdoc />
    public int PreviewCount => 16;

    /// <inheritdoc />
    public bool ShowsRealData => true;

    /// <inheritdoc />
    public void Render(IGenerativeModel model, string path, int count, long seed, ITrainingData? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var (generated, real, _) = Draw(model, count, seed, data);
        var frames = real is null ? generated : cat([generated, real], 0);                      // (N, T, F)
        var pictures = frames.transpose(1, 2).flip(1).unsqueeze(1);                              // (N, 1, F, T): low bands at the bottom
        ImageGrid.Save(pictures, Columns, path, scale: 2);
    }

    /// <inheritdoc />
    public IReadOnlyList<SampleClip> Clips(IGenerativeModel model, string folder, long seed, ITrainingData? data = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(folder);
        using var scope = NewDisposeScope();
        Directory.CreateDirectory(folder);
        var (generated, real, labels) = Draw(model, ClipCount, seed, data);
        var clips = new List<SampleClip>();
        Write(generated, i => ($"generated-{i + 1}.wav", $"generated {i + 1}"), false);
        if (real is not null)
            Write(real, i => ($"real-{i + 1}.wav", labels is null ? $"real {i + 1}" : string.Create(CultureInfo.InvariantCulture, $"real {i + 1} (class {labels[i]})")), true);
        return clips;

        void Write(Tensor frames, Func<int, (string File, string Caption)> name, bool isReal)
        {
            var waveforms = Frames.Decode(frames, seed);                                         // (N, S)
            for (int i = 0; i < waveforms.shape[0]; i++)
            {
                var (file, caption) = name(i);
                var path = Path.Combine(folder, file);
                AudioWav.Write(path, waveforms[i].data<float>().ToArray(), Frames.SampleRate);
                clips.Add(new SampleClip(path, caption, isReal));
            }
        }
    }

    // Generated frames (N, T, F) from the latents of seed, and the first N real ones with their labels when data is given.
    (Tensor Generated, Tensor? Real, long[]? Labels) Draw(IGenerativeModel model, int count, long seed, ITrainingData? data)
    {
        if (model.OutputShape.Length != 2 || model.OutputShape[0] != Frames.Frames || model.OutputShape[1] != Frames.Bands)
            throw new ArgumentException($"audio samples decode from {Frames.Frames} frames × {Frames.Bands} mel bands ({Frames.Key()}); this generator produces [{string.Join(", ", model.OutputShape)}]");
        var condition = model.ConditionCount > 0 ? torch.arange(count, dtype: ScalarType.Int64) % model.ConditionCount : null;
        var generated = SampleRenderer.Generate(model, count, seed, condition);                  // (N, T, F)
        if (data is null) return (generated, null, null);
        var (real, labels) = data.Gather(torch.arange(Math.Min(count, data.Count), dtype: ScalarType.Int64));
        return (generated, real.to(ScalarType.Float32).cpu(), labels?.cpu().data<long>().ToArray());
    }
}
