using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using TorchSharp;
using static GenAudit.Tests.Explain.ExplainFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain.Evaluation;

public class MetricTests
{
    static readonly double[] Weights = [1.5, -2.0, 0.25, 3.0, -0.5, 1.0, -1.25, 0.75];

    static Func<Tensor, Tensor> LinearFunction(Tensor w) => x => x.flatten(1).matmul(w);

    [Fact]
    public void ExactAttributionsOfALinearModelHaveFaithfulnessCorrelationOneAndNoInfidelity()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(1, 5, 8);
        var b = Random(2, 8);
        var exact = w * (x - b); // Shapley values of a linear model
        var baseline = Baseline.FromTensor(b);
        var options = new EvaluationOptions { BatchSize = 7 };
        var correlation = FaithfulnessCorrelation.Compute(LinearFunction(w), x, exact, baseline, options: options);
        Assert.All(correlation, c => Assert.True(Math.Abs(c - 1) < 1e-6, $"correlation {c}"));
        var infidelity = Infidelity.Compute(LinearFunction(w), x, exact, baseline, options: options);
        Assert.All(infidelity.Raw, v => Assert.True(v < 1e-6, $"infidelity {v}"));
        Assert.All(infidelity.Normalised, v => Assert.True(v < 1e-6, $"normalised infidelity {v}"));
    }

    [Fact]
    public void ExactGroupAttributionsOfALinearModelAreFaithfulOverPatches()
    {
        using var scope = NewDisposeScope();
        var w = Random(3, 16);
        var x = Random(4, 3, 1, 4, 4);
        using var mask = FeatureMask.Patches(1, 4, 4, 2);
        var elementExact = (w * x.flatten(1)).view(3, 1, 4, 4);
        var groupExact = zeros(3, 4, dtype: ScalarType.Float64).scatter_add_(1, mask.Groups.flatten().unsqueeze(0).expand(3, -1), elementExact.flatten(1)); // (B, M)
        foreach (var attributions in new[] { elementExact, groupExact })
        {
            var correlation = FaithfulnessCorrelation.Compute(LinearFunction(w), x, attributions, mask: mask);
            Assert.All(correlation, c => Assert.True(Math.Abs(c - 1) < 1e-6, $"correlation {c}"));
            var infidelity = Infidelity.Compute(LinearFunction(w), x, attributions, mask: mask);
            Assert.All(infidelity.Raw, v => Assert.True(v < 1e-6, $"infidelity {v}"));
        }
    }

    [Fact]
    public void GaussianInfidelityOfTheGradientOfALinearModelIsZero()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        var x = Random(5, 4, 8);
        var options = new EvaluationOptions { InfidelityPerturbation = InfidelityPerturbation.Gaussian, InfidelityNoiseStandardDeviation = 0.3 };
        var infidelity = Infidelity.Compute(LinearFunction(w), x, w.expand(4, 8), options: options, multipliedByInputs: false);
        Assert.All(infidelity.Raw, v => Assert.True(v < 1e-12, $"infidelity {v}"));
        Assert.False(infidelity.MultipliedByInputs);
    }

    [Fact]
    public void InfidelityPutsEachMethodInYehEtAlsConvention()
    {
        using var scope = NewDisposeScope();
        // f(x) = w·x: the gradient w and the Shapley values w ⊙ (x − b) are both exact, each in its own convention.
        var w = Doubles(Weights);
        var x = Random(12, 4, 8);
        var b = Random(13, 8);
        var baseline = Baseline.FromTensor(b);
        var gradient = w.expand(4, 8);
        var shapley = w * (x - b);
        var subsets = new EvaluationOptions();
        Assert.All(Infidelity.Compute(LinearFunction(w), x, gradient, baseline, options: subsets, multipliedByInputs: false).Raw, v => Assert.True(v < 1e-12, $"gradient × (x − b) {v}"));
        Assert.All(Infidelity.Compute(LinearFunction(w), x, gradient, baseline, options: subsets).Raw, v => Assert.True(v > 1e-3, $"raw gradient taken as a displacement attribution {v}"));
        var gaussian = new EvaluationOptions { InfidelityPerturbation = InfidelityPerturbation.Gaussian, InfidelityNoiseStandardDeviation = 0.3 };
        var divided = Infidelity.Compute(LinearFunction(w), x, shapley, baseline, options: gaussian);
        Assert.All(divided.Raw, v => Assert.True(v < 1e-12, $"(w ⊙ (x − b)) ⊘ (x − b) {v}"));
        Assert.True(divided.MultipliedByInputs);
    }

    [Fact]
    public void RandomAttributionsOfALinearModelAreNotFaithful()
    {
        using var scope = NewDisposeScope();
        var w = Random(6, 64);
        var x = Random(7, 4, 64);
        var noise = Random(8, 4, 64);
        var correlation = FaithfulnessCorrelation.Compute(LinearFunction(w), x, noise);
        Assert.True(correlation.Average() < 0.3, $"mean correlation of random attributions {correlation.Average():F3}");
        Assert.All(Infidelity.Compute(LinearFunction(w), x, noise).Raw, v => Assert.True(v > 0.1));
    }

    [Fact]
    public void AConstantExplainerHasZeroSensitivity()
    {
        using var scope = NewDisposeScope();
        var x = Random(9, 6, 8);
        foreach (Func<Tensor, Tensor> explainer in new Func<Tensor, Tensor>[] { t => ones_like(t), t => zeros_like(t) })
        {
            var sensitivity = Sensitivity.Compute(explainer, x, new EvaluationOptions { BatchSize = 5, SensitivityRadius = 0.5 });
            Assert.All(sensitivity.Max, v => Assert.Equal(0, v));
            Assert.All(sensitivity.Average, v => Assert.Equal(0, v));
        }
    }

    [Fact]
    public void AZeroNormExplanationDividesByOneAsCaptum()
    {
        using var scope = NewDisposeScope();
        // φ(t) = t at x = 0: ‖φ(x)‖ = 0, so each ratio is ‖u‖₂ itself, with u the seeded uniform draws in [−r, r]^F.
        var x = zeros(3, 8, dtype: ScalarType.Float64);
        var r = 0.1;
        var options = new EvaluationOptions { SensitivityRadius = r, SensitivitySamples = 4 };
        var sensitivity = Sensitivity.Compute(t => t.clone(), x, options);
        var u = (rand([3 * 4, 8], dtype: ScalarType.Float64, generator: new Generator(0)) * 2 - 1) * r;
        var norms = u.square().sum(dim: 1).sqrt().view(3, 4);
        AssertClose(norms.amax([1]).data<double>().ToArray(), sensitivity.Max, 1e-12);
        AssertClose(norms.mean([1]).data<double>().ToArray(), sensitivity.Average, 1e-12);
    }

    [Fact]
    public void TheIdentityExplainerHasSensitivityBoundedByTheRadius()
    {
        using var scope = NewDisposeScope();
        // φ(x) = x moves by u with ‖u‖∞ <= r, so the ratio is at most r·√F / ‖x‖.
        var x = Random(10, 3, 8);
        var r = 0.1;
        var sensitivity = Sensitivity.Compute(t => t.clone(), x, new EvaluationOptions { SensitivityRadius = r });
        var norms = x.square().sum(dim: 1).sqrt().data<double>().ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.InRange(sensitivity.Max[i], 1e-6, r * Math.Sqrt(8) / norms[i]);
            Assert.True(sensitivity.Average[i] <= sensitivity.Max[i]);
        }
    }

    [Fact]
    public void GiniAndEntropyMatchHandWorkedValues()
    {
        // Uniform over 4: Gini 0, entropy ln 4.
        Assert.Equal(0, AttributionStatistics.Gini([2, -2, 2, 2]), 12);
        Assert.Equal(Math.Log(4), AttributionStatistics.Entropy([2, -2, 2, 2]), 12);
        // One-hot over 4: Σ(2k − 5)a_(k) = 3·1, so Gini = 3 / (4·1) = (n − 1)/n; entropy 0.
        Assert.Equal(0.75, AttributionStatistics.Gini([0, 0, -1, 0]), 12);
        Assert.Equal(0, AttributionStatistics.Entropy([0, 0, -1, 0]), 12);
        // (1, 2, 3, 4): (−3·1 − 1·2 + 1·3 + 3·4) / (4·10) = 10/40; entropy of (0.1, 0.2, 0.3, 0.4).
        Assert.Equal(0.25, AttributionStatistics.Gini([4, -1, 3, 2]), 12);
        Assert.Equal(1.2798542258336676, AttributionStatistics.Entropy([4, -1, 3, 2]), 12);
        Assert.True(double.IsNaN(AttributionStatistics.Gini([0, 0])));
    }

    [Fact]
    public void SparsenessAndComplexityOfABatchUseFeatureSums()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 4, dtype: ScalarType.Float64);
        var a = Doubles(1, 1, 1, 1, 0, 0, 5, 0).view(2, 4);
        var (sparseness, complexity) = AttributionStatistics.Compute(x, a);
        AssertClose(new[] { 0.0, 0.75 }, sparseness, 1e-12);
        AssertClose(new[] { Math.Log(4), 0.0 }, complexity, 1e-12);
        // Two groups {0, 1} and {2, 3}: the first example's sums are (2, 2), the second's (0, 5).
        using var mask = FeatureMask.FromGroups(tensor(new long[] { 0, 0, 1, 1 }));
        (sparseness, complexity) = AttributionStatistics.Compute(x, a, mask);
        AssertClose(new[] { 0.0, 0.5 }, sparseness, 1e-12);
        AssertClose(new[] { Math.Log(2), 0.0 }, complexity, 1e-12);
    }

    [Fact]
    public void DeletionAndInsertionMatchAHandWorkedLinearModel()
    {
        using var scope = NewDisposeScope();
        // f = 3x₀ + 2x₁ + x₂ at x = 1, baseline 0, ranked (0, 1, 2), three steps:
        // deletion f = 6, 3, 1, 0 → area (1/3)(4.5 + 2 + 0.5) = 7/3, normalised by f(x) − f(b) = 6 → 7/18;
        // insertion f = 0, 3, 5, 6 → area (1/3)(1.5 + 4 + 5.5) = 11/3 → 11/18.
        Func<Tensor, Tensor> f = x => x.matmul(Doubles(3, 2, 1));
        var x = ones(1, 3, dtype: ScalarType.Float64);
        var options = new EvaluationOptions { CurveSteps = 3, BatchSize = 2 };
        var good = DeletionInsertion.Compute(f, x, Doubles(3, 2, 1).view(1, 3), options: options);
        AssertClose(new[] { 0, 1 / 3.0, 2 / 3.0, 1 }, good.Fractions, 1e-12);
        AssertClose(new[] { 6.0, 3, 1, 0 }, good.DeletionCurves[0], 1e-12);
        AssertClose(new[] { 0.0, 3, 5, 6 }, good.InsertionCurves[0], 1e-12);
        AssertClose(new[] { 7 / 3.0 }, good.DeletionAucRaw, 1e-12);
        AssertClose(new[] { 7 / 18.0 }, good.DeletionAuc, 1e-12);
        AssertClose(new[] { 11 / 18.0 }, good.InsertionAuc, 1e-12);
        // The reverse ranking swaps the two: deletion 6, 5, 3, 0 → 11/18.
        var bad = DeletionInsertion.Compute(f, x, Doubles(1, 2, 3).view(1, 3), options: options);
        AssertClose(new[] { 11 / 18.0 }, bad.DeletionAuc, 1e-12);
        AssertClose(new[] { 7 / 18.0 }, bad.InsertionAuc, 1e-12);
    }

    [Fact]
    public void DeletionStepsRoundTheFeatureCountAndHonourABaseline()
    {
        using var scope = NewDisposeScope();
        // Four features, two steps: 0, 2, 4 removed. f = Σx, x = (4, 3, 2, 1), baseline 1:
        // deletion 10, 5 (x = 1, 1, 2, 1), 4; raw area ½(10 + 5)/2 + ½(5 + 4)/2 = 6; f(b) = 4, so normalised (6 − 4) / 6 = 1/3.
        Func<Tensor, Tensor> f = x => x.sum(dim: 1);
        var x = Doubles(4, 3, 2, 1).view(1, 4);
        var result = DeletionInsertion.Compute(f, x, x, Baseline.FromTensor(ones(4, dtype: ScalarType.Float64)), options: new EvaluationOptions { CurveSteps = 2 });
        AssertClose(new[] { 0, 0.5, 1 }, result.Fractions, 1e-12);
        AssertClose(new[] { 10.0, 5, 4 }, result.DeletionCurves[0], 1e-12);
        AssertClose(new[] { 1 / 3.0 }, result.DeletionAuc, 1e-12);
    }

    [Fact]
    public void EveryMetricSendsItsPerturbedInputsInBatches()
    {
        using var scope = NewDisposeScope();
        var w = Doubles(Weights);
        long largest = 0, calls = 0;
        Func<Tensor, Tensor> f = x => { calls++; largest = Math.Max(largest, x.shape[0]); return x.matmul(w); };
        var x = Random(11, 5, 8);
        var options = new EvaluationOptions { BatchSize = 6 };
        DeletionInsertion.Compute(f, x, w * x, options: options);
        FaithfulnessCorrelation.Compute(f, x, w * x, options: options);
        Infidelity.Compute(f, x, w * x, options: options);
        Sensitivity.Compute(t => { calls++; largest = Math.Max(largest, t.shape[0]); return t * w; }, x, options);
        Assert.True(calls > 50);
        Assert.Equal(6, largest);
    }

    [Fact]
    public void TheScoreCombinesItsComponentsAsDocumented()
    {
        Assert.Equal(0.7, ExplainabilityScore.Faithfulness(0.9, 0.1, 0.6), 12);
        Assert.Equal(0, ExplainabilityScore.Faithfulness(0.3, 0.6, -0.4), 12);
        Assert.Equal(0.3, ExplainabilityScore.Faithfulness(double.NaN, double.NaN, 0.3), 12);
        Assert.Equal(0.8, ExplainabilityScore.Robustness(0.2), 12);
        Assert.Equal(0, ExplainabilityScore.Robustness(double.PositiveInfinity), 12);
        Assert.Equal(0.75, ExplainabilityScore.Sanity([0.5, -0.2]), 12);
        Assert.Equal(0.5 * 0.7 + 0.25 * 0.8 + 0.25 * 0.75, ExplainabilityScore.Combine(new ExplainabilityComponents(0.7, 0.8, 0.75)), 12);
        Assert.Equal((0.5 * 0.7 + 0.25 * 0.8) / 0.75, ExplainabilityScore.Combine(new ExplainabilityComponents(0.7, 0.8, double.NaN)), 12);
    }
}
