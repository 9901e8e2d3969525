using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

/// <summary>R1, the WGAN-GP penalty and the weight penalty on critics whose input gradients are known in closed form.</summary>
public class RegularisersTests
{
    // Four image-shaped real examples (B, 1, 2, 2) and four fakes, so the penalties' flatten(1) is exercised.
    static Tensor Batch(params double[] values) => tensor(values, [values.Length / 4, 1, 2, 2], ScalarType.Float64);

    static readonly double[] W = [1, -2, 0.5, 3];   // ‖w‖² = 14.25

    static Tensor Linear(Tensor x, Tensor w) => (x.flatten(1) * w).sum(1) + 0.7;   // (B,): ∇ₓD = w everywhere

    static Tensor Quadratic(Tensor x, Tensor c) => 0.5 * (c * x.flatten(1).pow(2)).sum(1);   // ∇ₓD = c ⊙ x

    [Fact]
    public void R1OfALinearDiscriminatorIsHalfGammaTimesTheSquaredWeightNorm()
    {
        using var scope = NewDisposeScope();
        var w = tensor(W, ScalarType.Float64);
        var real = Batch(0.1, 0.2, 0.3, 0.4, -1, 2, -3, 4, 5, 0, 0, 5).requires_grad_(true);
        var penalty = Regularisers.R1(Linear(real, w), real, gamma: 0.4);
        Assert.Equal(0.4 / 2 * 14.25, penalty.item<double>(), 1e-13);
    }

    [Fact]
    public void R1AveragesTheSquaredGradientNormOverTheBatchAndKeepsItsGraph()
    {
        using var scope = NewDisposeScope();
        var c = tensor(new double[] { 1, 2, 0.5, 1 }, ScalarType.Float64).requires_grad_(true);
        double[] x = [1, 1, 1, 1, 2, 0, -2, 0, 0, 1, 0, 3];
        var real = Batch(x).requires_grad_(true);
        var penalty = Regularisers.R1(Quadratic(real, c), real, gamma: 2);
        // ‖c ⊙ x‖² per example: 1 + 4 + 0.25 + 1 = 6.25; 4 + 0 + 1 + 0 = 5; 0 + 4 + 0 + 9 = 13; mean 8.0833.
        Assert.Equal((6.25 + 5 + 13) / 3, penalty.item<double>(), 1e-13);
        // The penalty must back-propagate to the discriminator: ∂/∂c_j of (γ/2)·mean Σ c_j² x_ij² is γ c_j mean_i x_ij².
        penalty.backward();
        var gradient = c.grad!.data<double>().ToArray();
        double[] cValues = [1, 2, 0.5, 1];
        for (var j = 0; j < 4; j++)
        {
            var meanSquare = (x[j] * x[j] + x[4 + j] * x[4 + j] + x[8 + j] * x[8 + j]) / 3;
            Assert.Equal(2 * cValues[j] * meanSquare, gradient[j], 1e-13);
        }
    }

    [Fact]
    public void GradientPenaltyOfALinearCriticIsLambdaTimesTheDistanceOfItsNormFromOne()
    {
        using var scope = NewDisposeScope();
        var w = tensor(W, ScalarType.Float64).requires_grad_(true);
        var real = Batch(0.1, 0.2, 0.3, 0.4, -1, 2, -3, 4);
        var fake = Batch(1, 1, 1, 1, 0, 0, 0, 0);
        var alpha = tensor(new double[] { 0.25, 0.9 }, [2, 1, 1, 1], ScalarType.Float64);
        var penalty = Regularisers.GradientPenalty(x => Linear(x, w), real, fake, alpha, weight: 10);
        var norm = Math.Sqrt(14.25);
        Assert.Equal(10 * (norm - 1) * (norm - 1), penalty.item<double>(), 1e-11);
        // And its gradient for the critic: ∂/∂w of λ(‖w‖ − 1)² = 2λ(‖w‖ − 1) w / ‖w‖.
        penalty.backward();
        var gradient = w.grad!.data<double>().ToArray();
        for (var j = 0; j < 4; j++) Assert.Equal(2 * 10 * (norm - 1) * W[j] / norm, gradient[j], 1e-11);
    }

    [Fact]
    public void GradientPenaltyIsTakenAtThePerExampleInterpolates()
    {
        using var scope = NewDisposeScope();
        var c = ones(4, dtype: ScalarType.Float64);
        var real = Batch(2, 0, 0, 0, 0, 0, 0, 0.5);
        var fake = Batch(0, 0, 0, 0, 0, 3, 0, 0.5);
        var alpha = tensor(new double[] { 0.75, 0.5 }, [2, 1, 1, 1], ScalarType.Float64);
        // ∇D(x̂) = x̂: x̂₁ = 0.75·(2, 0, 0, 0) → norm 1.5; x̂₂ = (0, 1.5, 0, 0.5) → norm √2.5.
        var penalty = Regularisers.GradientPenalty(x => Quadratic(x, c), real, fake, alpha, weight: 4);
        var expected = 4 * (Math.Pow(1.5 - 1, 2) + Math.Pow(Math.Sqrt(2.5) - 1, 2)) / 2;
        Assert.Equal(expected, penalty.item<double>(), 1e-11);
    }

    [Fact]
    public void WeightPenaltySumsL1AndL2OverWeightMatricesButNotBiases()
    {
        using var scope = NewDisposeScope();
        using var layer = nn.Linear(2, 2, dtype: ScalarType.Float64);
        using (no_grad())
        {
            layer.weight!.copy_(tensor(new double[] { 1, -2, 0.5, 0 }, [2, 2], ScalarType.Float64));
            layer.bias!.copy_(tensor(new double[] { 100, -100 }, ScalarType.Float64));
        }
        Assert.Equal(0.1 * 3.5 + 0.01 * 5.25, Regularisers.WeightPenalty(layer, 0.1, 0.01).item<double>(), 1e-14);
        Assert.Equal(0.1 * 3.5, Regularisers.WeightPenalty(layer, 0.1, 0).item<double>(), 1e-14);
        Assert.Equal(0.01 * 5.25, Regularisers.WeightPenalty(layer, 0, 0.01).item<double>(), 1e-14);
    }
}
