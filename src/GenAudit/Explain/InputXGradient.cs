using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Input × Gradient (Shrikumar et al. 2016): x ⊙ ∂f/∂x; exact for a linear target with a zero baseline.</summary>
public sealed class InputXGradient(AttributionTarget target, AttributionOptions? options = null)
    : GradientAttribution(target, options ?? new AttributionOptions())
{
    /// <inheritdoc/>
    public override string MethodName => "inputxgrad";

    /// <summary>x ⊙ ∂f/∂x for each example of <paramref name="inputs"/> (B, ...); the baseline and generator are not used.</summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        return Compute(inputs);
    }

    AttributionResult Compute(Tensor inputs)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var (values, gradients) = GradientsInBatches(inputs, meter);
        var attributions = (inputs * gradients).MoveToOuterDisposeScope(); // (B, ...)
        return new AttributionResult
        {
            Method = MethodName, Attributions = attributions, TargetAtInput = ToDoubles(values),
            Parameters = Options.BaseParameters(), Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
