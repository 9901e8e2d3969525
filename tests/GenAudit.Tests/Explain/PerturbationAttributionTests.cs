using GenAudit.Explain;
using TorchSharp;
using static GenAudit.Tests.Explain.ExplainFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class PerturbationAttributionTests
{
    static readonly double[] Weights = [1.5, -2.0, 0.25, 3.0, -0.5, 0.75];

    [Fact]
    public void FeatureAblationOfALinearModelIsWeightTimesDifference()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(1, 4, 6);
        var b = Random(2, 6);
        using var result = new FeatureAblation(Linear(w), new AttributionOptions { InternalBatchSize = 5 }).Attribute(x, baseline: Baseline.FromTensor(b));
        AssertClose(w * (x - b), result.Attributions, 1e-6);
        Assert.Equal(4 * 6 + 8, result.ModelEvaluations);
    }

    [Fact]
    public void ExactKernelShapOfALinearModelIsWeightTimesDifference()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(3, 3, 6);
        var b = Random(4, 6);
        using var result = new KernelShap(Linear(w), new KernelShapOptions { InternalBatchSize = 50 }).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.Equal("true", result.Parameters["exact"]);
        Assert.Equal("62", result.Parameters["coalitions"]);
        AssertClose(w * (x - b), result.Attributions, 1e-6);
        Assert.All(result.CompletenessError!, e => Assert.True(Math.Abs(e) < 1e-9));
    }

    [Fact]
    public void KernelShapOfAnAdditiveModelIsEachTermsChange()
    {
        using var scope = NewDisposeScope();
        // f(x) = sin(2 x0) + x1³ + exp(x2) + |x3| + tanh(x4)
        static Tensor Terms(Tensor x) => stack([(x[.., 0] * 2).sin(), x[.., 1].pow(3), x[.., 2].exp(), x[.., 3].abs(), x[.., 4].tanh()], 1);
        var target = AttributionTarget.From(x => Terms(x).sum(1));
        var x = Random(5, 4, 5);
        var b = Random(6, 1, 5) * 0.3;
        using var result = new KernelShap(target).Attribute(x, baseline: Baseline.FromTensor(b));
        AssertClose(Terms(x) - Terms(b), result.Attributions, 1e-9);
    }

    [Fact]
    public void ExactKernelShapOfAnMlpEqualsBruteForceShapleyValues()
    {
        using var scope = NewDisposeScope();
        var mlp = Mlp(7, 10);
        var x = Random(8, 3, 10) * 1.5;
        var b = Random(9, 10) * 0.2;
        using var result = new KernelShap(AttributionTarget.From(mlp), new KernelShapOptions { Samples = 1022, InternalBatchSize = 512 }).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.Equal("true", result.Parameters["exact"]);
        for (var i = 0; i < 3; i++)
            AssertClose(BruteForceShapley(mlp, x[i], b), result.Attributions[i].data<double>().ToArray(), 1e-5);
    }

    [Theory]
    [InlineData(CoalitionSampling.Kernel, false)]
    [InlineData(CoalitionSampling.Kernel, true)]
    [InlineData(CoalitionSampling.Leverage, true)]
    [InlineData(CoalitionSampling.LeverageWithoutReplacement, false)]
    [InlineData(CoalitionSampling.LeverageWithoutReplacement, true)]
    [InlineData(CoalitionSampling.KernelWithoutReplacement, true)]
    public void EverySampledKernelShapGivesALinearModelWeightTimesDifference(CoalitionSampling sampling, bool paired)
    {
        using var scope = NewDisposeScope();
        var w = Random(20, 10);
        var x = Random(21, 2, 10);
        var b = Random(22, 10);
        var options = new KernelShapOptions { Samples = 200, Sampling = sampling, Paired = paired, InternalBatchSize = 512 };
        using var result = new KernelShap(Linear(w), options).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.Equal("false", result.Parameters["exact"]);
        AssertClose(w * (x - b), result.Attributions, 1e-9);
    }

    /// <summary>
    /// The default sampler draws distinct coalitions; at 512 of the 1,022 coalitions over 10 features the small and large
    /// sizes are complete, and the estimate is within 2% of max |φ| of the brute-force Shapley values
    /// (worst over these seeds and examples: 1.17%).
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void DefaultSampledKernelShapOfAnMlpIsCloseToBruteForce(long seed)
    {
        using var scope = NewDisposeScope();
        var mlp = Mlp(7, 10);
        var x = Random(8, 3, 10) * 1.5;
        var b = Random(9, 10) * 0.2;
        using var result = new KernelShap(AttributionTarget.From(mlp), new KernelShapOptions { Samples = 512, Seed = seed, InternalBatchSize = 512 }).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.Equal("false", result.Parameters["exact"]);
        for (var i = 0; i < 3; i++)
        {
            var exact = BruteForceShapley(mlp, x[i], b);
            var estimate = result.Attributions[i].data<double>().ToArray();
            var error = exact.Zip(estimate).Max(p => Math.Abs(p.First - p.Second)) / exact.Max(Math.Abs);
            Assert.True(error <= 0.02, $"example {i}: max error {error:P2} of max |φ|");
        }
    }

    /// <summary>
    /// Documented bound (docs/explain-methods.md): with 512 paired kernel samples over 10 features the largest
    /// absolute error is below 0.1 · max|φ| + 0.02 · |f(x) − f(b)|. Over seeds 0..199 and the three
    /// examples of this fixture the worst error was 0.061 · max|φ|, 0.52 of the bound.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void SampledKernelShapOfAnMlpIsWithinTheDocumentedErrorOfBruteForce(long seed)
    {
        using var scope = NewDisposeScope();
        var mlp = Mlp(7, 10);
        var x = Random(8, 3, 10) * 1.5;
        var b = Random(9, 10) * 0.2;
        using var result = new KernelShap(AttributionTarget.From(mlp), new KernelShapOptions { Samples = 512, Seed = seed, Sampling = CoalitionSampling.Kernel, InternalBatchSize = 512 }).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.Equal("false", result.Parameters["exact"]);
        for (var i = 0; i < 3; i++)
        {
            var exact = BruteForceShapley(mlp, x[i], b);
            var estimate = result.Attributions[i].data<double>().ToArray();
            var bound = 0.1 * exact.Max(Math.Abs) + 0.02 * Math.Abs(result.TargetAtInput[i] - result.TargetAtBaseline![i]);
            var error = exact.Zip(estimate).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(error <= bound, $"example {i}: max error {error:G3} > bound {bound:G3}");
            Assert.True(Math.Abs(result.CompletenessError![i]) < 1e-9);
        }
    }

    [Fact]
    public void KernelShapOverPatchesOfALinearImageModelSumsEachPatch()
    {
        using var scope = NewDisposeScope();
        var w = Random(10, 36);
        var x = Random(11, 2, 1, 6, 6);
        using var mask = FeatureMask.Patches(1, 6, 6, 3);
        Assert.Equal(4, mask.Count);
        using var result = new KernelShap(Linear(w)).Attribute(x, mask);
        var contributions = (x.flatten(1) * w).view(2, 2, 3, 2, 3).sum([2, 4]); // (B, patch row, patch column)
        AssertClose(contributions.flatten(1), result.GroupAttributions!, 1e-9);
        AssertClose(result.GroupAttributions![.., 0].unsqueeze(1).expand(2, 9), result.Attributions[.., 0, ..3, ..3].flatten(1), 0);
    }

    [Fact]
    public void LimeFitsALinearModelExactly()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(12, 3, 6);
        var b = Random(13, 6);
        using var result = new Lime(Linear(w), new LimeOptions { Samples = 300 }).Attribute(x, baseline: Baseline.FromTensor(b));
        Assert.All(result.RSquared!, r => Assert.True(Math.Abs(1 - r) < 1e-6, $"R² = {r:R}"));
        // The tiny relative ridge (1e-5 against weighted feature variances near 0.1, features correlated by the kernel) shrinks coefficients by about 3e-4.
        var expected = w * (x - b);
        var shrink = ((result.Attributions - expected).abs() / expected.abs()).max().item<double>();
        Assert.True(shrink < 1e-3, $"largest relative shrinkage {shrink:G3}");
    }

    [Fact]
    public void LimeAndKernelShapStopWithAClearErrorOnNonFiniteOutputs()
    {
        using var scope = NewDisposeScope();
        // NaN wherever feature 0 is at the baseline: the perturbed outputs are NaN, the ends are finite.
        var target = AttributionTarget.From(t => where(t[.., 0].eq(0), full_like(t[.., 0], double.NaN), t.sum(1)));
        var x = Random(30, 2, 6).abs() + 1;
        var lime = Assert.Throws<ArgumentException>(() => new Lime(target, new LimeOptions { Samples = 50 }).Attribute(x));
        Assert.Contains("lime", lime.Message);
        Assert.Contains("NaN", lime.Message);
        var shap = Assert.Throws<ArgumentException>(() => new KernelShap(target, new KernelShapOptions { Samples = 40 }).Attribute(x));
        Assert.Contains("kernelshap", shap.Message);
        var singular = Assert.Throws<ArgumentException>(() => LinearSolve.SolveSymmetric(Doubles(-1, 0, 0, -1).view(2, 2), Doubles(1, 1).view(2, 1), "lime"));
        Assert.Contains("singular", singular.Message);
        Assert.Throws<ArgumentException>(() => LinearSolve.SolveSymmetric(Doubles(double.NaN, 0, 0, 1).view(2, 2), Doubles(1, 1).view(2, 1), "lime"));
    }

    [Fact]
    public void LimeReportsAPoorFitOnAStronglyInteractingModel()
    {
        using var scope = NewDisposeScope();
        var target = AttributionTarget.From(x => x.prod(1), "product");
        var x = ones(1, 6, dtype: ScalarType.Float64) * 2;
        using var result = new Lime(target).Attribute(x);
        Assert.InRange(result.RSquared![0], 0.0, 0.9);
    }

    [Fact]
    public void OcclusionOfALinearModelIsTheMeanWindowedSum()
    {
        using var scope = NewDisposeScope();
        var w = Random(14, 36);
        var x = Random(15, 2, 1, 6, 6);
        var contributions = (x.flatten(1) * w).view(2, 6, 6).data<double>().ToArray();
        foreach (var stride in new long[] { 2, 1 })
        {
            var occlusion = new Occlusion(Linear(w), new OcclusionOptions { WindowShape = [1, 2, 2], Strides = [1, stride, stride], InternalBatchSize = 16 });
            using var result = occlusion.Attribute(x);
            var actual = result.Attributions.data<double>().ToArray();
            for (var example = 0; example < 2; example++)
                for (var row = 0; row < 6; row++)
                    for (var column = 0; column < 6; column++)
                    {
                        // Independent computation: average, over windows covering (row, column), of the window's sum.
                        double sum = 0;
                        var count = 0;
                        for (var top = 0; top + 2 <= 6; top += (int)stride)
                            for (var left = 0; left + 2 <= 6; left += (int)stride)
                            {
                                if (row < top || row >= top + 2 || column < left || column >= left + 2) continue;
                                count++;
                                for (var r = top; r < top + 2; r++)
                                    for (var c = left; c < left + 2; c++)
                                        sum += contributions[example * 36 + r * 6 + c];
                            }
                        Assert.Equal(sum / count, actual[example * 36 + row * 6 + column], 9);
                    }
        }
    }

    [Fact]
    public void PerturbationMethodsRejectMismatchedMasks()
    {
        using var scope = NewDisposeScope();
        using var mask = FeatureMask.Identity(5);
        var error = Assert.Throws<ArgumentException>(() => new KernelShap(Linear(Doubles(Weights))).Attribute(Random(1, 2, 6), mask));
        Assert.Contains("feature mask 'identity'", error.Message);
    }
}
