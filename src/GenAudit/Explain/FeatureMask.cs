using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// Maps every input element to a feature group id in 0..Count-1. A mask is either shared by all
/// examples (shape of one example) or per example (B, ...), as SLIC superpixels are. Groups that no
/// element of an example uses are dummy features and receive attribution 0.
/// </summary>
public sealed class FeatureMask : IDisposable
{
    FeatureMask(Tensor groups, int count, bool perExample, string name)
    {
        Groups = groups;
        Count = count;
        PerExample = perExample;
        Name = name;
    }

    /// <summary>Group id of each element, int64: one example's shape, or (B, ...) when <see cref="PerExample"/>.</summary>
    public Tensor Groups { get; }

    /// <summary>Number of groups M (the number of features the perturbation methods attribute to).</summary>
    public int Count { get; }

    /// <summary>True when <see cref="Groups"/> holds one mask per example.</summary>
    public bool PerExample { get; }

    /// <summary>Short description for reports ("identity", "patch:4", "slic:50").</summary>
    public string Name { get; }

    /// <summary>Every element its own feature, for examples of shape <paramref name="exampleShape"/>.</summary>
    public static FeatureMask Identity(params long[] exampleShape)
    {
        var count = exampleShape.Aggregate(1L, (a, b) => a * b);
        if (count < 1 || count > int.MaxValue) throw new ArgumentException($"identity mask: example shape [{string.Join(", ", exampleShape)}] must hold 1..{int.MaxValue} elements.");
        return Own(arange(count, dtype: ScalarType.Int64).reshape(exampleShape), (int)count, false, "identity");
    }

    /// <summary>Contiguous blocks of <paramref name="groupSize"/> latent dimensions (the last block may be shorter).</summary>
    public static FeatureMask LatentGroups(int latentSize, int groupSize)
    {
        if (latentSize < 1 || groupSize < 1) throw new ArgumentException($"latent groups: latentSize ({latentSize}) and groupSize ({groupSize}) must be >= 1.");
        var count = (latentSize + groupSize - 1) / groupSize;
        using var scope = NewDisposeScope();
        var ids = arange(latentSize, dtype: ScalarType.Int64).div(groupSize, rounding_mode: RoundingMode.floor);
        return Own(ids.MoveToOuterDisposeScope(), count, false, $"latent:{groupSize}");
    }

    /// <summary>Square patches of <paramref name="patchSize"/> pixels over (C, H, W) images, shared across channels, numbered row-major.</summary>
    public static FeatureMask Patches(long channels, long height, long width, int patchSize)
    {
        if (channels < 1 || height < 1 || width < 1 || patchSize < 1)
            throw new ArgumentException($"patch mask: channels, height, width ({channels}, {height}, {width}) and patch size ({patchSize}) must be >= 1.");
        using var scope = NewDisposeScope();
        var columns = (width + patchSize - 1) / patchSize;
        var rows = (height + patchSize - 1) / patchSize;
        var rowIds = arange(height, dtype: ScalarType.Int64).div(patchSize, rounding_mode: RoundingMode.floor).view(height, 1);
        var columnIds = arange(width, dtype: ScalarType.Int64).div(patchSize, rounding_mode: RoundingMode.floor).view(1, width);
        var ids = (rowIds * columns + columnIds).unsqueeze(0).expand(channels, height, width).contiguous(); // (C, H, W)
        return Own(ids.MoveToOuterDisposeScope(), (int)(rows * columns), false, $"patch:{patchSize}");
    }

    /// <summary>
    /// A mask from explicit group ids (int64, one example's shape or (B, ...)); ids must cover 0..M-1
    /// where M is one more than the largest id.
    /// </summary>
    public static FeatureMask FromGroups(Tensor groups, bool perExample = false, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(groups);
        using var scope = NewDisposeScope();
        var ids = groups.to(ScalarType.Int64);
        if (ids.min().item<long>() < 0) throw new ArgumentException($"feature mask '{name}': group ids must be >= 0.");
        var count = ids.max().item<long>() + 1;
        return Own(ids.clone().MoveToOuterDisposeScope(), (int)count, perExample, name);
    }

    /// <summary>
    /// SLIC superpixels (Achanta et al. 2012) for each image of a (B, C, H, W) batch, shared across
    /// channels. Centres start on a grid of step S = sqrt(H·W / segments); each iteration assigns a
    /// pixel to the centre within 2S·2S that minimises d² = ‖colour − colour_k‖² + (compactness / S)²·‖(y, x) − (y_k, x_k)‖²
    /// (colours in the image's units, so compactness ≈ 0.1 suits images in [0, 1]; larger values give
    /// squarer segments), then moves each centre to the mean of its pixels. Empty segments are dropped and
    /// ids renumbered per image; connectivity is not enforced, so a segment can be split.
    /// </summary>
    public static FeatureMask Slic(Tensor images, int segments, double compactness = 0.1, int iterations = 10)
    {
        if (images.dim() != 4) throw new ArgumentException($"slic mask needs (B, C, H, W) images but got shape [{string.Join(", ", images.shape)}].");
        if (segments < 1 || !(compactness >= 0) || iterations < 1)
            throw new ArgumentException($"slic mask: segments ({segments}) and iterations ({iterations}) must be >= 1 and compactness ({compactness}) >= 0.");
        using var scope = NewDisposeScope();
        var (b, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        var step = Math.Sqrt((double)h * w / segments);
        var gridRows = Math.Max(1, (int)Math.Round(h / step));
        var gridColumns = Math.Max(1, (int)Math.Round(w / step));
        var centreY = (arange(gridRows, dtype: ScalarType.Float64) + 0.5) * ((double)h / gridRows);
        var centreX = (arange(gridColumns, dtype: ScalarType.Float64) + 0.5) * ((double)w / gridColumns);
        var k = gridRows * gridColumns;
        var initialY = centreY.view(-1, 1).expand(gridRows, gridColumns).reshape(k); // (K,)
        var initialX = centreX.view(1, -1).expand(gridRows, gridColumns).reshape(k);
        var pixelY = arange(h, dtype: ScalarType.Float64).view(h, 1).expand(h, w).reshape(h * w); // (P,)
        var pixelX = arange(w, dtype: ScalarType.Float64).view(1, w).expand(h, w).reshape(h * w);
        var spatialWeight = compactness / step;
        var labels = new List<Tensor>();
        var maxCount = 1;
        for (var i = 0; i < b; i++)
        {
            var colours = images[i].to(ScalarType.Float64).reshape(c, h * w).t(); // (P, C)
            var centres = cat([colours.index_select(0, NearestPixel(initialY, initialX, w)), initialY.unsqueeze(1), initialX.unsqueeze(1)], 1); // (K, C+2)
            Tensor assignment = zeros(h * w, dtype: ScalarType.Int64);
            for (var iteration = 0; iteration < iterations; iteration++)
            {
                var colourDistance = cdist(colours.unsqueeze(0), centres[.., ..(int)c].unsqueeze(0)).squeeze(0).square(); // (P, K)
                var dy = pixelY.view(-1, 1) - centres[.., (int)c].view(1, -1);
                var dx = pixelX.view(-1, 1) - centres[.., (int)c + 1].view(1, -1);
                var distance = colourDistance + spatialWeight * spatialWeight * (dy.square() + dx.square());
                var outside = dy.abs().gt(2 * step).logical_or(dx.abs().gt(2 * step));
                distance = distance.masked_fill(outside, double.PositiveInfinity);
                assignment = distance.argmin(1); // (P,)
                var features = cat([colours, pixelY.unsqueeze(1), pixelX.unsqueeze(1)], 1); // (P, C+2)
                var sums = zeros(k, c + 2, dtype: ScalarType.Float64).index_add_(0, assignment, features, 1.0);
                var counts = zeros(k, dtype: ScalarType.Float64).index_add_(0, assignment, ones(h * w, dtype: ScalarType.Float64), 1.0);
                var occupied = counts.gt(0).unsqueeze(1);
                centres = where(occupied, sums / counts.clamp_min(1).unsqueeze(1), centres);
            }
            var used = zeros(k, dtype: ScalarType.Int64).index_fill_(0, assignment.unique().Item1, 1);
            var renumber = used.cumsum(dim: 0) - 1; // empty segments dropped, ids contiguous
            var label = renumber.index_select(0, assignment).view(1, h, w).expand(c, h, w); // (C, H, W)
            maxCount = Math.Max(maxCount, (int)used.sum().item<long>());
            labels.Add(label);
        }
        var groups = stack(labels).contiguous(); // (B, C, H, W)
        groups.MoveToOuterDisposeScope();
        return Own(groups, maxCount, true, $"slic:{segments}");
    }

    static Tensor NearestPixel(Tensor y, Tensor x, long width) =>
        y.floor().to(ScalarType.Int64) * width + x.floor().to(ScalarType.Int64);

    static FeatureMask Own(Tensor groups, int count, bool perExample, string name)
    {
        if (perExample && groups.dim() < 2) throw new ArgumentException($"feature mask '{name}': a per-example mask needs shape (B, ...).");
        groups.DetachFromDisposeScope();
        return new FeatureMask(groups, count, perExample, name);
    }

    /// <summary>Group ids for each example of <paramref name="inputs"/>, flattened to (B, F); checks the shapes.</summary>
    internal Tensor FlatGroupsFor(Tensor inputs)
    {
        var exampleShape = inputs.shape[1..];
        var maskShape = PerExample ? Groups.shape[1..] : Groups.shape;
        if (!maskShape.SequenceEqual(exampleShape) || (PerExample && Groups.shape[0] != inputs.shape[0]))
            throw new ArgumentException($"feature mask '{Name}' has shape [{string.Join(", ", Groups.shape)}] but the inputs are [{string.Join(", ", inputs.shape)}]; " +
                                        "a shared mask needs one example's shape, a per-example mask (B, ...).");
        var flat = PerExample ? Groups.flatten(1) : Groups.flatten().unsqueeze(0).expand(inputs.shape[0], -1);
        return flat.to(inputs.device); // (B, F)
    }

    /// <summary>Disposes the group tensor.</summary>
    public void Dispose() => Groups.Dispose();
}
