using System.Globalization;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// Clips as sequences a recurrent GAN can learn: the log-mel spectrogram (<see cref="AudioSpectrogram"/>) of a clip of
/// <see cref="ClipSamples"/> samples, one step per frame and one feature per mel band, rescaled to [0, 1] by
/// v = (log-mel − ln floor) / (ln bound − ln floor). The floor is <see cref="AudioSpectrogram.Floor"/>, so silence is 0;
/// the bound is FftSize · Σ w² (Hann window w), which no band of a clip with samples in [−1, 1] exceeds (Parseval:
/// Σₖ |Xₖ|² = FftSize · Σₙ wₙ² xₙ² over all bins, and every filter weight is at most 1), so real clips lie in [0, 1].
/// <see cref="Decode"/> inverts it with Griffin–Lim, so every generated sequence can be listened to.
/// </summary>
public sealed record LogMelFrames
{
    /// <summary>The spectrogram: 8 kHz, FFT 256, hop 125, 40 mel bands, 60 Griffin–Lim iterations by default.</summary>
    public AudioSpectrogram Spectrogram { get; init; } = new();

    /// <summary>Samples per clip. Default: 8,000 (1 s at 8 kHz), as digits-speech.</summary>
    public int ClipSamples { get; init; } = 8000;

    /// <summary>Steps T: the centred frames of one clip, ClipSamples / Hop + 1 (65 by default).</summary>
    public int Frames => ClipSamples / Spectrogram.Hop + 1;

    /// <summary>Features F: the mel bands (40 by default).</summary>
    public int Bands => Spectrogram.MelBands;

    /// <summary>Samples per second.</summary>
    public int SampleRate => Spectrogram.SampleRate;

    /// <summary>ln of the floor added before the log: the value 0 (silence).</summary>
    public static double LogFloor => Math.Log(AudioSpectrogram.Floor);

    /// <summary>ln(FftSize · Σ w²): the value 1, the largest mel power of a clip with samples in [−1, 1].</summary>
    public double LogBound
    {
        get
        {
            int n = Spectrogram.FftSize;
            double energy = Enumerable.Range(0, n).Sum(i => Math.Pow(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n), 2));   // periodic Hann, as torch.hann_window
            return Math.Log(n * energy + AudioSpectrogram.Floor);
        }
    }

    /// <summary>Every setting as text, naming cache entries and shown in docs: "sr8000-fft256-hop125-mel40-clip8000".</summary>
    public string Key() => string.Create(CultureInfo.InvariantCulture,
        $"sr{Spectrogram.SampleRate}-fft{Spectrogram.FftSize}-hop{Spectrogram.Hop}-mel{Spectrogram.MelBands}-clip{ClipSamples}");

    /// <summary>Frames (B, T, F) in [0, 1] of waveforms (B, ClipSamples) with samples in [−1, 1].</summary>
    public Tensor Encode(Tensor waveforms)
    {
        if (waveforms.dim() != 2 || waveforms.shape[1] != ClipSamples)
            throw new ArgumentException($"expected waveforms (B, {ClipSamples}), got ({string.Join(", ", waveforms.shape)})");
        using var scope = NewDisposeScope();
        var logMel = Spectrogram.LogMel(waveforms);                                             // (B, T, F)
        return ((logMel - LogFloor) / (LogBound - LogFloor)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Waveforms (B, ClipSamples) whose frames approximate <paramref name="frames"/> (B, T, F): the log-mel spectrogram
    /// back through the filter bank's pseudo-inverse and Griffin–Lim from a phase drawn with <paramref name="seed"/>.
    /// A clip whose peak exceeds 1 is scaled down to peak 1 (generated frames may be louder than any real clip).
    /// </summary>
    public Tensor Decode(Tensor frames, long seed = 0)
    {
        if (frames.dim() != 3 || frames.shape[1] != Frames || frames.shape[2] != Bands)
            throw new ArgumentException($"expected frames (B, {Frames}, {Bands}), got ({string.Join(", ", frames.shape)})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logMel = frames.to(ScalarType.Float32).cpu() * (LogBound - LogFloor) + LogFloor;  // (B, T, F)
        var waveforms = Spectrogram.Invert(logMel, ClipSamples, seed);                         // (B, S)
        var peak = waveforms.abs().amax([1], keepdim: true).clamp_min(1.0);                    // (B, 1)
        return (waveforms / peak).MoveToOuterDisposeScope();
    }
}
