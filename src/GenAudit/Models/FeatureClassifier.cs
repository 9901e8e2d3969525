using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using GenAudit.Data;
using TorchSharp;
using TorchSharp.Modules;
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

/// <summary>
/// A small CNN for C×H×W images in [0, 1] whose penultimate layer (<see cref="FeatureSize"/> = 128 SiLU
/// units) is GenAudit's feature space for FID, KID, PRDC and copy detection on image data, in the role
/// Inception-v3's pool features play for ImageNet-like images.
/// </summary>
/// <remarks>
/// Architecture (PyTorch names): conv1 = Conv2d(C, 32, 5, stride=2, padding=2) → SiLU → soft 2×2 max pool →
/// conv2 = Conv2d(32, 64, 3, padding=1) → SiLU → soft 2×2 max pool → flatten →
/// fc1 = Linear(64·⌊⌈H/2⌉/4⌋·⌊⌈W/2⌉/4⌋, 128) → SiLU (the features) → fc2 = Linear(128, K) (the logits).
/// The soft max pool is log-sum-exp pooling with temperature 0.25 (<see cref="SoftMaxPool"/>). Every
/// operation is smooth, so the logits are smooth functions of the image: path integrals such as
/// Integrated Gradients converge at the rate of their quadrature rule instead of stalling on ReLU kinks
/// and max-pool switches, while the features keep the local translation invariance of max pooling
/// (average pooling or strided convolutions lost accuracy or changed the quality metrics' geometry;
/// measurements in docs/metrics-evaluate.md).
/// No dropout or batch norm, so training and eval mode compute the same function; the helpers still
/// switch to eval mode.
/// </remarks>
public sealed class FeatureClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>Size D of the feature vector (the penultimate layer).</summary>
    public const int FeatureSize = 128;

    /// <summary>Names the architecture in cache keys; change it whenever the layers or the training recipe change.</summary>
    public const string ArchitectureVersion = "feature-classifier-v2";

    /// <summary>Images per forward pass in the batched helpers.</summary>
    public const int DefaultBatchSize = 500;

#pragma warning disable IDE1006 // state-dict names
    readonly Conv2d conv1;
    readonly Conv2d conv2;
    readonly Linear fc1;
    readonly Linear fc2;
#pragma warning restore IDE1006

    /// <summary>Creates an untrained classifier for <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/> images and <paramref name="classCount"/> classes.</summary>
    public FeatureClassifier(int channels, int height, int width, int classCount) : base(nameof(FeatureClassifier))
    {
        if (channels < 1 || height < 4 || width < 4)
            throw new ArgumentException($"FeatureClassifier needs images of at least 1×4×4, not {channels}×{height}×{width}.");
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), $"classCount is {classCount}; a classifier needs at least 2 classes.");
        Channels = channels;
        Height = height;
        Width = width;
        ClassCount = classCount;
        conv1 = nn.Conv2d(channels, 32, 5, stride: 2, padding: 2);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1);
        fc1 = nn.Linear(64L * ConvSide(height) * ConvSide(width), FeatureSize);
        fc2 = nn.Linear(FeatureSize, classCount);
        RegisterComponents();
    }

    /// <summary>Image channels C.</summary>
    public int Channels { get; }

    /// <summary>Image height H.</summary>
    public int Height { get; }

    /// <summary>Image width W.</summary>
    public int Width { get; }

    /// <summary>Number of classes K.</summary>
    public int ClassCount { get; }

    /// <summary>Logits (B, K) of images (B, C, H, W).</summary>
    public override Tensor forward(Tensor x) => fc2.call(Features(x));

    /// <summary>Features (B, 128): the SiLU output of the penultimate layer. Gradients flow unless the caller disables them.</summary>
    public Tensor Features(Tensor x)
    {
        CheckShape(x);
        using var scope = NewDisposeScope();
        var h = SoftMaxPool(F.silu(conv1.call(x)));     // (B, 32, H/4, W/4): 7×7 for 28×28
        h = SoftMaxPool(F.silu(conv2.call(h)));         // (B, 64, H/8, W/8): 3×3 for 28×28
        return F.silu(fc1.call(h.flatten(1))).MoveToOuterDisposeScope(); // (B, 128)
    }

    /// <summary>Logits (B, K).</summary>
    public Tensor Logits(Tensor x) => call(x);

    /// <summary>Class probabilities p(y|x) (B, K).</summary>
    public Tensor Probabilities(Tensor x)
    {
        using var scope = NewDisposeScope();
        return F.softmax(call(x), 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Features (N, 128) and probabilities (N, K) of <paramref name="images"/> (N, C, H, W), in batches,
    /// in eval mode under no_grad; both are new float32 CPU tensors owned by the caller.
    /// </summary>
    public (Tensor Features, Tensor Probabilities) Embed(Tensor images, int batchSize = DefaultBatchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize is {batchSize}; it must be at least 1.");
        CheckShape(images);
        var n = images.shape[0];
        var features = zeros([n, FeatureSize]);     // (N, 128)
        var probabilities = zeros([n, ClassCount]); // (N, K)
        using var mode = new EvalMode(this);
        using var noGrad = no_grad();
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(batchSize, n - start);
            var x = images.narrow(0, start, length).to(ScalarType.Float32);
            var h = Features(x);                                // (b, 128)
            features.narrow(0, start, length).copy_(h);
            probabilities.narrow(0, start, length).copy_(F.softmax(fc2.call(h), 1)); // (b, K)
        }
        return (features, probabilities);
    }

    /// <summary>Fraction of <paramref name="data"/> classified correctly, in eval mode under no_grad.</summary>
    public double Accuracy(Dataset data, int batchSize = DefaultBatchSize)
    {
        if (data.Labels is null) throw new ArgumentException($"Dataset '{data.Name}' has no labels; accuracy needs a labelled dataset.", nameof(data));
        using var mode = new EvalMode(this);
        using var noGrad = no_grad();
        long correct = 0;
        foreach (var (x, y) in data.Batches(batchSize))
        {
            using (x)
            using (y)
            using (NewDisposeScope())
                correct += call(x).argmax(1).eq(y!).sum().item<long>();
        }
        return (double)correct / data.Count;
    }

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
        var threads = get_num_threads();
        if (options.Threads > 0) set_num_threads(options.Threads);
        try
        {
            var clock = Stopwatch.StartNew();
            FeatureClassifier classifier;
            lock (GlobalRandom.Lock)
            {
                manual_seed(options.Seed);
                classifier = new FeatureClassifier(channels, height, width, classCount);
            }
            using var generator = new Generator(unchecked((ulong)options.Seed));
            using var optimizer = optim.Adam(classifier.parameters(), options.LearningRate);
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
        finally
        {
            if (options.Threads > 0) set_num_threads(threads);
        }
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

    /// <summary>Side after conv1 (stride 2) and two 2×2 pools.</summary>
    static long ConvSide(int side) => (side + 1) / 2 / 2 / 2;

    /// <summary>Temperature τ of <see cref="SoftMaxPool"/>.</summary>
    internal const double PoolTemperature = 0.25;

    /// <summary>
    /// 2×2 log-sum-exp pooling, τ·log(mean(exp(x/τ))): a smooth maximum within τ·log 4 of max pooling.
    /// Computed as m + τ·log(mean(exp((x − m)/τ))) with m the max, which is the same function (its
    /// gradient is the softmax weights, the m terms cancel) without overflow. (B, C, H, W) → (B, C, H/2, W/2).
    /// </summary>
    internal static Tensor SoftMaxPool(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The temperature enters as 0-dim tensors owned by the scope: a Scalar made implicitly from a double
        // was seen to reach libtorch already freed ("Unknown scalar type") under allocation pressure.
        var temperature = torch.tensor((float)PoolTemperature, dtype: x.dtype, device: x.device);   // ()
        var m = F.max_pool2d(x, 2).detach();                                                        // (B, C, H/2, W/2)
        var window = x.narrow(2, 0, m.shape[2] * 2).narrow(3, 0, m.shape[3] * 2);                  // (B, C, H', W'), even sides
        var shifted = (window - F.interpolate(m, scale_factor: [2, 2], mode: InterpolationMode.Nearest)).div(temperature);
        return m.add(F.avg_pool2d(shifted.exp(), 2).log().mul(temperature)).MoveToOuterDisposeScope(); // (B, C, H/2, W/2)
    }

    void CheckShape(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Channels || x.shape[2] != Height || x.shape[3] != Width)
            throw new ArgumentException($"FeatureClassifier expects images (B, {Channels}, {Height}, {Width}), got ({string.Join(", ", x.shape)}).", nameof(x));
    }

    /// <summary>Puts the module in eval mode and restores its previous mode on dispose.</summary>
    sealed class EvalMode : IDisposable
    {
        readonly nn.Module module;
        readonly bool wasTraining;

        public EvalMode(nn.Module module)
        {
            this.module = module;
            wasTraining = module.training;
            module.eval();
        }

        public void Dispose()
        {
            if (wasTraining) module.train();
        }
    }
}

/// <summary>
/// Trains a <see cref="FeatureClassifier"/> once per training set and reuses it: entries live under
/// <c>&lt;cache&gt;/feature-classifier/&lt;key&gt;/</c> as <c>weights.safetensors</c> and <c>classifier.json</c>
/// (a <see cref="FeatureClassifierInfo"/> and the SHA-256 of the weights), where the key hashes the architecture version, the training
/// data fingerprint and the training options.
/// </summary>
/// <remarks>
/// The cache folder is <c>$GENAUDIT_CACHE</c> when set, else <c>$XDG_CACHE_HOME/genaudit</c>, else
/// <c>~/.cache/genaudit</c>. Both files are written atomically, the JSON last, so an entry without a
/// readable JSON is incomplete. An entry that cannot be read or does not match is reported through the
/// progress callback and retrained; it never stops the caller.
/// </remarks>
public static class FeatureClassifierCache
{
    /// <summary>Environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "GENAUDIT_CACHE";

    /// <summary>Weights file name inside an entry.</summary>
    public const string WeightsFile = "weights.safetensors";

    /// <summary>Description file name inside an entry.</summary>
    public const string InfoFile = "classifier.json";

    /// <summary>The cache folder: $GENAUDIT_CACHE, else $XDG_CACHE_HOME/genaudit, else ~/.cache/genaudit.</summary>
    public static string DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitFolder) return explicitFolder;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "genaudit");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "genaudit");
    }

    /// <summary>The entry folder for a training set and options, under <paramref name="cacheFolder"/> (default <see cref="DefaultFolder"/>).</summary>
    public static string EntryFolder(Dataset train, FeatureClassifierOptions? options = null, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FeatureClassifierOptions();
        // Threads do not enter the key: they change speed, not what is learned beyond rounding.
        var recipe = string.Create(CultureInfo.InvariantCulture,
            $"{FeatureClassifier.ArchitectureVersion}\n{train.Fingerprint}\nseed={options.Seed}\nepochs={options.EpochsFor(train.Count)}\nbatch={options.BatchSize}\nlr={options.LearningRate:R}\nshift={options.MaxShift}\n");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..16];
        return Path.Combine(cacheFolder ?? DefaultFolder(), "feature-classifier", $"{FeatureClassifier.ArchitectureVersion}-{key}");
    }

    /// <summary>
    /// Loads the cached classifier for <paramref name="train"/> and <paramref name="options"/>, or trains
    /// and caches one. When <paramref name="test"/> differs from the one the entry was measured on, the
    /// accuracy is measured again on it (no retraining).
    /// </summary>
    public static TrainedFeatureClassifier GetOrTrain(Dataset train, Dataset test, FeatureClassifierOptions? options = null,
        IProgress<string>? progress = null, string? cacheFolder = null)
    {
        options ??= new FeatureClassifierOptions();
        options.Validate();
        FeatureClassifier.CheckDatasets(train, test);
        var folder = EntryFolder(train, options, cacheFolder);
        var weightsPath = Path.Combine(folder, WeightsFile);
        var infoPath = Path.Combine(folder, InfoFile);

        if (File.Exists(infoPath) || File.Exists(weightsPath))
        {
            try
            {
                var loaded = Load(train, weightsPath, infoPath);
                progress?.Report($"feature classifier ({train.Name}): loaded from {folder} (held-out accuracy {loaded.Info.TestAccuracy:P2})");
                if (loaded.Info.TestFingerprint == test.Fingerprint) return loaded;
                var accuracy = loaded.Classifier.Accuracy(test);
                progress?.Report($"feature classifier ({train.Name}): accuracy {accuracy:P2} on {test.Count} images of '{test.Name}'");
                return loaded with { Info = loaded.Info with { TestFingerprint = test.Fingerprint, TestCount = test.Count, TestAccuracy = accuracy } };
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or UnauthorizedAccessException)
            {
                progress?.Report($"feature classifier ({train.Name}): the cache entry {folder} is unusable ({e.Message}); training a new one.");
            }
        }

        var trained = FeatureClassifier.TrainFor(train, test, options, progress);
        try
        {
            ModuleWeights.Save(trained.Classifier, weightsPath, new Dictionary<string, string>
            {
                ["architecture"] = FeatureClassifier.ArchitectureVersion,
                ["trainingFingerprint"] = train.Fingerprint,
            });
            Json.WriteFile(infoPath, new CacheEntry(trained.Info, HashFile(weightsPath)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.Report($"feature classifier ({train.Name}): could not write the cache entry {folder} ({e.Message}); the classifier is used without caching. Set {EnvironmentVariable} to a writable folder.");
        }
        return trained;
    }

    static TrainedFeatureClassifier Load(Dataset train, string weightsPath, string infoPath)
    {
        var entry = Json.ReadFile<CacheEntry>(infoPath);
        var info = entry.Classifier ?? throw new InvalidDataException($"{infoPath}: the 'classifier' field is missing");
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: file not found", weightsPath);
        var hash = HashFile(weightsPath);
        if (hash != entry.WeightsSha256)
            throw new InvalidDataException($"{weightsPath}: SHA-256 {hash} differs from {entry.WeightsSha256} recorded in {InfoFile}; the file is damaged");
        if (info.ArchitectureVersion != FeatureClassifier.ArchitectureVersion)
            throw new InvalidDataException($"{infoPath}: architecture '{info.ArchitectureVersion}', expected '{FeatureClassifier.ArchitectureVersion}'");
        if (info.TrainingFingerprint != train.Fingerprint)
            throw new InvalidDataException($"{infoPath}: trained on data with fingerprint {info.TrainingFingerprint}, not {train.Fingerprint}");
        if (!new long[] { info.Channels, info.Height, info.Width }.SequenceEqual(train.SampleShape) || info.ClassCount != train.ClassNames.Count)
            throw new InvalidDataException($"{infoPath}: describes {info.Channels}×{info.Height}×{info.Width} images of {info.ClassCount} classes, but '{train.Name}' has [{string.Join(", ", train.SampleShape)}] and {train.ClassNames.Count} classes");
        var classifier = new FeatureClassifier(info.Channels, info.Height, info.Width, info.ClassCount);
        try
        {
            ModuleWeights.Load(classifier, weightsPath);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
        classifier.eval();
        return new TrainedFeatureClassifier(classifier, info, LoadedFromCache: true);
    }

    static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The JSON of a cache entry: the classifier description and the SHA-256 of its weights file.</summary>
    sealed record CacheEntry(FeatureClassifierInfo? Classifier, string? WeightsSha256);
}
