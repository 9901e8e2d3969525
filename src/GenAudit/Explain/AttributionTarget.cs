using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// The scalar-per-example function an attribution explains: maps a batch (B, ...) to (B,).
/// Build one from any function, or from an output element or region, and move it onto the latent
/// space of a generator with <see cref="Compose"/>.
/// </summary>
public sealed class AttributionTarget
{
    readonly Func<Tensor, Tensor> function;

    AttributionTarget(Func<Tensor, Tensor> function, string name)
    {
        this.function = function;
        Name = name;
    }

    /// <summary>Short description for reports, e.g. "output:3" or "region:0,0,14,14".</summary>
    public string Name { get; }

    /// <summary>A target from any function that maps a batch (B, ...) to one scalar per example (B,).</summary>
    public static AttributionTarget From(Func<Tensor, Tensor> function, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(function);
        return new AttributionTarget(function, name);
    }

    /// <summary>The <paramref name="index"/>-th element of each flattened example (for 2D points: 0 = x, 1 = y).</summary>
    public static AttributionTarget Output(long index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "output:<i> needs i >= 0.");
        return new AttributionTarget(batch =>
        {
            var flat = batch.flatten(1); // (B, F)
            if (index >= flat.shape[1])
                throw new ArgumentException($"output:{index}: each output has only {flat.shape[1]} elements; choose an index below {flat.shape[1]}.");
            return flat[.., index]; // (B,)
        }, $"output:{index}");
    }

    /// <summary>
    /// Mean intensity of the box of columns x0..x1-1 and rows y0..y1-1 (half-open, over all channels)
    /// of (B, C, H, W) outputs.
    /// </summary>
    public static AttributionTarget Region(int x0, int y0, int x1, int y1)
    {
        if (x0 < 0 || y0 < 0 || x1 <= x0 || y1 <= y0)
            throw new ArgumentException($"region:{x0},{y0},{x1},{y1}: need 0 <= x0 < x1 and 0 <= y0 < y1 (x1, y1 exclusive).");
        return new AttributionTarget(batch =>
        {
            if (batch.dim() != 4)
                throw new ArgumentException($"region target needs (B, C, H, W) outputs but got shape [{string.Join(", ", batch.shape)}].");
            if (x1 > batch.shape[3] || y1 > batch.shape[2])
                throw new ArgumentException($"region:{x0},{y0},{x1},{y1} lies outside the {batch.shape[2]}x{batch.shape[3]} output; keep x1 <= W and y1 <= H.");
            return batch[.., .., y0..y1, x0..x1].mean([1, 2, 3]); // (B,)
        }, $"region:{x0},{y0},{x1},{y1}");
    }

    /// <summary>
    /// Moves <paramref name="target"/> from a generator's outputs onto its inputs:
    /// z ↦ target(forward(z)). <paramref name="forward"/> is any batched map, e.g. z => model.Generate(z).
    /// </summary>
    public static AttributionTarget Compose(Func<Tensor, Tensor> forward, AttributionTarget target)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(target);
        return new AttributionTarget(z => target.function(forward(z)), target.Name);
    }

    /// <summary>Evaluates the target on a batch and checks that it returns one scalar per example.</summary>
    public Tensor Evaluate(Tensor batch)
    {
        var values = function(batch);
        if (values.dim() == 2 && values.shape[1] == 1) values = values.squeeze(1);
        if (values.dim() != 1 || values.shape[0] != batch.shape[0])
            throw new InvalidOperationException(
                $"target '{Name}' returned shape [{string.Join(", ", values.shape)}] for a batch of {batch.shape[0]}; it must return one scalar per example, shape [{batch.shape[0]}].");
        return values;
    }
}
