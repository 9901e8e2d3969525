using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>
/// Images without two classes (an unlabelled or one-class folder), where no classifier can be trained: the code of a
/// small convolutional autoencoder trained on the training split (once per data fingerprint, cached), not the raw
/// pixels, whose 784 to 12,288 dimensions FID cannot estimate a covariance in from a few thousand samples. Its
/// held-out reconstruction error is reported as the extractor's quality.
/// </summary>
public sealed class AutoencoderFeatureSpace : IFeatureSpaceProvider
{
    readonly AutoencoderOptions options;
    readonly string? cacheFolder;

    /// <summary>The feature space with <paramref name="options"/> (defaults when null), cached under <paramref name="cacheFolder"/> (the GenAudit cache when null).</summary>
    public AutoencoderFeatureSpace(AutoencoderOptions? options = null, string? cacheFolder = null)
    {
        this.options = options ?? new AutoencoderOptions();
        this.cacheFolder = cacheFolder;
    }

    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Images;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        progress?.Report($"'{dataName}' has fewer than two classes: features are a convolutional autoencoder's code ({ConvolutionalAutoencoder.FeatureSize} values)");
        return (new AutoencoderFeatureExtractor(AutoencoderCache.GetOrTrain(train, test, options, progress, cacheFolder)), null);
    }
}

/// <summary>Features from a trained <see cref="ConvolutionalAutoencoder"/>'s encoder (D = 32); owns the autoencoder.</summary>
public sealed class AutoencoderFeatureExtractor(TrainedAutoencoder trained) : IFeatureExtractor, IDisposable
{
    /// <summary>The autoencoder and its description.</summary>
    public TrainedAutoencoder Trained { get; } = trained ?? throw new ArgumentNullException(nameof(trained));

    /// <inheritdoc />
    public int FeatureSize => ConvolutionalAutoencoder.FeatureSize;

    /// <inheritdoc />
    public int ClassCount => 0;

    /// <inheritdoc />
    public double? ClassifierAccuracy => null;

    /// <inheritdoc />
    public double? ReconstructionError => Trained.Info.TestReconstructionError;

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"convolutional autoencoder code (D = {FeatureSize}, held-out reconstruction error {Trained.Info.TestReconstructionError:G3}, {Trained.Info.TestReconstructionError / Trained.Info.TestVariance:P0} of the variance)");

    /// <inheritdoc />
    public string? Identity => IdentityOf(Trained.Info);

    /// <summary>"autoencoder:" and the SHA-256 of the autoencoder's description (architecture, data fingerprints, seed, schedule; not its training time).</summary>
    public static string IdentityOf(AutoencoderInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return ExtractorIdentity.Of("autoencoder", info with { TrainingSeconds = 0 });
    }

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var features = Trained.Autoencoder.Embed(samples.detach().to(ScalarType.Float32, CPU));
        return (features.MoveToOuterDisposeScope(), null);
    }

    /// <inheritdoc />
    public void Dispose() => Trained.Dispose();
}
