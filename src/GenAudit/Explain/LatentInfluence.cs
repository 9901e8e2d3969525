using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>How <see cref="LatentInfluence"/> computes the Jacobian columns ∂G/∂z_j.</summary>
public enum JacobianMode
{
    /// <summary>
    /// Exact Jacobian-vector products by the double-backward trick: with a dummy cotangent u,
    /// g(u) = Jᵀu is linear in u, so ∂(g(u)·e_j)/∂u = J e_j. Needs a generator whose layers support
    /// second derivatives (linear, convolutions, common activations and eval-mode batch norm do).
    /// </summary>
    DoubleBackward,

    /// <summary>Central differences (G(z + h e_j) − G(z − h e_j)) / 2h: two forward passes per column, error O(h²).</summary>
    CentralDifference,
}

/// <summary>Options of <see cref="LatentInfluence"/>.</summary>
public sealed class LatentInfluenceOptions
{
    /// <summary>Jacobian method. Default DoubleBackward (exact).</summary>
    public JacobianMode Mode { get; init; } = JacobianMode.DoubleBackward;

    /// <summary>Step h of the central difference, in latent units. Default 1e-3.</summary>
    public double Step { get; init; } = 1e-3;

    /// <summary>Latent copies (example, dimension pairs) per generator call. Default 64.</summary>
    public int InternalBatchSize { get; init; } = 64;
}

/// <summary>Per-dimension influence of the latent vector on each output element, and its totals.</summary>
public sealed record LatentInfluenceResult : IDisposable
{
    /// <summary>|∂G(z)_p / ∂z_j| for every example, latent dimension j and output element p: (B, d, ...output shape).</summary>
    public required Tensor Heatmaps { get; init; }

    /// <summary>‖∂G(z)/∂z_j‖₂, the Euclidean norm of Jacobian column j over all output elements: (B, d).</summary>
    public required Tensor ColumnNorms { get; init; }

    /// <summary>Parameters used, for reports.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>Wall-clock time of the computation.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Time spent inside the generator (forward and backward passes).</summary>
    public required TimeSpan ModelTime { get; init; }

    /// <summary>Number of generator calls.</summary>
    public required long ModelCalls { get; init; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Heatmaps.Dispose();
        ColumnNorms.Dispose();
    }
}

/// <summary>
/// Latent-to-pixel influence: for each example z_b, the Jacobian J_b = ∂ vec(G(z_b)) / ∂z (P × d).
/// Column j is a Jacobian-vector product J_b e_j; the (example, dimension) pairs are stacked into
/// batches of latent copies so each generator call computes many columns at once. The heatmap of
/// dimension j is |J_b[:, j]| reshaped to the output; its norm ‖J_b[:, j]‖₂ ranks the dimensions.
/// </summary>
public sealed class LatentInfluence(Func<Tensor, Tensor> generator, LatentInfluenceOptions? options = null)
{
    readonly Func<Tensor, Tensor> generator = generator ?? throw new ArgumentNullException(nameof(generator));
    readonly LatentInfluenceOptions options = options ?? new LatentInfluenceOptions();

    /// <summary>Influence heatmaps and column norms for each latent of <paramref name="z"/> (B, d).</summary>
    public LatentInfluenceResult Compute(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() != 2 || z.shape[0] < 1 || !z.is_floating_point())
            throw new ArgumentException($"latent influence: z must be floating point (B, d), got shape [{string.Join(", ", z.shape)}] of {z.dtype}.");
        if (options.InternalBatchSize < 1 || !(options.Step > 0))
            throw new ArgumentException($"latent influence: InternalBatchSize ({options.InternalBatchSize}) must be >= 1 and Step ({options.Step}) > 0.");
        return ComputeColumns(z.detach());
    }

    LatentInfluenceResult ComputeColumns(Tensor z)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var (batch, d) = (z.shape[0], z.shape[1]);
        var total = batch * d;
        var columns = new List<Tensor>();
        long[]? outputShape = null;
        for (long start = 0; start < total; start += options.InternalBatchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(options.InternalBatchSize, total - start);
            var pair = arange(start, start + length, dtype: ScalarType.Int64, device: z.device);
            var example = pair.div(d, rounding_mode: RoundingMode.floor); // (L,)
            var basis = nn.functional.one_hot(pair.remainder(d), d).to(z.dtype); // (L, d): e_j per row
            var copies = z.index_select(0, example); // (L, d)
            Tensor column;
            if (options.Mode == JacobianMode.DoubleBackward)
            {
                column = meter.Time(() =>
                {
                    using var grad = enable_grad();
                    var leaf = copies.detach().requires_grad_(true);
                    var output = generator(leaf);
                    outputShape ??= output.shape[1..];
                    var flat = output.flatten(1); // (L, P)
                    var cotangent = zeros_like(flat).requires_grad_(true);
                    var vjp = autograd.grad([flat], [leaf], [cotangent], create_graph: true)[0]; // (L, d) = Jᵀu per row
                    return autograd.grad([(vjp * basis).sum()], [cotangent])[0].detach(); // (L, P) = J e_j per row
                }, length);
            }
            else
            {
                var h = options.Step;
                column = meter.Time(() =>
                {
                    using var noGrad = no_grad();
                    var outputs = generator(cat([copies + basis * h, copies - basis * h]));
                    outputShape ??= outputs.shape[1..];
                    var flat = outputs.flatten(1).to(ScalarType.Float64);
                    return ((flat.narrow(0, 0, length) - flat.narrow(0, length, length)) / (2 * h)).to(z.dtype); // (L, P)
                }, 2 * length);
            }
            columns.Add(column.MoveToOuterDisposeScope());
        }
        var jacobianColumns = cat(columns).view(batch, d, -1); // (B, d, P)
        var heatmaps = jacobianColumns.abs().view([batch, d, .. outputShape!]);
        var norms = jacobianColumns.to(ScalarType.Float64).square().sum(2).sqrt().to(z.dtype); // (B, d)
        return new LatentInfluenceResult
        {
            Heatmaps = heatmaps.MoveToOuterDisposeScope(),
            ColumnNorms = norms.MoveToOuterDisposeScope(),
            Parameters = new Dictionary<string, string>
            {
                ["mode"] = options.Mode.ToString(),
                ["step"] = options.Step.ToString("R", CultureInfo.InvariantCulture),
                ["internalBatchSize"] = options.InternalBatchSize.ToString(CultureInfo.InvariantCulture),
            },
            Elapsed = meter.Elapsed, ModelTime = meter.ModelTime, ModelCalls = meter.Calls,
        };
    }
}
