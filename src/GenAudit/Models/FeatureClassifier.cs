using GenAudit.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenAudit.Models;

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
public sealed partial class FeatureClassifier : nn.Module<Tensor, Tensor>
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
