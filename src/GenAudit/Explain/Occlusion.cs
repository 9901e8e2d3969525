using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="Occlusion"/>.</summary>
public sealed class OcclusionOptions : AttributionOptions
{
    /// <summary>Shape of the sliding window, one entry per example dimension, e.g. [1, 4, 4] for (C, H, W) images. Required.</summary>
    public required long[] WindowShape { get; init; }

    /// <summary>Step of the window along each example dimension. Default: the window shape (non-overlapping windows).</summary>
    public long[]? Strides { get; init; }

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (WindowShape is null || WindowShape.Length == 0 || WindowShape.Any(w => w < 1))
            throw new ArgumentException($"{method}: WindowShape must give a size >= 1 for every example dimension.");
        if (Strides is { } s && (s.Length != WindowShape.Length || s.Any(v => v < 1)))
            throw new ArgumentException($"{method}: Strides must give a step >= 1 for each of the {WindowShape.Length} window dimensions.");
    }
}

/// <summary>
/// Occlusion (Zeiler and Fergus 2014): slides a window over each example, replaces the covered
/// elements by the baseline and records Δ = f(x) − f(occluded). An element's attribution is the mean
/// Δ over the windows that cover it (0 if none does), as in Captum. Positions along a dimension of
/// size D are 0, s, 2s, ... up to D − w.
/// </summary>
public sealed class Occlusion(AttributionTarget target, OcclusionOptions options)
    : PerturbationAttribution(target, options)
{
    OcclusionOptions OcclusionOptions => (OcclusionOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "occlusion";

    /// <summary>Occludes each example of <paramref name="inputs"/> (B, ...) window by window with <paramref name="baseline"/> (zeros by default).</summary>
    public AttributionResult Attribute(Tensor inputs, Baseline? baseline = null)
    {
        ValidateInputs(inputs);
        var exampleShape = inputs.shape[1..];
        if (OcclusionOptions.WindowShape.Length != exampleShape.Length || OcclusionOptions.WindowShape.Where((w, i) => w > exampleShape[i]).Any())
            throw new ArgumentException($"occlusion: WindowShape [{string.Join(", ", OcclusionOptions.WindowShape)}] must have one size per example dimension and fit in [{string.Join(", ", exampleShape)}].");
        return Compute(inputs, baseline ?? Baseline.Zeros);
    }

    AttributionResult Compute(Tensor inputs, Baseline baseline)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var batch = x.shape[0];
        var exampleShape = x.shape[1..];
        var features = (int)x.shape[1..].Aggregate(1L, (a, b) => a * b);
        var windows = WindowElements(exampleShape, OcclusionOptions.WindowShape, OcclusionOptions.Strides ?? OcclusionOptions.WindowShape);

        // Each window is a coalition over "features": keep everything except the window's elements.
        var keep = ones(windows.Count, features, dtype: ScalarType.Float32);
        var rows = windows.SelectMany((w, p) => w.Select(_ => (long)p)).ToArray();
        var columns = windows.SelectMany(w => w.Select(e => (long)e)).ToArray();
        keep.index_put_(zeros(1), [tensor(rows), tensor(columns)]);
        var identityGroups = arange(features, dtype: ScalarType.Int64, device: x.device).unsqueeze(0).expand(batch, features);
        var reference = baseline.Resolve(x);
        var atInput = ValuesInBatches(x, meter); // (B,)
        var occluded = EvaluateCoalitions(x, reference, identityGroups, keep.to(x.device), meter); // (B, P)
        var drops = atInput.unsqueeze(1) - occluded;

        var cover = (1 - keep).to(ScalarType.Float64).to(x.device); // (P, F)
        var coverCount = cover.sum(dim: 0); // (F,) (a bare 0 would bind to the ScalarType overload)
        var attributions = drops.matmul(cover) / coverCount.clamp_min(1); // (B, F)
        var parameters = Options.BaseParameters();
        parameters["window"] = string.Join("x", OcclusionOptions.WindowShape);
        parameters["strides"] = string.Join("x", OcclusionOptions.Strides ?? OcclusionOptions.WindowShape);
        parameters["windows"] = windows.Count.ToString(CultureInfo.InvariantCulture);
        parameters["baseline"] = baseline.Name;
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = attributions.to(x.dtype).view(x.shape).MoveToOuterDisposeScope(),
            TargetAtInput = ToDoubles(atInput),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }

    /// <summary>Flat (row-major) element indices covered by each window position.</summary>
    static List<int[]> WindowElements(long[] shape, long[] window, long[] strides)
    {
        var rank = shape.Length;
        var positions = new long[rank];
        for (var d = 0; d < rank; d++) positions[d] = (shape[d] - window[d]) / strides[d] + 1;
        var stridesOfShape = new long[rank];
        stridesOfShape[rank - 1] = 1;
        for (var d = rank - 2; d >= 0; d--) stridesOfShape[d] = stridesOfShape[d + 1] * shape[d + 1];
        var result = new List<int[]>();
        var windowSize = window.Aggregate(1L, (a, b) => a * b);
        foreach (var start in Grid(positions))
        {
            var elements = new int[windowSize];
            var i = 0;
            foreach (var offset in Grid(window))
            {
                long flat = 0;
                for (var d = 0; d < rank; d++) flat += (start[d] * strides[d] + offset[d]) * stridesOfShape[d];
                elements[i++] = (int)flat;
            }
            result.Add(elements);
        }
        return result;
    }

    /// <summary>All index tuples of a box of the given extents, row-major.</summary>
    static IEnumerable<long[]> Grid(long[] extents)
    {
        var index = new long[extents.Length];
        while (true)
        {
            yield return (long[])index.Clone();
            var d = extents.Length - 1;
            while (d >= 0 && ++index[d] == extents[d]) index[d--] = 0;
            if (d < 0) yield break;
        }
    }
}
