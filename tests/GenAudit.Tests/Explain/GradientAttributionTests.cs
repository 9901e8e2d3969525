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
        // Input × gradient varies with the noise: VarGrad is w² σ², up to sampling error.
        using var noisy = new NoiseTunnel(inputTimesGradient, new NoiseTunnelOptions { Kind = NoiseTunnelKind.VarGrad, Samples = 400, NoiseStandardDeviation = 0.5 }).Attribute(x);
        var expected = (w.square() * 0.25).expand(3, 5);
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
