using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// Interpretable directions in a generator's latent space, strongest first: unit rows
/// <see cref="Directions"/> (K, d) with their strengths (GANSpace: variance of the activation PCA
/// component; SeFa: eigenvalue of W̃ᵀW̃, W with unit-norm rows). Owns <see cref="Directions"/>.
/// </summary>
public sealed record LatentDirections : IDisposable
{
    /// <summary>"ganspace" or "sefa".</summary>
    public required string Method { get; init; }

    /// <summary>Unit-norm directions (K, d), float32, strongest first. The sign of each is arbitrary.</summary>
    public required Tensor Directions { get; init; }

    /// <summary>Variance (GANSpace) or eigenvalue of W̃ᵀW̃ (SeFa) of each direction, descending.</summary>
    public required double[] Strengths { get; init; }

    /// <summary>Share of the total (activation variance, or trace of W̃ᵀW̃ = number of output units) carried by each direction, in [0, 1].</summary>
    public required double[] ExplainedRatio { get; init; }

    /// <summary>Disposes the directions.</summary>
    public void Dispose() => Directions.Dispose();
}

/// <summary>Options of <see cref="GanSpace"/>.</summary>
public sealed class GanSpaceOptions
{
    /// <summary>Number N of latent samples z ~ N(0, I) whose activations are analysed. Default 4096.</summary>
    public int Samples { get; init; } = 4096;

    /// <summary>Number K of directions returned. Default 10.</summary>
    public int Components { get; init; } = 10;

    /// <summary>Latent samples per call of the activation function. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Seed of the latent samples when no generator is given. Default 0.</summary>
    public long Seed { get; init; }
}

/// <summary>
/// GANSpace (Härkönen et al. 2020): PCA of an intermediate activation a(z) over N samples
/// z ~ N(0, I), then each principal component is mapped back to z by least squares regression of
/// z on the component's PCA coordinates. Because PCA coordinates are uncorrelated, the regression
/// separates: u_k ∝ Σ_n c_nk (z_n − z̄) / Σ_n c_nk², normalised to unit length.
/// </summary>
public static class GanSpace
{
    /// <summary>Directions for the activation <paramref name="activation"/> (z (B, d) → (B, ...)) of a generator with latent size <paramref name="latentSize"/>.</summary>
    public static LatentDirections Compute(Func<Tensor, Tensor> activation, int latentSize, GanSpaceOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(activation);
        options ??= new GanSpaceOptions();
        if (latentSize < 1 || options.Samples < 2 || options.Components < 1 || options.BatchSize < 1)
            throw new ArgumentException($"ganspace: need latentSize >= 1 ({latentSize}), Samples >= 2 ({options.Samples}), Components >= 1 ({options.Components}) and BatchSize >= 1 ({options.BatchSize}).");
        using var scope = NewDisposeScope();
        generator ??= new Generator(unchecked((ulong)options.Seed));
        var z = randn([options.Samples, latentSize], generator: generator); // (N, d)
        var activations = new List<Tensor>();
        using (no_grad())
            for (long start = 0; start < options.Samples; start += options.BatchSize)
                activations.Add(activation(z.narrow(0, start, Math.Min(options.BatchSize, options.Samples - start))).flatten(1).to(ScalarType.Float64));
        var a = cat(activations); // (N, D)
        var centred = a - a.mean([0], keepdim: true);
        var (u, s, _) = linalg.svd(centred, fullMatrices: false); // u (N, r), s (r,)
        var k = (int)Math.Min(options.Components, s.shape[0]);
        var coordinates = u[.., ..k] * s[..k]; // (N, K) PCA coordinates
        var zCentred = (z - z.mean([0], keepdim: true)).to(ScalarType.Float64);
        var regression = coordinates.t().matmul(zCentred) / coordinates.square().sum(dim: 0).clamp_min(1e-300).unsqueeze(1); // (K, d)
        var directions = regression / regression.square().sum(1, keepdim: true).sqrt().clamp_min(1e-300);
        var variance = s.square() / (options.Samples - 1);
        var total = variance.sum().item<double>();
        var strengths = variance[..k].data<double>().ToArray();
        var result = new LatentDirections
        {
            Method = "ganspace",
            Directions = directions.to(ScalarType.Float32).MoveToOuterDisposeScope(),
            Strengths = strengths,
            ExplainedRatio = strengths.Select(v => total > 0 ? v / total : 0).ToArray(),
        };
        return result;
    }
}

/// <summary>
/// SeFa (Shen and Zhou 2021): the top eigenvectors of W̃ᵀW̃ for the weight W (out, d) of the first
/// layer that reads z, each output unit's row scaled to unit norm first (W̃ = diag(1/‖w_o‖) W, as the
/// authors' factorize_weight normalises the columns of their (d, out) layout), i.e. the latent
/// directions that change that layer's output units the most, each unit counted equally. For a
/// ConvTranspose2d reading z as (d, 1, 1), pass weight.flatten(1).t().
/// </summary>
public static class SeFa
{
    /// <summary>The top <paramref name="components"/> eigenvectors (K, d) of W̃ᵀW̃ (rows of W at unit norm) with their eigenvalues.</summary>
    public static LatentDirections Compute(Tensor weight, int components = 10)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 2)
            throw new ArgumentException($"sefa: the weight must be a matrix (out, d), got shape [{string.Join(", ", weight.shape)}]; for a ConvTranspose2d weight (d, C, k, k) pass weight.flatten(1).t().");
        if (components < 1) throw new ArgumentOutOfRangeException(nameof(components), components, "sefa: components must be >= 1.");
        using var scope = NewDisposeScope();
        var raw = weight.detach().to(ScalarType.Float64); // (out, d)
        var w = raw / raw.square().sum(1, keepdim: true).sqrt().clamp_min(1e-300); // every output unit's weights at unit norm
        var (eigenvalues, eigenvectors) = linalg.eigh(w.t().matmul(w)); // ascending
        var d = eigenvalues.shape[0];
        var k = (int)Math.Min(components, d);
        var order = arange(d - 1, d - 1 - k, -1, dtype: ScalarType.Int64);
        var top = eigenvalues.index_select(0, order);
        var directions = eigenvectors.index_select(1, order).t(); // (K, d)
        var total = eigenvalues.clamp_min(0).sum().item<double>();
        var strengths = top.data<double>().ToArray();
        return new LatentDirections
        {
            Method = "sefa",
            Directions = directions.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope(),
            Strengths = strengths,
            ExplainedRatio = strengths.Select(v => total > 0 ? Math.Max(v, 0) / total : 0).ToArray(),
        };
    }
}

/// <summary>Latent traversals: the batch of z + strength · direction for every direction and strength, ready for a traversal grid.</summary>
public static class LatentTraversal
{
    /// <summary>
    /// (K·S, d) latents, direction-major: row k·S + s is <paramref name="origin"/> + strengths[s] · directions[k].
    /// <paramref name="origin"/> is (d) or (1, d); <paramref name="directions"/> is (K, d).
    /// </summary>
    public static Tensor Build(Tensor origin, Tensor directions, IReadOnlyList<double> strengths)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(directions);
        ArgumentNullException.ThrowIfNull(strengths);
        var z0 = origin.dim() == 2 && origin.shape[0] == 1 ? origin.squeeze(0) : origin;
        if (z0.dim() != 1 || directions.dim() != 2 || directions.shape[1] != z0.shape[0] || strengths.Count == 0)
            throw new ArgumentException($"traversal: need origin (d) or (1, d), directions (K, d) and at least one strength; got [{string.Join(", ", origin.shape)}] and [{string.Join(", ", directions.shape)}].");
        using var scope = NewDisposeScope();
        var k = directions.shape[0];
        var s = tensor(strengths.ToArray(), dtype: directions.dtype, device: directions.device); // (S,)
        var steps = s.view(1, -1, 1) * directions.unsqueeze(1); // (K, S, d)
        var batch = (z0.to(directions.dtype).view(1, 1, -1) + steps).reshape(k * strengths.Count, -1); // (K·S, d)
        return batch.MoveToOuterDisposeScope();
    }
}
