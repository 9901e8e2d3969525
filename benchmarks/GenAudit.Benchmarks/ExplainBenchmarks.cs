using BenchmarkDotNet.Attributes;
using GenAudit.Explain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenAudit.Benchmarks;

/// <summary>
/// KernelSHAP over the 100 latent dimensions of a DCGAN-sized generator (z 100 → 28×28) with a
/// class-logit target of a small convolutional classifier: 4,096 coalitions per example. Reports the
/// total time and, through <see cref="LastModelShare"/>, the share spent inside the model (goal ≥ 90%).
/// The generator and classifier here stand in for the MNIST DCGAN and feature classifier of the
/// Models folder, with the same layer sizes.
/// </summary>
[MemoryDiagnoser]
public class ExplainBenchmarks
{
    BenchGenerator generator = null!;
    BenchClassifier classifier = null!;
    Tensor z = null!;
    AttributionTarget target = null!;

    /// <summary>Model batch size of the attribution (the CLI's --batch).</summary>
    [Params(256)]
    public int Batch { get; set; }

    /// <summary>Share of the last run's time spent inside the model.</summary>
    public static double LastModelShare { get; private set; }

    /// <summary>Builds the eval-mode models and one latent vector.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        generator = new BenchGenerator();
        classifier = new BenchClassifier();
        generator.eval();
        classifier.eval();
        z = randn(1, 100, generator: new Generator(1));
        target = AttributionTarget.Compose(latent => generator.forward(latent), AttributionTarget.From(images => classifier.forward(images)[.., 3], "class:3"));
    }

    /// <summary>One KernelSHAP attribution of one latent vector with 4,096 sampled coalitions.</summary>
    [Benchmark]
    public double KernelShapLatent100x4096()
    {
        using var result = new KernelShap(target, new KernelShapOptions { Samples = 4096, InternalBatchSize = Batch }).Attribute(z);
        LastModelShare = result.ModelShare;
        return result.CompletenessError![0];
    }

    /// <summary>Prints the model share of the last run next to BenchmarkDotNet's table.</summary>
    [GlobalCleanup]
    public void Cleanup() => Console.WriteLine($"// KernelSHAP model share (last run): {LastModelShare:P1}");
}

/// <summary>DCGAN-style generator: z (B, 100) → Linear → (128, 7, 7) → ConvT → (64, 14, 14) → ConvT → (1, 28, 28) in [−1, 1].</summary>
internal sealed class BenchGenerator : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> project;
    readonly Module<Tensor, Tensor> upsample;

    public BenchGenerator() : base(nameof(BenchGenerator))
    {
        project = Sequential(Linear(100, 128 * 7 * 7), BatchNorm1d(128 * 7 * 7), ReLU());
        upsample = Sequential(
            ConvTranspose2d(128, 64, 4, stride: 2, padding: 1), BatchNorm2d(64), ReLU(), // (B, 64, 14, 14)
            ConvTranspose2d(64, 1, 4, stride: 2, padding: 1), Tanh());                   // (B, 1, 28, 28)
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => upsample.forward(project.forward(z).view(-1, 128, 7, 7));
}

/// <summary>Small MNIST classifier: two conv blocks and a linear layer, (B, 1, 28, 28) → (B, 10) logits.</summary>
internal sealed class BenchClassifier : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> features;
    readonly Module<Tensor, Tensor> head;

    public BenchClassifier() : base(nameof(BenchClassifier))
    {
        features = Sequential(
            Conv2d(1, 32, 3, padding: 1), ReLU(), MaxPool2d(2),  // (B, 32, 14, 14)
            Conv2d(32, 64, 3, padding: 1), ReLU(), MaxPool2d(2)); // (B, 64, 7, 7)
        head = Linear(64 * 7 * 7, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images) => head.forward(features.forward(images).flatten(1));
}
