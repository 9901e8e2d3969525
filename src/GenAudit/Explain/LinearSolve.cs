using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>The float64 least-squares solves behind KernelSHAP and LIME.</summary>
internal static class LinearSolve
{
    /// <summary>Largest ridge tried, relative to mean(diag A): past it the system is not a least-squares problem gone singular.</summary>
    const double MaxRelativeRidge = 1e2;

    /// <summary>
    /// Solves the symmetric positive semi-definite system A X = R (A (k, k), R (k, n)) in float64.
    /// When A is singular (its Cholesky factorisation fails) a ridge λI is added, starting at
    /// λ = 1e-10 · mean(diag A) and growing tenfold until the factorisation succeeds (at most 13 tries,
    /// up to 100 · mean(diag A)); λ is returned. Throws <see cref="ArgumentException"/> naming
    /// <paramref name="method"/> when A or R holds NaN or ±∞ or when no ridge in range helps.
    /// </summary>
    public static (Tensor Solution, double Ridge) SolveSymmetric(Tensor a, Tensor r, string method = "least squares")
    {
        if (!a.isfinite().all().item<bool>())
            throw new ArgumentException($"{method}: the regression weights or coalitions hold NaN or ±∞; check the sample weights (kernel width) and the feature mask.");
        if (!r.isfinite().all().item<bool>())
            throw new ArgumentException($"{method}: the target returned NaN or ±∞ on some perturbed inputs; explain a target that is finite on every mix of the input and the baseline.");
        var (_, info) = linalg.cholesky_ex(a);
        if (info.item<int>() == 0) return (linalg.solve(a, r), 0);
        var scale = Math.Max(a.diagonal().mean().item<double>(), 1e-300);
        var eye = torch.eye(a.shape[0], dtype: ScalarType.Float64, device: a.device);
        for (var ridge = 1e-10 * scale; ridge <= MaxRelativeRidge * scale; ridge *= 10)
        {
            var regularised = a + eye * ridge;
            var (_, status) = linalg.cholesky_ex(regularised);
            if (status.item<int>() == 0) return (linalg.solve(regularised, r), ridge);
        }
        throw new ArgumentException($"{method}: the normal equations stay singular with a ridge of {MaxRelativeRidge:G} · mean(diag A); the system is not positive semi-definite (negative sample weights?).");
    }

    /// <summary>
    /// Shapley-kernel weighted least squares with the efficiency constraint Σφ = f(x) − f(b):
    /// minimises Σ_s w_s (y_s − f(b) − z_s·φ)² subject to the constraint by eliminating φ_M
    /// (φ_M = Δ − Σ_{i&lt;M} φ_i). Z (S, M) is shared by the batch; Y (B, S); returns φ (B, M) and the ridge used.
    /// </summary>
    public static (Tensor Phi, double Ridge) ConstrainedShapley(Tensor z, Tensor w, Tensor y, Tensor atBaseline, Tensor atInput)
    {
        if (!atInput.isfinite().all().item<bool>() || !atBaseline.isfinite().all().item<bool>())
            throw new ArgumentException("kernelshap: the target is NaN or ±∞ at the input or the baseline; explain a finite target.");
        var m = z.shape[1];
        var delta = atInput - atBaseline; // (B,)
        if (m == 1) return (delta.unsqueeze(1), 0);
        var last = z[.., (int)(m - 1)]; // (S,)
        var design = z[.., ..(int)(m - 1)] - last.unsqueeze(1); // (S, M-1)
        var response = y - atBaseline.unsqueeze(1) - last.unsqueeze(0) * delta.unsqueeze(1); // (B, S)
        var weighted = design * w.unsqueeze(1);
        var normal = weighted.t().matmul(design); // (M-1, M-1)
        var rhs = weighted.t().matmul(response.t()); // (M-1, B)
        var (solution, ridge) = SolveSymmetric(normal, rhs, "kernelshap");
        var free = solution.t(); // (B, M-1)
        var phi = cat([free, (delta - free.sum(1)).unsqueeze(1)], 1); // (B, M)
        return (phi, ridge);
    }

    /// <summary>
    /// Weighted ridge regression with an unpenalised intercept: weights are normalised to sum to 1,
    /// so α is relative to the data term and independent of the sample count. Z (S, M), w (S), Y (B, S).
    /// Returns coefficients (B, M), intercepts (B,) and the weighted R² (B,), which is 1 when Y is
    /// constant and fitted exactly.
    /// </summary>
    public static (Tensor Coefficients, Tensor Intercepts, Tensor RSquared) WeightedRidge(Tensor z, Tensor w, Tensor y, double alpha)
    {
        var p = w / w.sum(); // (S,)
        var meanZ = p.matmul(z); // (M,)
        var meanY = y.matmul(p); // (B,)
        var centredZ = z - meanZ; // (S, M)
        var centredY = y - meanY.unsqueeze(1); // (B, S)
        var weighted = centredZ * p.unsqueeze(1);
        var normal = weighted.t().matmul(centredZ) + torch.eye(z.shape[1], dtype: ScalarType.Float64, device: z.device) * alpha;
        var (solution, _) = SolveSymmetric(normal, weighted.t().matmul(centredY.t()), "lime");
        var coefficients = solution.t(); // (B, M)
        var intercepts = meanY - coefficients.matmul(meanZ);
        var residual = centredY - coefficients.matmul(centredZ.t()); // (B, S)
        var residualSum = residual.square().matmul(p);
        var totalSum = centredY.square().matmul(p);
        var exact = totalSum.le(1e-300);
        var rSquared = where(exact, where(residualSum.le(1e-300), 1.0, 0.0), 1 - residualSum / totalSum.clamp_min(1e-300));
        return (coefficients, intercepts, rSquared);
    }
}
