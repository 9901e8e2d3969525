using GenAudit.Models;
using GenAudit.Training;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

/// <summary>Every training objective against its value worked out by hand on given logits.</summary>
public class LossesTests
{
    static Tensor Scores(params double[] values) => tensor(values, ScalarType.Float64);

    static double Softplus(double t) => Math.Log(1 + Math.Exp(t));

    [Fact]
    public void NonSaturatingDiscriminatorLossIsMeanSoftplusOfTheSignedLogits()
    {
        using var scope = NewDisposeScope();
        var loss = Losses.Discriminator(GanLoss.Ns, Scores(2, -1, 0), Scores(0.5, -3));
        var expected = (Softplus(-2) + Softplus(1) + Math.Log(2)) / 3 + (Softplus(0.5) + Softplus(-3)) / 2;
        Assert.Equal(expected, loss.item<double>(), 1e-14);
    }

    [Fact]
    public void HingeDiscriminatorLossCountsOnlyScoresInsideTheMargin()
    {
        using var scope = NewDisposeScope();
        // relu(1 − [2, 0.5, −1]) = [0, 0.5, 2]; relu(1 + [−2, 0, 0.5]) = [0, 1, 1.5].
        var loss = Losses.Discriminator(GanLoss.Hinge, Scores(2, 0.5, -1), Scores(-2, 0, 0.5));
        Assert.Equal(2.5 / 3 + 2.5 / 3, loss.item<double>(), 1e-14);
    }

    [Fact]
    public void WassersteinCriticLossIsMeanFakeMinusMeanReal()
    {
        using var scope = NewDisposeScope();
        var loss = Losses.Discriminator(GanLoss.WganGp, Scores(3, -1, 4), Scores(0.5, -2.5));
        Assert.Equal(-1.0 - 2.0, loss.item<double>(), 1e-14);
    }

    [Theory]
    [InlineData(GanLoss.Ns)]
    [InlineData(GanLoss.Hinge)]
    [InlineData(GanLoss.WganGp)]
    public void GeneratorLossIsNonSaturatingForNsAndMinusTheMeanScoreOtherwise(GanLoss kind)
    {
        using var scope = NewDisposeScope();
        var loss = Losses.Generator(kind, Scores(1.5, -2, 0.25, 4));
        var expected = kind == GanLoss.Ns
            ? (Softplus(-1.5) + Softplus(2) + Softplus(-0.25) + Softplus(-4)) / 4
            : -(1.5 - 2 + 0.25 + 4) / 4;
        Assert.Equal(expected, loss.item<double>(), 1e-14);
    }

    [Fact]
    public void NonSaturatingGeneratorGradientDoesNotVanishWhereTheDiscriminatorWins()
    {
        using var scope = NewDisposeScope();
        // d/ds softplus(−s) = −sigmoid(−s): at s = −10 (D sure the sample is fake) it is ≈ −1, not ≈ 0
        // as the saturating log(1 − sigmoid(s)) would give.
        var score = Scores(-10).requires_grad_(true);
        Losses.Generator(GanLoss.Ns, score).backward();
        Assert.Equal(-1 / (1 + Math.Exp(-10)), score.grad!.item<double>(), 1e-14);
    }

    [Fact]
    public void BernoulliReconstructionIsSummedCrossEntropyPerExampleWithClampedProbabilities()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 0, 0.5, 1, 0, 0 }, [2, 3], ScalarType.Float64);
        var p = tensor(new double[] { 0.8, 0.3, 0.5, 0.9, 0.25, 1 }, [2, 3], ScalarType.Float64);
        var loss = Losses.Reconstruction(VaeLikelihood.Bernoulli, 1, p, x);
        // The last probability is 1 on a 0 pixel: clamped to 1 − 1e-6, it costs −ln(1e-6) instead of ∞.
        var expected = -(Math.Log(0.8) + Math.Log(0.7) + Math.Log(0.5) + Math.Log(0.9) + Math.Log(0.75) + Math.Log(1e-6)) / 2;
        Assert.Equal(expected, loss.item<double>(), 1e-9);
    }

    [Fact]
    public void GaussianReconstructionIsSquaredErrorOverTwoSigmaSquaredPerExample()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3, 4 }, [2, 2], ScalarType.Float64);
        var mean = tensor(new double[] { 1.5, 2, 1, 4.25 }, [2, 2], ScalarType.Float64);
        var loss = Losses.Reconstruction(VaeLikelihood.Gaussian, 0.5, mean, x);
        Assert.Equal((0.25 + 4 + 0.0625) / (2 * 0.25) / 2, loss.item<double>(), 1e-14);
    }

    [Fact]
    public void KlDivergenceToTheStandardNormalMatchesItsClosedForm()
    {
        using var scope = NewDisposeScope();
        var mean = tensor(new double[] { 0, 0, 1, -2 }, [2, 2], ScalarType.Float64);
        var logVariance = tensor(new double[] { 0, Math.Log(4), 0, 0 }, [2, 2], ScalarType.Float64);
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²) per dimension:
        // example 1: 0 + ½(4 − 1 − ln 4) = 1.5 − ln 2; example 2: ½·1 + ½·4 = 2.5.
        var kl = Losses.GaussianKl(mean, logVariance);
        Assert.Equal((1.5 - Math.Log(2) + 2.5) / 2, kl.item<double>(), 1e-14);
    }
}
