using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>
/// Stacked MNIST: every channel is embedded by the MNIST feature classifier (trained once on the embedded digits
/// and cached), as VEEGAN and PacGAN classify each channel with an MNIST classifier. Features are the three
/// channels' penultimate layers side by side (D = 3 × 128); the 1,000 class probabilities are those of the digit
/// triples, p₀(a)·p₁(b)·p₂(c) at class 100a + 10b + c, so the predicted class is the triple of per-channel digits.
/// </summary>
public sealed class StackedMnistFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Images && StackedMnist.Is(train);

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        var mnist = FeatureClassifierCache.GetOrTrain(MnistEmbedded.Load(DataSplit.Train), MnistEmbedded.Load(DataSplit.Test), progress: progress);
        // No classifier is returned: targets and Grad-CAM need one that reads the 3-channel image, and this one reads a digit.
        return (new StackedMnistFeatureExtractor(mnist), null);
    }
}

/// <summary>The per-channel MNIST classifier as a feature extractor for Stacked MNIST (<see cref="StackedMnistFeatureSpace"/>).</summary>
public sealed class StackedMnistFeatureExtractor(TrainedFeatureClassifier mnist) : IFeatureExtractor
{
    readonly ClassifierFeatureExtractor digits = new(mnist);

    /// <inheritdoc />
    public int FeatureSize => 3 * FeatureClassifier.FeatureSize;

    /// <inheritdoc />
    public int ClassCount => StackedMnist.ModeCount;

    /// <inheritdoc />
    public double? ClassifierAccuracy => digits.ClassifierAccuracy;

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"MNIST feature classifier per channel (3 × penultimate layer, D = {FeatureSize}; digit accuracy {ClassifierAccuracy:P1})");

    /// <inheritdoc />
    public string? Identity => digits.Identity is { } id ? "stacked-" + id : null;

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        using var scope = NewDisposeScope();
        long n = samples.shape[0];
        if (samples.dim() != 4 || samples.shape[1] != 3) throw new ArgumentException($"Stacked MNIST samples are (B, 3, 28, 28), got [{string.Join(", ", samples.shape)}]");
        var channels = samples.reshape(n * 3, 1, samples.shape[2], samples.shape[3]);       // (3B, 1, 28, 28): sample-major
        var (features, probabilities) = digits.Extract(channels);                             // (3B, 128), (3B, 10)
        var joined = features.reshape(n, 3 * FeatureClassifier.FeatureSize);                  // (B, 384)
        var p = probabilities!.reshape(n, 3, 10);                                             // (B, 3, 10)
        var joint = (p.select(1, 0).unsqueeze(2).unsqueeze(3) * p.select(1, 1).unsqueeze(1).unsqueeze(3) * p.select(1, 2).unsqueeze(1).unsqueeze(2))
            .reshape(n, StackedMnist.ModeCount);                                              // (B, 10, 10, 10) → (B, 1000)
        return (joined.MoveToOuterDisposeScope(), joint.MoveToOuterDisposeScope());
    }
}
