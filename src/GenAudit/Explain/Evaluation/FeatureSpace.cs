using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>
/// The features the metrics perturb: the input's elements, or the groups of a feature mask. Holds the
/// inputs, the resolved baseline and the group id of every element; shared by all metrics.
/// </summary>
internal sealed class FeatureSpace
{
    FeatureSpace(Tensor inputs, Tensor reference, Tensor flatGroups, int count)
    {
        Inputs = inputs;
        Reference = reference;
        FlatGroups = flatGroups;
        Count = count;
    }

    /// <summary>The inputs (B, ...), detached.</summary>
    public Tensor Inputs { get; }

    /// <summary>The baseline per example (B, ...).</summary>
    public Tensor Reference { get; }

    /// <summary>Group id of every element (B, F), int64.</summary>
    public Tensor FlatGroups { get; }

    /// <summary>Number of features M.</summary>
    public int Count { get; }

    public long Batch => Inputs.shape[0];

    /// <summary>Checks the inputs and builds the feature space (tensors belong to the caller's dispose scope).</summary>
    public static FeatureSpace Create(Tensor inputs, Baseline? baseline, FeatureMask? mask, string metric)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() < 2 || inputs.shape[0] < 1)
            throw new ArgumentException($"{metric}: inputs must be a batch (B, ...) with B >= 1, got shape [{string.Join(", ", inputs.shape)}]; add a batch dimension with unsqueeze(0).");
        if (!inputs.is_floating_point())
            throw new ArgumentException($"{metric}: inputs must be floating point, got {inputs.dtype}.");
        var x = inputs.detach();
        var reference = (baseline ?? Baseline.Zeros).Resolve(x).detach();
        if (mask is null)
        {
            var features = x[0].numel();
            if (features > int.MaxValue) throw new ArgumentException($"{metric}: {features} features per example is too many; group them with a FeatureMask.");
            return new FeatureSpace(x, reference, arange(features, dtype: ScalarType.Int64, device: x.device).unsqueeze(0).expand(x.shape[0], -1), (int)features);
        }
        return new FeatureSpace(x, reference, mask.FlatGroupsFor(x), mask.Count);
    }

    /// <summary>
    /// Per-feature attributions (B, M) in float64: the given (B, M) group attributions when a mask has M
    /// groups and the tensor is (B, M), otherwise the sum of the element attributions (input's shape) over each group.
    /// </summary>
    public Tensor FeatureValues(Tensor attributions, string metric)
    {
        ArgumentNullException.ThrowIfNull(attributions);
        var a = attributions.detach().to(ScalarType.Float64);
        if (a.shape.SequenceEqual(Inputs.shape))
            return zeros(Batch, Count, dtype: ScalarType.Float64, device: a.device).scatter_add_(1, FlatGroups, a.flatten(1)); // (B, M)
        if (a.dim() == 2 && a.shape[0] == Batch && a.shape[1] == Count)
            return a;
        throw new ArgumentException($"{metric}: attributions have shape [{string.Join(", ", attributions.shape)}]; give the input's shape [{string.Join(", ", Inputs.shape)}] or one value per feature [{Batch}, {Count}].");
    }

    /// <summary>
    /// Inputs where the features marked 1 in <paramref name="removed"/> (L, M) take the baseline and the
    /// others keep the input, for the examples <paramref name="example"/> (L,); returns (L, ...).
    /// </summary>
    public Tensor Remove(Tensor example, Tensor removed) => Mix(example, removed, Inputs, Reference);

    /// <summary>Baselines where the features marked 1 in <paramref name="added"/> (L, M) take the input; returns (L, ...).</summary>
    public Tensor Add(Tensor example, Tensor added) => Mix(example, added, Reference, Inputs);

    Tensor Mix(Tensor example, Tensor switched, Tensor from, Tensor to)
    {
        var length = example.shape[0];
        var elementMask = switched.to(Inputs.dtype).gather(1, FlatGroups.index_select(0, example)); // (L, F)
        var start = from.flatten(1).index_select(0, example);
        var end = to.flatten(1).index_select(0, example);
        return start.addcmul(elementMask, end - start, 1.0).view([length, .. Inputs.shape[1..]]);
    }

    /// <summary>Uniform random subsets of <paramref name="size"/> of the M features: (N, M) float64 indicators.</summary>
    public Tensor RandomSubsets(long count, int size, Generator generator) =>
        rand([count, Count], dtype: ScalarType.Float64, generator: generator).argsort(1).argsort(1).lt(size).to(ScalarType.Float64);
}

/// <summary>Sends inputs to a target or explainer in batches and checks what comes back.</summary>
internal static class Batched
{
    /// <summary>
    /// f at <paramref name="count"/> inputs built chunk by chunk by <paramref name="make"/>(start, length),
    /// without gradients, at most <paramref name="batchSize"/> at a time; returns (count,) float64.
    /// </summary>
    public static Tensor Evaluate(Func<Tensor, Tensor> target, long count, Func<long, long, Tensor> make, int batchSize)
    {
        using var noGrad = no_grad();
        var values = new List<Tensor>();
        for (long start = 0; start < count; start += batchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            var batch = make(start, length);
            values.Add(Scalars(target(batch), length).to(ScalarType.Float64).MoveToOuterDisposeScope());
        }
        return cat(values);
    }

    /// <summary>f at every row of (N, ...), in batches.</summary>
    public static Tensor Evaluate(Func<Tensor, Tensor> target, Tensor points, int batchSize) =>
        Evaluate(target, points.shape[0], (start, length) => points.narrow(0, start, length), batchSize);

    /// <summary>
    /// The explainer's attributions for <paramref name="count"/> inputs built chunk by chunk; gradients
    /// stay enabled since most explainers need them. Returns (count, ...) in float64.
    /// </summary>
    public static Tensor Explain(Func<Tensor, Tensor> explainer, long count, Func<long, long, Tensor> make, int batchSize)
    {
        var attributions = new List<Tensor>();
        for (long start = 0; start < count; start += batchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            var batch = make(start, length);
            var a = explainer(batch);
            if (!a.shape.SequenceEqual(batch.shape))
                throw new InvalidOperationException($"explainer returned shape [{string.Join(", ", a.shape)}] for inputs [{string.Join(", ", batch.shape)}]; it must return attributions of the input's shape.");
            attributions.Add(a.detach().to(ScalarType.Float64).MoveToOuterDisposeScope());
        }
        return cat(attributions);
    }

    static Tensor Scalars(Tensor values, long length)
    {
        if (values.dim() == 2 && values.shape[1] == 1) values = values.squeeze(1);
        if (values.dim() != 1 || values.shape[0] != length)
            throw new InvalidOperationException($"target returned shape [{string.Join(", ", values.shape)}] for a batch of {length}; it must return one scalar per example, shape [{length}].");
        return values;
    }
}
