using BenchmarkDotNet.Attributes;
using GenAudit.Application;
using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// `genaudit explain --compare` over five methods (IG, saliency, SmoothGrad, KernelSHAP and LIME over
/// latent groups of 20) on 100 latent samples of the MNIST DCGAN (<see cref="MnistDcgan"/>: the library's
/// GanGenerator with latent 100 and the FeatureClassifier) with a class-logit target: every metric, the
/// score, and the cascading randomisation of the generator's weight layers, top down
/// (<see cref="ExplainRunner.LayersTopDown"/>).
/// </summary>
[MemoryDiagnoser]
public class ExplanationEvaluationBenchmarks
{
    GanGenerator generator = null!;
    FeatureClassifier classifier = null!;
    Tensor z = null!;
    AttributionTarget target = null!;
    FeatureMask latentGroups = null!;

    /// <summary>Number of latent samples n.</summary>
    [Params(100)]
    public int Samples { get; set; }

    /// <summary>Model batch size of the metrics and the methods (the CLI's --batch).</summary>
    [Params(256)]
    public int Batch { get; set; }

    /// <summary>Builds the eval-mode models, the latent samples and the latent mask.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (generator, classifier) = MnistDcgan.Create();
        z = randn(Samples, 100, generator: new Generator(1));
        target = MnistDcgan.ClassTarget(generator, classifier, 3);
        latentGroups = FeatureMask.LatentGroups(100, 20);
    }

    /// <summary>The five methods as the CLI would build them.</summary>
    internal static IReadOnlyList<ExplanationMethod> Methods(AttributionTarget target, FeatureMask latentGroups, int batch) =>
    [
        ExplanationMethod.FromResult("ig", x => new IntegratedGradients(target, new IntegratedGradientsOptions { InternalBatchSize = batch }).Attribute(x)),
        ExplanationMethod.FromResult("saliency", x => new Saliency(target, new AttributionOptions { InternalBatchSize = batch }).Attribute(x)),
        ExplanationMethod.FromResult("smoothgrad", x => new NoiseTunnel(new Saliency(target, new AttributionOptions { InternalBatchSize = batch }),
                                                                          new NoiseTunnelOptions { InternalBatchSize = batch }).Attribute(x)),
        ExplanationMethod.FromResult("kernelshap", x => new KernelShap(target, new KernelShapOptions { InternalBatchSize = batch }).Attribute(x, latentGroups)),
        ExplanationMethod.FromResult("lime", x => new Lime(target, new LimeOptions { Samples = 200, InternalBatchSize = batch }).Attribute(x, latentGroups)),
    ];

    /// <summary>All metrics and the ranking for five methods on the samples; returns the top-level explainability.</summary>
    [Benchmark]
    public double CompareFiveMethods()
    {
        var evaluator = new ExplanationEvaluator(t => target.Evaluate(t), new EvaluationOptions { BatchSize = Batch });
        var report = evaluator.Evaluate(Methods(target, latentGroups, Batch), z, randomisation: new RandomisationSetup(generator, ExplainRunner.LayersTopDown(generator)));
        return report.Explainability;
    }

    /// <summary>Frees the latent mask.</summary>
    [GlobalCleanup]
    public void Cleanup() => latentGroups.Dispose();
}
