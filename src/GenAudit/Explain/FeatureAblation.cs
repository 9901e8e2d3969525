using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// Feature ablation: for each group of a feature mask, f(x) − f(x with that group set to the baseline);
/// every element of the group carries its group's value. Exact (w ⊙ (x − b)) for a linear target
/// with the identity mask.
/// </summary>
public sealed class FeatureAblation(AttributionTarget target, AttributionOptions? options = null)
    : PerturbationAttribution(target, options ?? new AttributionOptions())
{
    /// <inheritdoc/>
    public override string MethodName => "ablation";

    /// <summary>Ablates each group of <paramref name="mask"/> (identity by default) in each example of <paramref name="inputs"/> (B, ...), against <paramref name="baseline"/> (zeros by default).</summary>
    public AttributionResult Attribute(Tensor inputs, FeatureMask? mask = null, Baseline? baseline = null)
    {
        ValidateInputs(inputs);
        using var identity = mask is null ? FeatureMask.Identity(inputs.shape[1..]) : null;
        return Compute(inputs, mask ?? identity!, baseline ?? Baseline.Zeros);
    }

    AttributionResult Compute(Tensor inputs, FeatureMask mask, Baseline baseline)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var batch = x.shape[0];
        var flatGroups = mask.FlatGroupsFor(x);
        var reference = baseline.Resolve(x);
        var allButOne = 1 - eye(mask.Count, dtype: ScalarType.Float64); // (M, M): row g drops group g
        var ends = ValuesInBatches(cat([x, reference]), meter);
        var atInput = ends.narrow(0, 0, batch);
        var ablated = EvaluateCoalitions(x, reference, flatGroups, allButOne, meter); // (B, M)
        var drops = atInput.unsqueeze(1) - ablated;
        var parameters = Options.BaseParameters();
        parameters["features"] = mask.Count.ToString(CultureInfo.InvariantCulture);
        parameters["mask"] = mask.Name;
        parameters["baseline"] = baseline.Name;
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = ToElements(drops, flatGroups, x).MoveToOuterDisposeScope(),
            GroupAttributions = drops.to(x.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = ToDoubles(atInput),
            TargetAtBaseline = ToDoubles(ends.narrow(0, batch, batch)),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
