using BenchmarkDotNet.Attributes;
using GenAudit.Models;
using GenAudit.Stability;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// Cost of the stability pair families on the MNIST DCGAN that <c>genaudit train --data mnist</c> builds
/// (<see cref="TrainingConfig.DefaultsFor"/>("mnist"): latent 64, width 64, 1×28×28, eval mode):
/// 1,000 local pairs × 4 ε with all three similarities (pixel cosine: no classifier here), against
/// the bare forward passes they need (1,000 reference samples + 4 × 1,000 perturbed samples), and
/// the worst-case search at one ε (one search scoring all three similarities).
/// </summary>
[MemoryDiagnoser]
public class StabilityBenchmarks
{
    static readonly double[] Epsilons = [0.01, 0.03, 0.1, 0.3];
    const int Pairs = 1000;
    const int BatchSize = 250;

    GanGenerator model = null!;
    Tensor latents = null!;

    /// <summary>Builds the generator in evaluation mode and the latents of the bare-forward baseline.</summary>
    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        model = new GanGenerator(TrainingConfig.DefaultsFor("mnist").Model with { DataShape = [1, 28, 28] });
        model.eval();
        using var generator = new Generator(0);
        latents = randn(new long[] { Pairs * (1 + Epsilons.Length), model.LatentSize }, generator: generator);
    }

    /// <summary>Releases the generator and the latents.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        latents.Dispose();
        model.Dispose();
    }

    /// <summary>The forward passes that 1,000 pairs × 4 ε need, with nothing else.</summary>
    [Benchmark(Baseline = true)]
    public void BareForwardPasses()
    {
        using var noGrad = no_grad();
        for (long start = 0; start < latents.shape[0]; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            model.Generate(latents.narrow(0, start, BatchSize));
        }
    }

    /// <summary>1,000 local pairs × 4 ε, SSIM, pixel cosine and normalised L2.</summary>
    [Benchmark]
    public IReadOnlyList<PairScore> LocalPairs()
    {
        using var generator = new Generator(1);
        return PairStability.Local(model, Epsilons, [SimilarityKind.Ssim, SimilarityKind.Cosine, SimilarityKind.NormalizedL2], Pairs, BatchSize, generator);
    }

    /// <summary>Worst-case search with the default settings at one ε: one search on normalised L2, all three similarities scored.</summary>
    [Benchmark]
    public IReadOnlyList<PairScore> WorstCaseOneEpsilon()
    {
        using var generator = new Generator(2);
        return PairStability.WorstCase(model, [0.1], [SimilarityKind.Ssim, SimilarityKind.Cosine, SimilarityKind.NormalizedL2], new StabilityOptions(), generator);
    }
}
