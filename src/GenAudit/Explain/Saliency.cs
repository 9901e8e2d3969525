using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Saliency (Simonyan et al. 2014): |∂f/∂x| at the input.</summary>
public sealed class Saliency(AttributionTarget target, AttributionOptions? options = null)
    : GradientAttribution(target, options ?? new AttributionOptions())
{
    /// <inheritdoc/>
    public override string MethodName => "saliency";

    /// <summary>Absolute gradients at each example of <paramref name="inputs"/> (B, ...); the baseline and generator are not used.</summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        return Compute(inputs);
    }

    AttributionResult Compute(Tensor inputs)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var (values, gradients) = GradientsInBatches(inputs, meter); // (B,), (B, ...)
        var attributions = gradients.abs().MoveToOuterDisposeScope();
        return new AttributionResult
        {
            Method = MethodName, Attributions = attributions, TargetAtInput = ToDoubles(values), MultipliedByInputs = false,
            Parameters = Options.BaseParameters(), Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
