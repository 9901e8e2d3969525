using BenchmarkDotNet.Attributes;
using GenAudit.Explain;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// KernelSHAP over the 100 latent dimensions of the MNIST DCGAN (<see cref="GanGenerator"/> with latent 100,
/// width 64, 1×28×28 outputs) with a class-logit target of the <see cref="FeatureClassifier"/>: 4,096 coalitions
/// per example. Reports the total time and, through <see cref="LastModelShare"/>, the share spent inside the
/// model (goal ≥ 90%). Weights are freshly initialised: the cost does not depend on them.
/// </summary>
[MemoryDiagnoser]
public class ExplainBenchmarks
{
    GanGenerator generator = null!;
    FeatureClassifier classifier = null!;
    Tensor z = null!;
    AttributionTarget target = null!;

    /// <summary>Model batch size of the attribution (the CLI's --batch).</summary>
    [Params(64, 256)]
    public int Batch { get; set; }

    /// <summary>Share of the last run's time spent inside the model.</summary>
    public static double LastModelShare { get; private set; }

    /// <summary>Builds the eval-mode models and one latent vector.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (generator, classifier) = MnistDcgan.Create();
        z = randn(1, 100, generator: new Generator(1));
        target = MnistDcgan.ClassTarget(generator, classifier, 3);
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
    public void Cleanup() => Console.WriteLine($"// KernelSHAP model share (last run, batch {Batch}): {LastModelShare:P1}");
}

/// <summary>The MNIST DCGAN of the benchmarks: the library's generator and feature classifier, in eval mode.</summary>
internal static class MnistDcgan
{
    /// <summary>GanGenerator(latent 100, width 64, 1×28×28) and FeatureClassifier(1×28×28, 10 classes), seeded.</summary>
    public static (GanGenerator Generator, FeatureClassifier Classifier) Create()
    {
        torch.manual_seed(0);
        var generator = new GanGenerator(new ModelConfig { LatentSize = 100, Width = 64, DataShape = [1, 28, 28] });
        var classifier = new FeatureClassifier(1, 28, 28, 10);
        generator.eval();
        classifier.eval();
        return (generator, classifier);
    }

    /// <summary>z ↦ classifier logit of class <paramref name="c"/> on G(z), as ModelTargets builds class:&lt;c&gt;.</summary>
    public static AttributionTarget ClassTarget(GanGenerator generator, FeatureClassifier classifier, int c) =>
        AttributionTarget.Compose(latent => generator.Generate(latent), AttributionTarget.From(images => classifier.Logits(images).select(1, c), $"class:{c}"));
}
