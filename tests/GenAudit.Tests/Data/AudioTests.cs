using System.Diagnostics;
using System.Globalization;
using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class AudioTests
{
    static float[] Tone(int samples, int sampleRate, params (double Hertz, double Amplitude)[] parts) =>
        Enumerable.Range(0, samples).Select(i => (float)parts.Sum(p => p.Amplitude * Math.Sin(2 * Math.PI * p.Hertz * i / sampleRate))).ToArray();

    static string Sox(params string[] args)
    {
        var start = new ProcessStartInfo("sox") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output;
    }

    [Fact]
    public void AWavFileIsReadBackBySox()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "tone.wav");
        var tone = Tone(2000, 8000, (440, 0.5), (1300, 0.3));
        AudioWav.Write(path, tone, 8000);
        Assert.Equal("8000", Sox("--i", "-r", path).Trim());
        Assert.Equal("2000", Sox("--i", "-s", path).Trim());
        Assert.Equal("1", Sox("--i", "-c", path).Trim());
        // sox's .dat text: "time value" per sample, value = PCM / 32768; ours is round(32767·s).
        var values = Sox(path, "-t", "dat", "-").Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';'))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2000, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(Math.Round(tone[i] * 32767.0) / 32768, values[i], 6);
        var (samples, rate) = AudioWav.Read(path);
        Assert.Equal(8000, rate);
        for (int i = 0; i < samples.Length; i++) Assert.Equal(values[i], samples[i], 6);
    }

    [Fact]
    public void ALogMelSpectrogramOfATwoToneClipRoundTripsThroughGriffinLim()
    {
        using var scope = NewDisposeScope();
        var spectrogram = new AudioSpectrogram();
        var clip = tensor(Tone(8000, 8000, (1000, 0.5), (2500, 0.25))).unsqueeze(0);              // (1, 8000): 1 s
        var logMel = spectrogram.LogMel(clip);                                                      // (1, 65, 40)
        Assert.Equal([1L, 65, 40], logMel.shape);

        // The loudest band of a middle frame is the one whose centre, on the HTK mel scale, lies nearest 1000 Hz.
        var top = AudioSpectrogram.Mel(4000);
        var nearest = Enumerable.Range(0, 40).MinBy(m => Math.Abs(AudioSpectrogram.Hertz(top * (m + 1) / 41) - 1000));
        Assert.Equal(nearest, logMel[0, 32].argmax().item<long>());

        var back = spectrogram.Invert(logMel, 8000);                                                 // (1, 8000)
        var again = spectrogram.LogMel(back);
        var mel = logMel.exp();
        var relative = ((again.exp() - mel).norm() / mel.norm()).item<float>();
        var loud = mel > mel.max() * 1e-3;
        var meanLogError = (again - logMel).abs().masked_select(loud).mean().item<float>();
        Console.WriteLine($"round trip: relative mel-power error {relative:F4}, mean |Δ log-mel| over loud bins {meanLogError:F4}");
        Assert.True(relative < 0.2, $"relative mel-power error {relative}");
        Assert.True(meanLogError < 0.5, $"mean log-mel error {meanLogError}");

        // Griffin–Lim from the exact STFT magnitude: spectral convergence ‖|STFT(x̂)| − |STFT(x)|‖ / ‖|STFT(x)|‖.
        var magnitude = spectrogram.Stft(clip).abs();
        var rebuilt = spectrogram.GriffinLim(magnitude, 8000);
        var convergence = ((spectrogram.Stft(rebuilt).abs() - magnitude).norm() / magnitude.norm()).item<float>();
        Console.WriteLine($"Griffin–Lim spectral convergence {convergence:F4}");
        Assert.True(convergence < 0.1, $"spectral convergence {convergence}");
    }
}
