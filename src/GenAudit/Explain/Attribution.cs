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
}
