using System.Diagnostics;
using GenAudit.Core;
using GenAudit.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenAudit.Models;

/// <summary>How <see cref="FeatureClassifier.TrainFor"/> trains; one place for the defaults the CLI, the cache and the library share.</summary>
public sealed record FeatureClassifierOptions
{
    /// <summary>Seeds the weight initialisation (torch.manual_seed), the shuffling and the augmentation. Default: 0.</summary>
    public long Seed { get; init; }

    /// <summary>Passes over the training set; 0 picks them from the training-set size (<see cref="EpochsFor"/>). Default: 0.</summary>
    public int Epochs { get; init; }

    /// <summary>Images per optimiser step. Default: 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak Adam learning rate, decayed linearly to 0 over training. Default: 2e-3.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Largest random shift, in pixels, applied to each training image (0 turns augmentation off). Default: 1.</summary>
    public int MaxShift { get; init; } = 1;

    /// <summary>torch.set_num_threads during training, restored afterwards; 0 leaves the current setting. Default: 0.</summary>
    public int Threads { get; init; }

    /// <summary>The epoch count used for a training set of <paramref name="trainingCount"/> images: <see cref="Epochs"/> when set, else enough passes to see 120,000 images and at least 10 passes (MNIST's 8,000: 15; Fashion-MNIST's 60,000: 10).</summary>
    public int EpochsFor(int trainingCount) =>
        Epochs > 0 ? Epochs : Math.Max(10, (int)Math.Ceiling(120_000.0 / trainingCount));

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"Epochs is {Epochs}; use a positive count, or 0 for automatic.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"BatchSize is {BatchSize}; it must be at least 1.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"LearningRate is {LearningRate}; it must be a positive number.");
        if (MaxShift < 0) throw new ArgumentOutOfRangeException(nameof(MaxShift), $"MaxShift is {MaxShift}; it must be ≥ 0.");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), $"Threads is {Threads}; it must be ≥ 0 (0 keeps the current setting).");
    }
}

/// <summary>What a trained feature classifier is, saved as JSON next to its weights in the cache.</summary>
/// <param name="ArchitectureVersion">The architecture string (<see cref="FeatureClassifier.ArchitectureVersion"/>).</param>
/// <param name="Channels">Image channels C.</param>
/// <param name="Height">Image height H.</param>
/// <param name="Width">Image width W.</param>
/// <param name="ClassCount">Number of classes K.</param>
/// <param name="FeatureSize">Size of the feature layer (<see cref="FeatureClassifier.FeatureSize"/>).</param>
/// <param name="TrainingFingerprint">Fingerprint of the training dataset.</param>
/// <param name="TrainingCount">Number of training images.</param>
/// <param name="TestFingerprint">Fingerprint of the held-out dataset the accuracy was measured on.</param>
/// <param name="TestCount">Number of held-out images.</param>
/// <param name="TestAccuracy">Fraction of held-out images classified correctly; [0, 1], higher is better.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="MaxShift">Augmentation shift in pixels.</param>
/// <param name="TrainingSeconds">Wall-clock training time.</param>
public sealed record FeatureClassifierInfo(
    string ArchitectureVersion, int Channels, int Height, int Width, int ClassCount, int FeatureSize,
    string TrainingFingerprint, int TrainingCount, string TestFingerprint, int TestCount, double TestAccuracy,
    long Seed, int Epochs, int BatchSize, double LearningRate, int MaxShift, double TrainingSeconds);

/// <summary>A trained classifier, its description, and whether it came from the cache. Dispose it to free the weights.</summary>
/// <param name="Classifier">The classifier, in eval mode.</param>
/// <param name="Info">Training data, settings and held-out accuracy.</param>
/// <param name="LoadedFromCache">True when the weights were read from the cache instead of trained.</param>
public sealed record TrainedFeatureClassifier(FeatureClassifier Classifier, FeatureClassifierInfo Info, bool LoadedFromCache) : IDisposable
{
    /// <summary>Disposes the classifier.</summary>
    public void Dispose() => Classifier.Dispose();
}

// Training: Adam, cross-entropy, a linearly decaying learning rate and random shifts (the module itself is in FeatureClassifier.cs).
public sealed partial class FeatureClassifier
{
    /// <summary>
    /// Trains a classifier on <paramref name="train"/> (labelled images) with Adam, cross-entropy, a
    /// linearly decaying learning rate and random shifts, and measures its accuracy on <paramref name="test"/>.
    /// Deterministic for a given seed and thread count.
    /// </summary>
    public static TrainedFeatureClassifier TrainFor(Dataset train, Dataset test, FeatureClassifierOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= new FeatureClassifierOptions();
        options.Validate();
        var (channels, height, width, classCount) = CheckDatasets(train, test);
        TorchRuntime.EnsureLoaded();
        using var threads = options.Threads > 0 ? TorchThreads.Use(options.Threads) : null;
        var clock = Stopwatch.StartNew();
        FeatureClassifier classifier;
        lock (GlobalRandom.Lock)
        {
            manual_seed(options.Seed);
            classifier = new FeatureClassifier(channels, height, width, classCount);
        }
        using var generator = new Generator(unchecked((ulong)options.Seed));
        using var optimizer = Optimizers.Adam(classifier.parameters(), options.LearningRate);
        var epochs = options.EpochsFor(train.Count);
        var stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var totalSteps = (long)epochs * stepsPerEpoch;
        long step = 0;
        classifier.train();
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            double lossSum = 0;
            foreach (var (images, labels) in train.Batches(options.BatchSize, generator))
            {
                using var batchImages = images;
                using var batchLabels = labels;
                using var scope = NewDisposeScope();
                var x = options.MaxShift > 0 ? Shift(images, options.MaxShift, generator) : images; // (B, C, H, W)
                foreach (var group in optimizer.ParamGroups) group.LearningRate = options.LearningRate * (1.0 - (double)step / totalSteps);
                optimizer.zero_grad();
                var loss = F.cross_entropy(classifier.call(x), labels!);
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>();
                step++;
            }
            progress?.Report($"feature classifier ({train.Name}): epoch {epoch}/{epochs}, loss {lossSum / stepsPerEpoch:F4}, {clock.Elapsed.TotalSeconds:F0} s");
        }
        classifier.eval();
        var seconds = clock.Elapsed.TotalSeconds;
        var accuracy = classifier.Accuracy(test);
        progress?.Report($"feature classifier ({train.Name}): held-out accuracy {accuracy:P2} on {test.Count} images of '{test.Name}', trained in {seconds:F0} s");
        var info = new FeatureClassifierInfo(ArchitectureVersion, channels, height, width, classCount, FeatureSize,
            train.Fingerprint, train.Count, test.Fingerprint, test.Count, accuracy,
            options.Seed, epochs, options.BatchSize, options.LearningRate, options.MaxShift, seconds);
        return new TrainedFeatureClassifier(classifier, info, LoadedFromCache: false);
    }

    /// <summary>Checks that both datasets are labelled images of one shape and returns that shape and the class count.</summary>
    internal static (int Channels, int Height, int Width, int ClassCount) CheckDatasets(Dataset train, Dataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        foreach (var data in new[] { train, test })
        {
            if (data.SampleShape.Length != 3)
                throw new ArgumentException($"Dataset '{data.Name}' holds samples of shape [{string.Join(", ", data.SampleShape)}]; the feature classifier needs C×H×W images (2D points are their own features).");
            if (data.Labels is null)
                throw new ArgumentException($"Dataset '{data.Name}' has no labels; the feature classifier is trained on labelled images (one subfolder per class for image folders).");
        }
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new ArgumentException($"Training set '{train.Name}' has images of [{string.Join(", ", train.SampleShape)}] but test set '{test.Name}' has [{string.Join(", ", test.SampleShape)}]; pass two splits of one dataset.");
        if (train.ClassNames.Count != test.ClassNames.Count)
            throw new ArgumentException($"Training set '{train.Name}' has {train.ClassNames.Count} classes but test set '{test.Name}' has {test.ClassNames.Count}; pass two splits of one dataset.");
        return ((int)train.SampleShape[0], (int)train.SampleShape[1], (int)train.SampleShape[2], train.ClassNames.Count);
    }

    /// <summary>Shifts each image by a random whole number of pixels in [−max, max] on both axes, filling with 0: (B, C, H, W) → (B, C, H, W).</summary>
    static Tensor Shift(Tensor images, int max, Generator generator)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0], h = images.shape[2], w = images.shape[3];
        var padded = F.pad(images, [max, max, max, max]);                                   // (B, C, H+2m, W+2m)
        var offsets = randint(0, 2 * max + 1, [b, 2], dtype: ScalarType.Int64, generator: generator); // (B, 2)
        var rows = (arange(h).unsqueeze(0) + offsets[.., 0..1]);                           // (B, H)
        var cols = (arange(w).unsqueeze(0) + offsets[.., 1..2]);                           // (B, W)
        var c = images.shape[1];
        var rowIndex = rows.view(b, 1, h, 1).expand(b, c, h, padded.shape[3]);             // (B, C, H, W+2m)
        var picked = padded.gather(2, rowIndex);                                            // (B, C, H, W+2m)
        var colIndex = cols.view(b, 1, 1, w).expand(b, c, h, w);                           // (B, C, H, W)
        return picked.gather(3, colIndex).MoveToOuterDisposeScope();                       // (B, C, H, W)
    }
}
