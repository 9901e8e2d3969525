using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// Base of the methods that read gradients of the target (Saliency, Input×Gradient, Integrated
/// Gradients, GradientSHAP, the noise tunnel). Gradients are taken per batch of at most the internal
/// batch size; the target must treat examples independently (no batch statistics).
/// </summary>
public abstract class GradientAttribution : Attribution
{
    /// <summary>Creates the method for a target with validated options.</summary>
    protected GradientAttribution(AttributionTarget target, AttributionOptions options) : base(target, options) { }

    /// <inheritdoc />
    private protected override string FloatingPointReason => " to take gradients";

    /// <summary>
    /// Attributes the target at each example of <paramref name="inputs"/> (B, ...). Methods without a
    /// baseline ignore <paramref name="baseline"/>; random draws come from <paramref name="generator"/>
    /// or from the options' seed.
    /// </summary>
    public abstract AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null);

    /// <summary>f and ∂f/∂x for every point of (N, ...), in batches; returns (N,) and (N, ...).</summary>
    internal (Tensor Values, Tensor Gradients) GradientsInBatches(Tensor points, ModelMeter meter)
    {
        var values = new List<Tensor>();
        var gradients = new List<Tensor>();
        var n = points.shape[0];
        for (long start = 0; start < n; start += Options.InternalBatchSize)
        {
            var length = Math.Min(Options.InternalBatchSize, n - start);
            var (v, g) = meter.ForwardBackward(Target, points.narrow(0, start, length));
            values.Add(v);
            gradients.Add(g);
        }
        return (cat(values), cat(gradients));
    }

    /// <summary>Per-example sums Σφ over all elements, in float64.</summary>
    internal static double[] SumPerExample(Tensor attributions) =>
        attributions.flatten(1).to(ScalarType.Float64).sum(1).data<double>().ToArray();
}
