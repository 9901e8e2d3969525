using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Mean and unbiased covariance of a feature set: what FID needs, and what can be cached for a real data set.</summary>
/// <param name="Mean">Feature mean, length D.</param>
/// <param name="Covariance">Covariance with divisor N − 1, D × D, symmetric positive semidefinite.</param>
/// <param name="Count">Number of samples N the statistics were computed from.</param>
public sealed record GaussianStatistics(double[] Mean, double[,] Covariance, int Count)
{
    /// <summary>Feature dimension D.</summary>
    public int Dimension => Mean.Length;
}

/// <summary>FID and its two parts: FID = MeanTerm + CovarianceTerm. Lower is better; range [0, ∞).</summary>
/// <param name="Distance">Fréchet distance ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½); rounding below 0 is reported as 0.</param>
/// <param name="MeanTerm">‖μ₁ − μ₂‖², the part due to a shift of the mean.</param>
/// <param name="CovarianceTerm">tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), the part due to spread and shape.</param>
/// <param name="RealCount">Samples behind the real statistics.</param>
/// <param name="FakeCount">Samples behind the generated statistics.</param>
public sealed record FrechetDistanceResult(double Distance, double MeanTerm, double CovarianceTerm, int RealCount, int FakeCount);

/// <summary>
/// Fréchet Inception Distance (Heusel et al. 2017) between Gaussians fitted to real and generated
/// features, in float64, with matrix square roots from symmetric eigendecompositions.
/// </summary>
/// <remarks>
/// Sample-count rule: N ≥ 2 always; and by default N &gt; D, because with N ≤ D the covariance has rank at
/// most N − 1 &lt; D and FID is dominated by estimation bias. Pass <c>allowRankDeficient: true</c> to
/// accept such a covariance anyway (the result is defined, just not comparable with full-rank runs).
/// </remarks>
public static class FrechetDistance
{
    /// <summary>Relative size below which a negative eigenvalue is rounding and is clipped to 0; anything more negative is an error.</summary>
    const double NegativeEigenvalueTolerance = 1e-9;

    /// <summary>FID between real and generated feature matrices (N, D) of any float dtype.</summary>
    public static FrechetDistanceResult Compute(Tensor real, Tensor fake, bool allowRankDeficient = false)
    {
        var realStatistics = ComputeStatistics(real, allowRankDeficient, "real");
        var fakeStatistics = ComputeStatistics(fake, allowRankDeficient, "fake");
        return Compute(realStatistics, fakeStatistics);
    }

    /// <summary>Mean and unbiased (N − 1) covariance of a feature matrix (N, D); N ≥ 2 and, unless allowed, N &gt; D; <paramref name="name"/> labels error messages.</summary>
    public static GaussianStatistics ComputeStatistics(Tensor features, bool allowRankDeficient = false, string name = "features")
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = FeatureMatrix.ToFloat64(features, name, minimumRows: 2); // (N, D)
        var n = x.shape[0];
        var d = x.shape[1];
        if (n <= d && !allowRankDeficient)
            throw new ArgumentException(
                $"{name}: {n} samples of dimension {d} give a rank-deficient covariance (rank at most {n - 1} < {d}). " +
                $"FID needs more samples than dimensions: use at least {d + 1} (10 × D = {10 * d} recommended), " +
                "or pass allowRankDeficient: true to accept a biased estimate.", nameof(features));
        var mean = x.mean([0]);                                          // (D,)
        var centred = x - mean;                                          // (N, D)
        var covariance = centred.t().mm(centred).div_(n - 1);            // (D, D)
        covariance = covariance.add(covariance.t()).mul_(0.5);           // exact symmetry for eigh
        return new GaussianStatistics(mean.data<double>().ToArray(), ToSquare(covariance, (int)d), (int)n);
    }

    /// <summary>FID from precomputed statistics, for example cached real-data statistics.</summary>
    public static FrechetDistanceResult Compute(GaussianStatistics real, GaussianStatistics fake)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(fake);
        Validate(real, "real");
        Validate(fake, "fake");
        if (real.Dimension != fake.Dimension)
            throw new ArgumentException($"real statistics have dimension {real.Dimension} but fake statistics have {fake.Dimension}; both must come from the same feature extractor.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var d = real.Dimension;
        var mean1 = tensor(real.Mean, ScalarType.Float64);                        // (D,)
        var mean2 = tensor(fake.Mean, ScalarType.Float64);                        // (D,)
        var sigma1 = tensor(Flatten(real.Covariance), [d, d], ScalarType.Float64); // (D, D)
        var sigma2 = tensor(Flatten(fake.Covariance), [d, d], ScalarType.Float64); // (D, D)

        var difference = mean1 - mean2;
        var meanTerm = difference.dot(difference).item<double>();

        // tr((Σ₁Σ₂)^½) = tr((Σ₁^½ Σ₂ Σ₁^½)^½): the second matrix is symmetric PSD, so eigh applies to both steps.
        var (values1, vectors1) = linalg.eigh(sigma1);                            // (D,), (D, D)
        var root1 = (vectors1 * ClipEigenvalues(values1, "real covariance").sqrt().unsqueeze(0)).mm(vectors1.t()); // Σ₁^½
        var product = root1.mm(sigma2).mm(root1);                                  // (D, D)
        product = product.add(product.t()).mul_(0.5);
        var traceOfRoot = ClipEigenvalues(linalg.eigvalsh(product), "Σ₁^½ Σ₂ Σ₁^½").sqrt().sum().item<double>();

        var covarianceTerm = sigma1.trace().item<double>() + sigma2.trace().item<double>() - 2.0 * traceOfRoot;
        var distance = Math.Max(0.0, meanTerm + covarianceTerm);
        return new FrechetDistanceResult(distance, meanTerm, covarianceTerm, real.Count, fake.Count);
    }

    static Tensor ClipEigenvalues(Tensor values, string what)
    {
        var largest = Math.Max(values.abs().max().item<double>(), double.Epsilon);
        var smallest = values.min().item<double>();
        if (smallest < -NegativeEigenvalueTolerance * largest)
            throw new ArgumentException($"{what} has eigenvalue {smallest:G6} (largest {largest:G6}): it is not positive semidefinite; statistics must come from ComputeStatistics or an equivalent unbiased covariance.");
        return values.clamp_min(0.0);
    }

    static void Validate(GaussianStatistics statistics, string name)
    {
        ArgumentNullException.ThrowIfNull(statistics.Mean, $"{name}.Mean");
        ArgumentNullException.ThrowIfNull(statistics.Covariance, $"{name}.Covariance");
        var d = statistics.Mean.Length;
        if (d == 0) throw new ArgumentException($"{name}: statistics have dimension 0.");
        if (statistics.Covariance.GetLength(0) != d || statistics.Covariance.GetLength(1) != d)
            throw new ArgumentException($"{name}: mean has length {d} but covariance is {statistics.Covariance.GetLength(0)} × {statistics.Covariance.GetLength(1)}; it must be {d} × {d}.");
        foreach (var value in statistics.Mean)
            if (!double.IsFinite(value)) throw new ArgumentException($"{name}: mean contains NaN or infinite values.");
        for (var i = 0; i < d; i++)
            for (var j = 0; j < d; j++)
            {
                var a = statistics.Covariance[i, j];
                var b = statistics.Covariance[j, i];
                if (!double.IsFinite(a)) throw new ArgumentException($"{name}: covariance[{i}, {j}] is NaN or infinite.");
                if (Math.Abs(a - b) > 1e-9 * Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b))))
                    throw new ArgumentException($"{name}: covariance is not symmetric at [{i}, {j}] ({a:G6} vs {b:G6}).");
            }
    }

    static double[] Flatten(double[,] matrix)
    {
        var flat = new double[matrix.Length];
        Buffer.BlockCopy(matrix, 0, flat, 0, flat.Length * sizeof(double));
        return flat;
    }

    static double[,] ToSquare(Tensor matrix, int d)
    {
        var flat = matrix.contiguous().data<double>().ToArray();
        var square = new double[d, d];
        Buffer.BlockCopy(flat, 0, square, 0, flat.Length * sizeof(double));
        return square;
    }
}
