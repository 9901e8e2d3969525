using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// Base of the methods that only evaluate the target on perturbed inputs (occlusion, feature
/// ablation, KernelSHAP, LIME). Every evaluation runs under no_grad in batches of at most the
/// internal batch size; perturbed inputs are built batch by batch so memory stays bounded.
/// </summary>
public abstract class PerturbationAttribution : Attribution
{
    /// <summary>Creates the method for a target with validated options.</summary>
    protected PerturbationAttribution(AttributionTarget target, AttributionOptions options) : base(target, options) { }

    /// <summary>
    /// f at every (example, coalition) pair: the input where the coalition (S, M) is 1 for the
    /// element's group and the reference where it is 0. <paramref name="flatGroups"/> is (B, F).
    /// Returns (B, S) float64.
    /// </summary>
    internal Tensor EvaluateCoalitions(Tensor inputs, Tensor reference, Tensor flatGroups, Tensor coalitions, ModelMeter meter)
    {
        using var noGrad = no_grad();
        var batch = inputs.shape[0];
        var count = coalitions.shape[0];
        var flatInputs = inputs.flatten(1); // (B, F)
        var flatReference = reference.flatten(1);
        var flatDifference = flatInputs - flatReference;
        var keep = coalitions.to(inputs.dtype);
        var values = new List<Tensor>();
        var total = batch * count;
        for (long start = 0; start < total; start += Options.InternalBatchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(Options.InternalBatchSize, total - start);
            var pair = arange(start, start + length, dtype: ScalarType.Int64, device: inputs.device);
            var example = pair.div(count, rounding_mode: RoundingMode.floor); // (L,)
            var coalition = pair.remainder(count);
            var elementMask = keep.index_select(0, coalition).gather(1, flatGroups.index_select(0, example)); // (L, F)
            var perturbed = flatReference.index_select(0, example).addcmul_(elementMask, flatDifference.index_select(0, example), 1.0); // (L, F)
            var v = meter.Forward(Target, perturbed.view([length, .. inputs.shape[1..]]));
            values.Add(v.to(ScalarType.Float64).MoveToOuterDisposeScope());
        }
        return cat(values).view(batch, count);
    }

    /// <summary>Spreads per-group values (B, M) onto the elements of inputs shaped like <paramref name="inputs"/>.</summary>
    internal static Tensor ToElements(Tensor groupValues, Tensor flatGroups, Tensor inputs) =>
        groupValues.to(inputs.dtype).gather(1, flatGroups).view(inputs.shape);
}
