using GenAudit.Explain;
using TorchSharp;
using static GenAudit.Tests.Explain.ExplainFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class LatentTests
{
    /// <summary>A (P, d) matrix with singular values 10, 3, 1, ... and known right-singular vectors.</summary>
    static (Tensor A, Tensor V) KnownMatrix(int outputs, int latent)
    {
        var (u, _, _) = linalg.svd(Random(1, outputs, latent), fullMatrices: false); // (P, d) orthonormal columns
        var (v, _, _) = linalg.svd(Random(2, latent, latent)); // (d, d) orthogonal
        var singular = tensor(Enumerable.Range(0, latent).Select(i => i switch { 0 => 10.0, 1 => 3.0, _ => 1.0 / i }).ToArray(), dtype: ScalarType.Float64);
        return (u.matmul(diag(singular)).matmul(v.t()), v);
    }

    static double AbsoluteCosine(Tensor a, Tensor b) =>
        Math.Abs((a.to(ScalarType.Float64) * b.to(ScalarType.Float64)).sum().item<double>() / (a.to(ScalarType.Float64).norm().item<double>() * b.to(ScalarType.Float64).norm().item<double>()));

    [Fact]
    public void GanSpaceRecoversTheDominantDirectionOfALinearGenerator()
    {
        using var scope = NewDisposeScope();
        var (a, v) = KnownMatrix(30, 6);
        var a32 = a.to(ScalarType.Float32);
        using var directions = GanSpace.Compute(z => z.matmul(a32.t()), 6, new GanSpaceOptions { Samples = 2000, Components = 2 });
        Assert.Equal(new long[] { 2, 6 }, directions.Directions.shape);
        Assert.True(AbsoluteCosine(directions.Directions[0], v[.., 0]) > 0.99);
        Assert.True(AbsoluteCosine(directions.Directions[1], v[.., 1]) > 0.95);
        Assert.InRange(directions.Strengths[0], 80, 120); // variance σ1² = 100 up to sampling error
        Assert.True(directions.ExplainedRatio[0] > 0.85);
    }

    [Fact]
    public void SeFaNormalisesEachOutputUnitBeforeTheEigenDecomposition()
    {
        using var scope = NewDisposeScope();
        // W = [[3, 4], [1, 0]]: unit rows [[0.6, 0.8], [1, 0]] give W̃ᵀW̃ = [[1.36, 0.48], [0.48, 0.64]],
        // eigenvalues 1 ± 0.6 and top eigenvector (2, 1)/√5 (WᵀW itself would give (3, 4)-ish: [[10, 12], [12, 16]]).
        using var directions = SeFa.Compute(Doubles(3, 4, 1, 0).view(2, 2), 2);
        Assert.Equal(1.6, directions.Strengths[0], 12);
        Assert.Equal(0.4, directions.Strengths[1], 12);
        Assert.True(AbsoluteCosine(directions.Directions[0], Doubles(2, 1)) > 1 - 1e-6);
        Assert.True(AbsoluteCosine(directions.Directions[1], Doubles(-1, 2)) > 1 - 1e-6);
        Assert.Equal(0.8, directions.ExplainedRatio[0], 12); // trace = 2 output units
        Assert.Throws<ArgumentException>(() => SeFa.Compute(Random(3, 2, 3, 4)));
    }

    [Fact]
    public void SeFaReturnsTheTopRightSingularVectorsOfTheRowNormalisedWeight()
    {
        using var scope = NewDisposeScope();
        var (w, _) = KnownMatrix(20, 5);
        var normalised = w / w.norm(dim: 1, keepdim: true);
        var (_, singular, vt) = linalg.svd(normalised, fullMatrices: false);
        using var directions = SeFa.Compute(w * Random(5, 20, 1).abs().add(0.5), 3); // rescaling a unit's row changes nothing
        for (var k = 0; k < 3; k++)
        {
            Assert.True(AbsoluteCosine(directions.Directions[k], vt[k]) > 1 - 1e-6);
            Assert.Equal(singular[k].square().item<double>(), directions.Strengths[k], 9);
        }
    }

    [Fact]
    public void TraversalBuildsOriginPlusStrengthTimesDirection()
    {
        using var scope = NewDisposeScope();
        var origin = Doubles(1, 2, 3);
        var directions = Doubles(1, 0, 0, 0, 0, 1).view(2, 3);
        var batch = LatentTraversal.Build(origin, directions, [-1.0, 0.0, 2.0]);
        Assert.Equal(new double[] { 0, 2, 3, 1, 2, 3, 3, 2, 3, 1, 2, 2, 1, 2, 3, 1, 2, 5 }, batch.data<double>().ToArray());
    }

    [Theory]
    [InlineData(JacobianMode.DoubleBackward)]
    [InlineData(JacobianMode.CentralDifference)]
    public void LatentInfluenceOfALinearGeneratorIsItsAbsoluteWeights(JacobianMode mode)
    {
        using var scope = NewDisposeScope();
        var a = Random(4, 2 * 3 * 3, 4); // G(z) = A z reshaped to (2, 3, 3)
        var influence = new LatentInfluence(z => z.matmul(a.t()).view(-1, 2, 3, 3), new LatentInfluenceOptions { Mode = mode, InternalBatchSize = 3 });
        using var result = influence.Compute(Random(5, 2, 4));
        Assert.Equal(new long[] { 2, 4, 2, 3, 3 }, result.Heatmaps.shape);
        AssertClose(a.t().abs().view(1, 4, 2, 3, 3).expand(2, 4, 2, 3, 3), result.Heatmaps, 1e-8);
        AssertClose(a.square().sum(dim: 0).sqrt().expand(2, 4), result.ColumnNorms, 1e-8);
    }

    [Fact]
    public void LatentInfluenceModesAgreeOnANonlinearGenerator()
    {
        using var scope = NewDisposeScope();
        var w = Random(6, 12, 3);
        Func<Tensor, Tensor> generator = z => z.matmul(w.t()).tanh().view(-1, 3, 4);
        var z = Random(7, 3, 3);
        using var exact = new LatentInfluence(generator).Compute(z);
        using var difference = new LatentInfluence(generator, new LatentInfluenceOptions { Mode = JacobianMode.CentralDifference, Step = 1e-4 }).Compute(z);
        AssertClose(exact.Heatmaps, difference.Heatmaps, 1e-7);
        // Against autograd directly: column j of the Jacobian for example 0.
        var leaf = z[0].unsqueeze(0).detach().requires_grad_(true);
        var row = generator(leaf).flatten()[5];
        var gradient = autograd.grad([row], [leaf])[0].flatten(); // ∂G_5/∂z
        AssertClose(gradient.abs(), exact.Heatmaps[0].flatten(1)[.., 5], 1e-12);
    }
}
