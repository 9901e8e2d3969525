using GenAudit.Explain;
using TorchSharp;
using static GenAudit.Tests.Explain.ExplainFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class GradientAttributionTests
{
    static readonly double[] Weights = [1.5, -2.0, 0.25, 3.0, -0.5];

    [Fact]
    public void SaliencyOfALinearModelIsTheAbsoluteWeights()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(1, 4, 5);
        using var result = new Saliency(Linear(w)).Attribute(x);
        AssertClose(w.abs().expand(4, 5), result.Attributions, 1e-12);
        AssertClose(x.matmul(w).data<double>().ToArray(), result.TargetAtInput, 1e-12);
    }

    [Fact]
    public void InputTimesGradientOfALinearModelIsWeightTimesInput()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(2, 3, 5);
        using var result = new InputXGradient(Linear(w)).Attribute(x);
        AssertClose(x * w, result.Attributions, 1e-12);
    }

    [Theory]
    [InlineData(IntegrationRule.GaussLegendre)]
    [InlineData(IntegrationRule.RiemannLeft)]
    [InlineData(IntegrationRule.RiemannRight)]
    [InlineData(IntegrationRule.RiemannMiddle)]
    [InlineData(IntegrationRule.RiemannTrapezoid)]
    public void IntegratedGradientsOfALinearModelIsWeightTimesDifference(IntegrationRule rule)
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(3, 6, 5);
        var b = Random(4, 5);
        var ig = new IntegratedGradients(Linear(w), new IntegratedGradientsOptions { Rule = rule, InternalBatchSize = 7 });
        using var result = ig.Attribute(x, Baseline.FromTensor(b));
        AssertClose(w * (x - b), result.Attributions, 1e-6);
        Assert.All(result.CompletenessError!, e => Assert.True(Math.Abs(e) < 1e-6));
        Assert.Equal(6 * 50 + 12, result.ModelEvaluations);
        Assert.Equal(43 + 2, result.ModelCalls); // 300 path points and 12 end points, in batches of at most 7
    }

    [Fact]
    public void IntegratedGradientsIsCompleteOnASmoothNonlinearModel()
    {
        using var scope = NewDisposeScope();
        var target = AttributionTarget.From(Mlp(5, 8), "mlp");
        var x = Random(6, 4, 8) * 2;
        using var result = new IntegratedGradients(target).Attribute(x);
        for (var i = 0; i < 4; i++)
        {
            var gap = Math.Abs(result.TargetAtInput[i] - result.TargetAtBaseline![i]);
            Assert.True(Math.Abs(result.CompletenessError![i]) <= 1e-3 * gap, $"example {i}: completeness error {result.CompletenessError[i]:G3} vs |f(x) − f(b)| = {gap:G3}");
        }
    }

    [Fact]
    public void IntegratedGradientsRefinesAReluNetworkUntilItIsComplete()
    {
        using var scope = NewDisposeScope();
        var f = ReluMlp(11, 6);
        var target = AttributionTarget.From(f, "relu-mlp");
        var x = Random(12, 6, 6) * 2;
        var b = Random(13, 6);
        using var fixedSteps = new IntegratedGradients(target, new IntegratedGradientsOptions { Tolerance = 0 }).Attribute(x, Baseline.FromTensor(b));
        Assert.Contains(Enumerable.Range(0, 6), i => RelativeError(fixedSteps, i) > 1e-3); // 50 fixed steps miss the kinks
        Assert.All(fixedSteps.IntegrationSteps!, s => Assert.Equal(50, s));

        using var result = new IntegratedGradients(target).Attribute(x, Baseline.FromTensor(b));
        // Independent reference: the midpoint rule with 20,000 points (error O(1/N) per kink on a piecewise linear f).
        const int points = 20_000;
        double adaptiveErrors = 0, fixedErrors = 0;
        var alpha = (arange(points, dtype: ScalarType.Float64) + 0.5) / points;
        for (var i = 0; i < 6; i++)
        {
            Assert.True(RelativeError(result, i) <= 1e-3, $"example {i}: relative completeness error {RelativeError(result, i):G3} after {result.IntegrationSteps![i]} steps");
            Assert.InRange(result.IntegrationSteps![i], 50, 16384);
            var path = b.unsqueeze(0) + alpha.unsqueeze(1) * (x[i] - b).unsqueeze(0); // (N, 6)
            var leaf = path.requires_grad_(true);
            var gradients = autograd.grad([f(leaf).sum()], [leaf])[0];
            var reference = gradients.mean([0]) * (x[i] - b);
            var scale = reference.abs().max().item<double>();
            var error = (reference - result.Attributions[i]).abs().max().item<double>();
            var fixedError = (reference - fixedSteps.Attributions[i]).abs().max().item<double>();
            // Completeness checks the sum only; a kink where the path derivative barely jumps can leave a coordinate error (1.4% on example 1).
            Assert.True(error <= 0.02 * scale, $"example {i}: max |φ − reference| = {error:G3} vs max |φ| = {scale:G3}");
            adaptiveErrors += error / scale;
            fixedErrors += fixedError / scale;
        }
        Assert.True(adaptiveErrors < fixedErrors / 5, $"mean relative attribution error {adaptiveErrors / 6:G3} refined vs {fixedErrors / 6:G3} at 50 fixed steps");
        Assert.Contains(result.IntegrationSteps!, s => s > 50);
    }

    [Fact]
    public void IntegratedGradientsStopsAtItsStepBudgetAndReportsTheError()
    {
        using var scope = NewDisposeScope();
        var target = AttributionTarget.From(ReluMlp(11, 6), "relu-mlp");
        var x = Random(12, 6, 6) * 2;
        var b = Baseline.FromTensor(Random(13, 6));
        var options = new IntegratedGradientsOptions { Tolerance = 1e-12, MaxSteps = 70 };
        using var result = new IntegratedGradients(target, options).Attribute(x, b);
        Assert.All(result.IntegrationSteps!, s => Assert.InRange(s, 66, 70)); // 50 + two halves of 2 points per split, while 4 more fit
        var sums = result.Attributions.sum(1).data<double>().ToArray();
        for (var i = 0; i < 6; i++)
            Assert.Equal(sums[i] - (result.TargetAtInput[i] - result.TargetAtBaseline![i]), result.CompletenessError![i], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients(target, new IntegratedGradientsOptions { MaxSteps = 49 }).Attribute(x, b));
    }

    static double RelativeError(AttributionResult result, int i) =>
        Math.Abs(result.CompletenessError![i]) / Math.Abs(result.TargetAtInput[i] - result.TargetAtBaseline![i]);

    [Fact]
    public void IntegratedGradientsGivesSymmetricInputsEqualAttributions()
    {
        using var scope = NewDisposeScope();
        // f(x) = tanh(x0 · x1) + x2² is symmetric in x0 and x1; with x0 = x1 they must get equal shares.
        var target = AttributionTarget.From(x => (x[.., 0] * x[.., 1]).tanh() + x[.., 2].square());
        var x = Doubles(0.8, 0.8, -1.1, 0.8, 0.8, 0.3).view(2, 3);
        using var result = new IntegratedGradients(target).Attribute(x);
        var a = result.Attributions.data<double>().ToArray();
        Assert.Equal(a[0], a[1], 12);
        Assert.Equal(a[3], a[4], 12);
    }

    [Fact]
    public void IntegratedGradientsGivesAnIgnoredFeatureZero()
    {
        using var scope = NewDisposeScope();
        var target = AttributionTarget.From(x => (x[.., 0] * 2).sin() * x[.., 2].exp());
        var x = Random(7, 5, 3);
        using var result = new IntegratedGradients(target).Attribute(x);
        Assert.Equal(0.0, result.Attributions[.., 1].abs().max().item<double>());
    }

    [Fact]
    public void SmoothGradOfALinearModelIsTheWeightsAndVarGradIsZero()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(8, 3, 5);
        var inputTimesGradient = new InputXGradient(Linear(w));
        using var smooth = new NoiseTunnel(new Saliency(Linear(w)), new NoiseTunnelOptions { Samples = 10, InternalBatchSize = 8 }).Attribute(x);
        AssertClose(w.abs().expand(3, 5), smooth.Attributions, 1e-12);
        Assert.Equal("smoothgrad", smooth.Method);
        Assert.Equal(30 + 3, smooth.ModelEvaluations);
        using var variance = new NoiseTunnel(new Saliency(Linear(w)), new NoiseTunnelOptions { Kind = NoiseTunnelKind.VarGrad, Samples = 10 }).Attribute(x);
        Assert.True(variance.Attributions.abs().max().item<double>() < 1e-12);
        // Input × gradient varies with the noise: VarGrad is w² σ², σ = 0.2 · (max − min) of each example, up to sampling error.
        using var noisy = new NoiseTunnel(inputTimesGradient, new NoiseTunnelOptions { Kind = NoiseTunnelKind.VarGrad, Samples = 400, NoiseLevel = 0.2 }).Attribute(x);
        var sigma = (x.amax([1]) - x.amin([1])) * 0.2; // (3,)
        var expected = w.square().unsqueeze(0) * sigma.square().unsqueeze(1);
        Assert.True(((noisy.Attributions - expected).abs() / expected).max().item<double>() < 0.35);
    }

    [Fact]
    public void NoiseTunnelIsReproducibleFromItsSeed()
    {
        using var scope = NewDisposeScope();
        var target = AttributionTarget.From(Mlp(9, 4));
        var x = Random(10, 2, 4);
        var options = new NoiseTunnelOptions { Samples = 5, Seed = 42 };
        using var first = new NoiseTunnel(new Saliency(target), options).Attribute(x);
        using var second = new NoiseTunnel(new Saliency(target), options).Attribute(x);
        AssertClose(first.Attributions, second.Attributions, 0);
    }

    [Fact]
    public void GradientShapOfALinearModelIsWeightTimesDifferenceFromTheBackground()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(11, 3, 5);
        var single = Random(12, 1, 5);
        var shap = new GradientShap(Linear(w), new GradientShapOptions { Samples = 20 });
        using var exact = shap.Attribute(x, Baseline.Background(single));
        AssertClose(w * (x - single), exact.Attributions, 1e-9);
        Assert.All(exact.CompletenessError!, e => Assert.True(Math.Abs(e) < 1e-9));

        // With a larger set the expectation is over the drawn references: error shrinks like 1/sqrt(samples).
        var set = Random(13, 50, 5);
        using var sampled = new GradientShap(Linear(w), new GradientShapOptions { Samples = 2000 }).Attribute(x, Baseline.Background(set));
        var gap = x.matmul(w) - set.matmul(w).mean();
        Assert.All(sampled.CompletenessError!.Zip(gap.data<double>().ToArray()), p => Assert.True(Math.Abs(p.First) < 0.1 * Math.Max(1, Math.Abs(p.Second))));
    }
}
