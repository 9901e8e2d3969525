using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Runs;
using static TorchSharp.torch;

namespace GenAudit.Tests.Runs;

public class AudioFeatureSpaceTests
{
    [Fact]
    public void AudioIsMeasuredInBandMeansOverFiveStretchesOfTime()
    {
        // Three random "clips" of 65 frames × 40 bands, marked as audio.
        var random = new Random(3);
        var values = Enumerable.Range(0, 3 * 65 * 40).Select(_ => (float)random.NextDouble()).ToArray();
        var speech = new SeriesDataset("speech", values, 65, 40) { Audio = new LogMelFrames() };
        var (extractor, classifier) = FeatureSpaces.For(OutputKinds.Of(speech), speech).Open(speech, speech, "speech", null);
        Assert.Null(classifier);
        Assert.Equal(200, extractor.FeatureSize);
        Assert.Equal("segment-means:65x40/5", extractor.Identity);

        using var scope = NewDisposeScope();
        var (features, probabilities) = extractor.Extract(tensor(values, [3, 65, 40]));
        Assert.Null(probabilities);
        Assert.Equal([3L, 200], features.shape);
        var got = features.data<float>().ToArray();
        // Brute force in doubles: feature s·40 + band of clip i is the mean of frames 13s … 13s + 12 of that band.
        for (int i = 0; i < 3; i++)
            for (int s = 0; s < 5; s++)
                for (int band = 0; band < 40; band++)
                {
                    double sum = 0;
                    for (int t = 13 * s; t < 13 * s + 13; t++) sum += values[(i * 65 + t) * 40 + band];
                    Assert.Equal(sum / 13, got[i * 200 + s * 40 + band], 5);
                }

        // Series that are not audio keep the flattened values.
        var series = new SeriesDataset("series", values, 65, 40);
        Assert.IsType<SeriesFeatureSpace>(FeatureSpaces.For(OutputKinds.Of(series), series));
    }

    [Fact]
    public void UnevenStretchesSplitAtTheFloorsOfSTOverS()
    {
        // T = 7, S = 3: steps 0–1, 2–3, 4–6 (⌊7/3⌋ = 2, ⌊14/3⌋ = 4).
        using var scope = NewDisposeScope();
        var extractor = new SegmentMeanFeatureExtractor(7, 1, 3);
        var (features, _) = extractor.Extract(tensor(new float[] { 1, 3, 10, 20, 4, 5, 9 }, [1, 7, 1]));
        Assert.Equal([2f, 15f, 6f], features.data<float>().ToArray());
        Assert.Contains("(B, 7, 1)", Assert.Throws<ArgumentException>(() => extractor.Extract(zeros(1, 6, 1))).Message);
    }
}
