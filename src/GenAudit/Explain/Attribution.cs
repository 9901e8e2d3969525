using GenAudit.Core;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>What every attribution method shares: the target, the options and the input checks.</summary>
public abstract class Attribution
{
    /// <summary>Creates the method for a target with validated options.</summary>
    protected Attribution(AttributionTarget target, AttributionOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        Target = target;
        Options = options;
    }

    /// <summary>The function being explained.</summary>
    public AttributionTarget Target { get; }

    /// <summary>The method's options (the shared part).</summary>
    public AttributionOptions Options { get; }

    /// <summary>Method name as used on the command line.</summary>
    public abstract string MethodName { get; }

    /// <summary>Why inputs must be floating point, appended to the error ("" or " to take gradients").</summary>
    private protected virtual string FloatingPointReason => "";

    /// <summary>Shared input checks: a floating-point batch (B, ...) with B >= 1.</summary>
    internal void ValidateInputs(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Options.Validate(MethodName);
        if (inputs.dim() < 2 || inputs.shape[0] < 1)
            throw new ArgumentException($"{MethodName}: inputs must be a batch (B, ...) with B >= 1, got shape [{string.Join(", ", inputs.shape)}]; add a batch dimension with unsqueeze(0).");
        if (!inputs.is_floating_point())
            throw new ArgumentException($"{MethodName}: inputs must be floating point{FloatingPointReason}, got {inputs.dtype}.");
    }

    /// <summary>f for every point of (N, ...), in batches of the internal batch size, without gradients; returns (N,) float64.</summary>
    internal Tensor ValuesInBatches(Tensor points, ModelMeter meter)
    {
        using var noGrad = no_grad();
        var values = new List<Tensor>();
        var n = points.shape[0];
        for (long start = 0; start < n; start += Options.InternalBatchSize)
            values.Add(meter.Forward(Target, points.narrow(0, start, Math.Min(Options.InternalBatchSize, n - start))).to(ScalarType.Float64));
        return cat(values);
    }

    /// <summary><see cref="Numerics.ToDoubles"/>, under the short name the methods' result records use.</summary>
    internal static double[] ToDoubles(Tensor values) => Numerics.ToDoubles(values);
}
