using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// Log-mel spectrograms of mono clips and their inverse. Forward: |STFT|² (Hann window, centred frames) through a
/// bank of triangular filters on the HTK mel scale m = 2595·log10(1 + f/700), then log(· + 1e-6). Inverse: the mel
/// power back to a linear power spectrum by the filter bank's pseudo-inverse (negatives set to 0), its square root
/// as the magnitude, and fast Griffin–Lim (Griffin and Lim 1984; Perraudin et al. 2013) to find a phase whose STFT is consistent with it.
/// </summary>
public sealed record AudioSpectrogram
{
    /// <summary>Floor added to the mel power before the log: 1e-6.</summary>
    public const double Floor = 1e-6;

    /// <summary>Samples per second. Default: 8,000 (SC09's rate after WaveGAN's resampling).</summary>
    public int SampleRate { get; init; } = 8000;

    /// <summary>FFT length and Hann window length. Default: 256 (32 ms at 8 kHz).</summary>
    public int FftSize { get; init; } = 256;

    /// <summary>Samples between frames. Default: 125, so 1 s at 8 kHz gives 65 centred frames.</summary>
    public int Hop { get; init; } = 125;

    /// <summary>Mel bands. Default: 40.</summary>
    public int MelBands { get; init; } = 40;

    /// <summary>Griffin–Lim iterations. Default: 60.</summary>
    public int GriffinLimIterations { get; init; } = 60;

    /// <summary>Momentum of the fast Griffin–Lim update; 0 is the original algorithm. Default: 0.99, as torchaudio.</summary>
    public double Momentum { get; init; } = 0.99;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the field.</summary>
    public void Validate()
    {
        if (SampleRate is < 1000 or > 192_000) throw new ArgumentException($"SampleRate must be 1,000 to 192,000 Hz, got {SampleRate}");
        if (FftSize < 16 || (FftSize & (FftSize - 1)) != 0) throw new ArgumentException($"FftSize must be a power of two ≥ 16, got {FftSize}");
        if (Hop < 1 || Hop > FftSize) throw new ArgumentException($"Hop must be 1 to FftSize ({FftSize}), got {Hop}");
        if (MelBands < 1 || MelBands > FftSize / 2 + 1) throw new ArgumentException($"MelBands must be 1 to {FftSize / 2 + 1}, got {MelBands}");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"Momentum must lie in [0, 1), got {Momentum}");
        if (GriffinLimIterations < 1) throw new ArgumentException($"GriffinLimIterations must be ≥ 1, got {GriffinLimIterations}");
    }

    /// <summary>The HTK mel of <paramref name="hertz"/>.</summary>
    public static double Mel(double hertz) => 2595 * Math.Log10(1 + hertz / 700);

    /// <summary>The frequency in Hz of mel value <paramref name="mel"/>.</summary>
    public static double Hertz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);

    /// <summary>
    /// The filter bank (M, K), K = FftSize/2 + 1 bins at k·SampleRate/FftSize Hz: filter m rises linearly from mel
    /// point m to m + 1 and falls to m + 2, for M + 2 points equally spaced in mel from 0 Hz to SampleRate / 2.
    /// </summary>
    public double[,] FilterBank()
    {
        Validate();
        int bins = FftSize / 2 + 1;
        var points = Enumerable.Range(0, MelBands + 2).Select(i => Hertz(Mel(SampleRate / 2.0) * i / (MelBands + 1))).ToArray();
        var bank = new double[MelBands, bins];
        for (int m = 0; m < MelBands; m++)
            for (int k = 0; k < bins; k++)
            {
                double f = (double)k * SampleRate / FftSize;
                double rise = (f - points[m]) / (points[m + 1] - points[m]);
                double fall = (points[m + 2] - f) / (points[m + 2] - points[m + 1]);
                bank[m, k] = Math.Max(0, Math.Min(rise, fall));
            }
        return bank;
    }

    /// <summary>Log-mel spectrogram (B, frames, M) of waveforms (B, S).</summary>
    public Tensor LogMel(Tensor waveforms)
    {
        using var scope = NewDisposeScope();
        var power = Stft(waveforms).abs().square();                                         // (B, K, frames)
        var mel = matmul(BankTensor(), power);                                               // (B, M, frames)
        return (mel + Floor).log().transpose(1, 2).MoveToOuterDisposeScope();               // (B, frames, M)
    }

    /// <summary>Waveforms (B, <paramref name="samples"/>) whose log-mel spectrogram approximates <paramref name="logMel"/> (B, frames, M).</summary>
    public Tensor Invert(Tensor logMel, int samples, long seed = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mel = (logMel.transpose(1, 2).exp() - Floor).clamp_min(0);                     // (B, M, frames)
        var power = matmul(linalg.pinv(BankTensor()), mel).clamp_min(0);                    // (B, K, frames)
        return GriffinLim(power.sqrt(), samples, seed).MoveToOuterDisposeScope();
    }

    /// <summary>Griffin–Lim: waveforms (B, <paramref name="samples"/>) whose STFT magnitude approximates <paramref name="magnitude"/> (B, K, frames), from a seeded random phase.</summary>
    public Tensor GriffinLim(Tensor magnitude, int samples, long seed = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var random = new Generator(unchecked((ulong)seed));
        var angle = rand(magnitude.shape, generator: random, dtype: magnitude.dtype) * (2 * Math.PI);
        var phase = polar(ones_like(magnitude), angle);                                      // unit phases (B, K, frames)
        var previous = zeros_like(phase);
        for (int i = 0; i < GriffinLimIterations; i++)
        {
            // Fast Griffin–Lim (Perraudin, Balazs and Søndergaard 2013): extrapolate the phase with momentum.
            var estimate = Stft(Istft(magnitude * phase, samples));
            var accelerated = estimate - previous * (Momentum / (1 + Momentum));
            phase = accelerated / (accelerated.abs() + 1e-16);
            previous = estimate;
        }
        var waveform = Istft(magnitude * phase, samples);
        return waveform.MoveToOuterDisposeScope();
    }

    Tensor Window() => hann_window(FftSize, dtype: ScalarType.Float32);

    Tensor BankTensor()
    {
        var bank = FilterBank();
        return tensor(bank.Cast<double>().Select(v => (float)v).ToArray()).reshape(MelBands, FftSize / 2 + 1);
    }

    internal Tensor Stft(Tensor waveforms)
    {
        Validate();
        if (waveforms.dim() != 2) throw new ArgumentException($"expected waveforms (B, S), got ({string.Join(", ", waveforms.shape)})");
        return stft(waveforms, FftSize, Hop, FftSize, Window(), center: true, return_complex: true);   // (B, K, frames)
    }

    Tensor Istft(Tensor spectrum, int samples) =>
        istft(spectrum, FftSize, Hop, FftSize, Window(), center: true, length: samples);         // (B, S)
}
