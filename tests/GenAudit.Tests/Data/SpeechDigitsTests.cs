using System.Diagnostics;
using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class SpeechDigitsTests
{
    static readonly SpeechDigitsOptions Small = new() { Voices = ["en-us", "en-gb"], Variants = ["", "m3", "f5"], TestVariants = ["f5"], Speeds = [150], Pitches = [50] };

    static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public void SpokenDigitsAreSplitBySpeakerResampledTo8kHzAndRebuiltIdentically()
    {
        using var folder = new TempFolder();
        var train = SpeechDigits.Load(DataSplit.Train, Small, cacheRoot: Path.Combine(folder.Path, "a"));
        var test = SpeechDigits.Load(DataSplit.Test, Small, cacheRoot: Path.Combine(folder.Path, "a"));
        Assert.Equal(2 * 2 * 10, train.Count);                                 // 2 voices × (own, m3) × 10 digits
        Assert.Equal(2 * 1 * 10, test.Count);                                  // 2 voices × f5 × 10 digits
        Assert.Empty(train.Speakers.Intersect(test.Speakers));
        Assert.Equal(["en-us+f5", "en-gb+f5"], test.Speakers.Distinct().Order().Reverse());
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (long)d), train.Labels.Distinct().Order());
        Assert.Equal(8000, train.ClipSamples);
        Assert.Equal(train.Count * 8000, train.Samples.Length);

        // Independently: espeak-ng's own clip of "seven" (en-us+m3, 150 wpm, pitch 50) resampled to 8 kHz by sox
        // carries the same waveform up to the two resamplers' anti-alias filters (measured: correlation 0.942 at a lag
        // of 1 sample, RMS ratio 0.938; sox's filter passes more of the band just below 4 kHz): above 0.9 and within 10%.
        var raw = Path.Combine(folder.Path, "seven.wav");
        var bySox = Path.Combine(folder.Path, "seven-8k.wav");
        Run("espeak-ng", "-v", "en-us+m3", "-s", "150", "-p", "50", "-w", raw, "seven");
        Run("sox", raw, "-r", "8000", bySox);
        var (reference, rate) = AudioWav.Read(bySox);
        Assert.Equal(8000, rate);
        int index = Enumerable.Range(0, train.Count).Single(i => train.Speakers[i] == "en-us+m3" && train.Labels[i] == 7);
        var ours = train.Clip(index).ToArray();
        // The best correlation over lags of ±32 samples, since the two resamplers' filters may delay differently.
        var (correlation, lag, ratio) = Enumerable.Range(-32, 65).Select(shift =>
        {
            double dot = 0, a2 = 0, b2 = 0;
            for (int i = 0; i < reference.Length; i++)
            {
                int j = i + shift;
                if (j < 0 || j >= ours.Length) continue;
                dot += ours[j] * reference[i]; a2 += ours[j] * ours[j]; b2 += reference[i] * reference[i];
            }
            return (dot / Math.Sqrt(a2 * b2), shift, Math.Sqrt(a2 / b2));
        }).MaxBy(c => c.Item1);
        Console.WriteLine($"correlation with sox's resampling {correlation:F4} at lag {lag}, RMS ratio {ratio:F4}");
        Assert.True(correlation > 0.9, $"correlation with sox's resampling {correlation} at lag {lag}");
        Assert.InRange(ratio, 0.9, 1.1);
        Assert.InRange(lag, -2, 2);
        Assert.All(ours.Skip(reference.Length), v => Assert.Equal(0f, v));    // padded with silence to 1 s

        var again = SpeechDigits.Load(DataSplit.Train, Small, cacheRoot: Path.Combine(folder.Path, "b"));
        Assert.Equal(train.Samples, again.Samples);
        Assert.Equal(train.Labels, again.Labels);
    }
}
