using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>
/// Audio (log-mel frames (T, F)): each band's mean over <see cref="Segments"/> equal stretches of time, S·F values
/// (200 for digits-speech's 65 frames × 40 bands). The flattened frames (T·F = 2,600) would need more samples than
/// dimensions for FID's covariances, which the 1,680 held-out clips are not; the segment means keep the spectral
/// envelope and its coarse course in time, which tell the digits apart.
/// </summary>
public sealed class AudioFeatureSpace : IFeatureSpaceProvider
{
    /// <summary>Stretches of time S: 5 (13 frames each for 65 frames).</summary>
    public const int Segments = 5;

    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Audio;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.SampleShape.Length != 2) throw new ArgumentException($"'{dataName}': audio frames have shape (T, F), not [{string.Join(", ", train.SampleShape)}]");
        return (new SegmentMeanFeatureExtractor((int)train.SampleShape[0], (int)train.SampleShape[1], Math.Min(Segments, (int)train.SampleShape[0])), null);
    }
}

/// <summary>
/// Features of sequences (B, T, F): the mean of every feature over each of S stretches of time, stretch s covering
/// steps ⌊s·T/S⌋ … ⌊(s + 1)·T/S⌋ − 1; (B, S·F), stretch after stretch.
/// </summary>
public sealed class SegmentMeanFeatureExtractor : IFeatureExtractor
{
    readonly int _length, _features, _segments;

    /// <summary>Makes the extractor for sequences of <paramref name="length"/> steps of <paramref name="features"/> values, in <paramref name="segments"/> stretches.</summary>
    public SegmentMeanFeatureExtractor(int length, int features, int segments)
    {
        if (length < 1 || features < 1) throw new ArgumentOutOfRangeException(nameof(length), $"sequences need T, F ≥ 1, got T = {length}, F = {features}");
        if (segments < 1 || segments > length) throw new ArgumentOutOfRangeException(nameof(segments), $"segments must be 1 to T = {length}, got {segments}");
        (_length, _features, _segments) = (length, features, segments);
    }

    /// <inheritdoc />
    public int FeatureSize => _segments * _features;

    /// <inheritdoc />
    public int ClassCount => 0;

    /// <inheritdoc />
    public double? ClassifierAccuracy => null;

    /// <inheritdoc />
    public string Name => $"log-mel band means over {_segments} stretches of time (D = {FeatureSize})";

    /// <inheritdoc />
    public string? Identity => $"segment-means:{_length}x{_features}/{_segments}";

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        if (samples.dim() != 3 || samples.shape[1] != _length || samples.shape[2] != _features)
            throw new ArgumentException($"expected sequences (B, {_length}, {_features}), got ({string.Join(", ", samples.shape)})", nameof(samples));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = samples.detach().to(ScalarType.Float32, CPU);                                   // (B, T, F)
        var means = new Tensor[_segments];
        for (int s = 0; s < _segments; s++)
        {
            long start = (long)s * _length / _segments, end = (long)(s + 1) * _length / _segments;
            means[s] = x.narrow(1, start, end - start).mean([1]);                                 // (B, F)
        }
        return (cat(means, 1).MoveToOuterDisposeScope(), null);                                   // (B, S·F)
    }
}
