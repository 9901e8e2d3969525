using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class SpeechFramesTests
{
    /// <summary>40 training and 20 test clips: 2 voices × (own, m3 | f5) × 1 speed × 1 pitch × 10 digits.</summary>
    internal static readonly SpeechDigitsOptions Small = new() { Voices = ["en-us", "en-gb"], Variants = ["", "m3", "f5"], TestVariants = ["f5"], Speeds = [150], Pitches = [50] };

    static float[] Tone(int samples, int sampleRate, double hertz, double amplitude) =>
        Enumerable.Range(0, samples).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hertz * i / sampleRate))).ToArray();

    [Fact]
    public void DigitsSpeechLoadsAsLabelledLogMelFramesWithADeterministicFingerprint()
    {
        using var folder = new TempFolder();
        var options = new DatasetOptions { Speech = Small, CacheRoot = Path.Combine(folder.Path, "a") };
        var train = (SeriesDataset)DatasetRegistry.Resolve("digits-speech", options);
        var test = (SeriesDataset)DatasetRegistry.Resolve("digits-speech", options with { Split = DataSplit.Test });
        Assert.Equal(40, train.Count);
        Assert.Equal(20, test.Count);
        Assert.Equal([65L, 40], train.SampleShape);                           // 8000 / 125 + 1 centred frames × 40 mel bands
        Assert.Equal(SpeechDigits.Words, train.ClassNames);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (long)d), train.Labels!.Distinct().Order());
        Assert.Equal(OutputKind.Audio, OutputKinds.Of(train));
        Assert.Equal(OutputKind.Audio, OutputKinds.Of("digits-speech", train.SampleShape));
        Assert.True(DatasetRegistry.IsSeries("digits-speech") && DatasetRegistry.IsAudio(" Digits-Speech "));
        Assert.All(train.Values.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.NotEqual(train.Fingerprint, test.Fingerprint);

        // The frames equal a fresh encoding of the cached clips, and a second build elsewhere hashes the same.
        var clips = SpeechDigits.Load(DataSplit.Train, Small, cacheRoot: Path.Combine(folder.Path, "a"));
        using (var scope = NewDisposeScope())
        {
            var encoded = new LogMelFrames().Encode(tensor(clips.Samples, [clips.Count, clips.ClipSamples]));
            Assert.Equal(train.Values.ToArray(), encoded.contiguous().data<float>().ToArray());
        }
        var again = DatasetRegistry.Resolve("digits-speech", options with { CacheRoot = Path.Combine(folder.Path, "b") });
        Assert.Equal(train.Fingerprint, again.Fingerprint);
        Assert.Equal(train.Fingerprint, DatasetRegistry.Resolve("digits-speech", options).Fingerprint);
    }

    [Fact]
    public void TheFramesSpanSilenceToTheParsevalBoundAndATonesRoundTripKeepsItsSpectrum()
    {
        using var scope = NewDisposeScope();
        var frames = new LogMelFrames();
        // Σ w² of a periodic Hann window of N points is 3N/8, so the bound is ln(256 · 96).
        Assert.Equal(Math.Log(256 * 96), frames.LogBound, 9);

        var random = new Random(5);
        var loudest = new float[8000];
        for (int i = 0; i < loudest.Length; i++) loudest[i] = random.Next(2) == 0 ? -1f : 1f;       // full-scale noise
        var clips = stack([zeros(8000), tensor(loudest), tensor(Tone(8000, 8000, 1000, 1.0)), tensor(Tone(8000, 8000, 62.5, 1.0))]);
        var encoded = frames.Encode(clips);                                                            // (4, 65, 40)
        Assert.Equal([4L, 65, 40], encoded.shape);
        Assert.Equal(0f, encoded[0].abs().max().item<float>());                                        // silence is exactly 0
        Assert.True(encoded.max().item<float>() <= 1f, $"largest frame value {encoded.max().item<float>()}");
        Assert.True(encoded.min().item<float>() >= 0f);

        // Encode → Griffin–Lim decode → encode of AudioTests' two-tone clip (1 kHz and 2.5 kHz) at half its loudness:
        // the rescaling is affine and exact and the decoded peak stays below 1, so the mel power comes back as through
        // AudioSpectrogram.Invert, within 20% (relative L2; measured 0.14 there), and the loudest band stays put.
        var two = Tone(8000, 8000, 1000, 0.25).Zip(Tone(8000, 8000, 2500, 0.125), (a, b) => a + b).ToArray();
        var tone = tensor(two).unsqueeze(0);                                                            // (1, 8000)
        var original = frames.Encode(tone);
        var decoded = frames.Decode(original);                                                          // (1, 8000)
        Assert.Equal([1L, 8000], decoded.shape);
        Assert.True(decoded.abs().max().item<float>() < 1f);
        var back = frames.Encode(decoded);
        double scale = frames.LogBound - LogMelFrames.LogFloor;
        var power = (original * scale).exp();
        var relative = (((back * scale).exp() - power).norm() / power.norm()).item<float>();
        Console.WriteLine($"log-mel frames round trip: relative mel-power error {relative:F4}");
        Assert.True(relative < 0.2, $"relative mel-power error {relative}");
        // At full loudness the pseudo-inverse's magnitudes decode to a peak of 1.29; the clip is scaled to peak 1, not clipped.
        var loud = frames.Decode(frames.Encode(tone * 2));
        Assert.Equal(1f, loud.abs().max().item<float>(), 5);
        Assert.Equal(original[0, 32].argmax().item<long>(), back[0, 32].argmax().item<long>());
    }

    [Fact]
    public void AMissingEspeakNgNamesTheInstallCommand()
    {
        using var folder = new TempFolder();
        var options = new DatasetOptions { Speech = Small with { Program = "espeak-ng-not-installed" }, CacheRoot = folder.Path };
        var error = Assert.Throws<FileNotFoundException>(() => DatasetRegistry.Resolve("digits-speech", options));
        Assert.Contains("apt-get install espeak-ng", error.Message);
        Assert.Contains("'espeak-ng-not-installed' was not found", error.Message);
    }

    [Fact]
    public void FramesOfTheWrongShapeAreRejectedNamingTheExpectedShape()
    {
        using var scope = NewDisposeScope();
        var frames = new LogMelFrames();
        Assert.Contains("(B, 65, 40)", Assert.Throws<ArgumentException>(() => frames.Decode(zeros(2, 24, 5))).Message);
        Assert.Contains("(B, 8000)", Assert.Throws<ArgumentException>(() => frames.Encode(zeros(2, 100))).Message);
    }
}
