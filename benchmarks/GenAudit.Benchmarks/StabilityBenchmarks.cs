using BenchmarkDotNet.Attributes;
using GenAudit.Models;
using GenAudit.Stability;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// Cost of the stability pair families on an MNIST-DCGAN-sized generator (latent 100 → 1×28×28):
/// 1,000 local pairs × 4 ε with all three similarities, against the bare forward passes they need
/// (1,000 reference samples + 4 × 1,000 perturbed samples), and the worst-case search.
/// </summary>
[MemoryDiagnoser]
public class StabilityBenchmarks
{
    static readonly double[] Epsilons = [0.01, 0.03, 0.1, 0.3];
    const int Pairs = 1000;
    const int BatchSize = 250;

    DcganSizedGenerator model = null!;
    Tensor latents = null!;

    /// <summary>Builds the generator in evaluation mode and the latents of the bare-forward baseline.</summary>
    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        model = new DcganSizedGenerator();
        using var generator = new Generator(0);
        latents = randn(new long[] { Pairs * (1 + Epsilons.Length), 100 }, generator: generator);
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

    /// <summary>Worst-case search with the default settings (250 samples, 20 steps, 2 restarts) at one ε, normalised L2.</summary>
    [Benchmark]
    public IReadOnlyList<PairScore> WorstCaseOneEpsilon()
    {
        using var generator = new Generator(2);
        return PairStability.WorstCase(model, [0.1], [SimilarityKind.NormalizedL2], new StabilityOptions(), generator);
    }

    /// <summary>
    /// The shape of the DCGAN generator for 28×28 MNIST (Radford et al. 2016): latent 100 → 128×7×7 →
    /// 64×14×14 → 1×28×28, batch norm and ReLU between, sigmoid at the end; in evaluation mode.
    /// </summary>
    public sealed class DcganSizedGenerator : nn.Module<Tensor, Tensor>, IGenerativeModel
    {
        readonly Linear project;
        readonly BatchNorm2d norm1;
        readonly ConvTranspose2d up1;
        readonly BatchNorm2d norm2;
        readonly ConvTranspose2d up2;

        /// <summary>Creates the layers with torch's default initialisation and switches to evaluation mode.</summary>
        public DcganSizedGenerator() : base(nameof(DcganSizedGenerator))
        {
            project = nn.Linear(100, 128 * 7 * 7);
            norm1 = nn.BatchNorm2d(128);
            up1 = nn.ConvTranspose2d(128, 64, 4, stride: 2, padding: 1);
            norm2 = nn.BatchNorm2d(64);
            up2 = nn.ConvTranspose2d(64, 1, 4, stride: 2, padding: 1);
            RegisterComponents();
            eval();
        }

        /// <inheritdoc/>
        public int LatentSize => 100;

        /// <inheritdoc/>
        public int ConditionCount => 0;

        /// <inheritdoc/>
        public long[] OutputShape => [1, 28, 28];

        /// <inheritdoc/>
        public bool IsDifferentiable => true;

        /// <inheritdoc/>
        public Device Device => CPU;

        /// <inheritdoc/>
        public Tensor Generate(Tensor z, Tensor? condition = null) => forward(z);

        /// <inheritdoc/>
        public override Tensor forward(Tensor z)
        {
            using var scope = NewDisposeScope();
            var x = project.forward(z).view(-1, 128, 7, 7);               // (B, 128, 7, 7)
            x = nn.functional.relu(norm1.forward(x));
            x = nn.functional.relu(norm2.forward(up1.forward(x)));        // (B, 64, 14, 14)
            return up2.forward(x).sigmoid().MoveToOuterDisposeScope();    // (B, 1, 28, 28)
        }
    }
}
