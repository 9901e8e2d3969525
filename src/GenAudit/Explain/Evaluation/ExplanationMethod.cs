using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>
/// A named explainer for <see cref="ExplanationEvaluator"/>: either a full attribution method (so the
/// completeness error and LIME's R² pass through) or any function inputs (L, ...) → attributions of
/// the same shape.
/// </summary>
public sealed class ExplanationMethod
{
    readonly Func<Tensor, AttributionResult>? explain;
    readonly Func<Tensor, Tensor>? attribute;
    readonly bool functionMultipliedByInputs;

    ExplanationMethod(string name, Func<Tensor, AttributionResult>? explain, Func<Tensor, Tensor>? attribute, bool multipliedByInputs = true,
                      ControlKind control = ControlKind.None)
    {
        functionMultipliedByInputs = multipliedByInputs;
        Control = control;
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.'))
            throw new ArgumentException($"explanation method name '{name}' must be non-empty and contain no '.', since it prefixes report keys.", nameof(name));
        Name = name;
        this.explain = explain;
        this.attribute = attribute;
    }

    /// <summary>Name used in report keys and the ranking, e.g. "ig".</summary>
    public string Name { get; }

    /// <summary>Whether this is a control (a reference an explainer must beat), and which kind; controls are scored but never recommended.</summary>
    public ControlKind Control { get; }

    /// <summary>True for a control: scored and shown, never the recommended method.</summary>
    public bool IsControl => Control != ControlKind.None;

    /// <summary>A method from a function returning a full result, e.g. <c>x => new IntegratedGradients(target).Attribute(x)</c>.</summary>
    public static ExplanationMethod FromResult(string name, Func<Tensor, AttributionResult> explain)
    {
        ArgumentNullException.ThrowIfNull(explain);
        return new ExplanationMethod(name, explain, null);
    }

    /// <summary>
    /// A method from any function inputs (L, ...) → attributions (L, ...); <paramref name="multipliedByInputs"/> false for
    /// local gradients, which infidelity multiplies by (x − b) first (see <see cref="AttributionResult.MultipliedByInputs"/>).
    /// </summary>
    public static ExplanationMethod FromFunction(string name, Func<Tensor, Tensor> attribute, bool multipliedByInputs = true)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        return new ExplanationMethod(name, null, attribute, multipliedByInputs);
    }

    /// <summary>
    /// A control that ignores the model: uniform random attributions in [0, 1) drawn from one generator
    /// seeded with <paramref name="seed"/>, so every call (and every perturbed input) gets fresh values.
    /// </summary>
    public static ExplanationMethod RandomControl(long seed, string name = "random")
    {
        var generator = new Generator(unchecked((ulong)seed));
        return new ExplanationMethod(name, null, inputs => rand(inputs.shape, dtype: inputs.dtype, generator: generator).to(inputs.device),
            control: ControlKind.Random);
    }

    /// <summary>
    /// Any other control from a function inputs (L, ...) → attributions (L, ...), e.g. an edge detector or the
    /// input itself: scored and shown next to the methods, never recommended.
    /// </summary>
    public static ExplanationMethod ControlFromFunction(string name, Func<Tensor, Tensor> attribute, bool multipliedByInputs = true)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        return new ExplanationMethod(name, null, attribute, multipliedByInputs, ControlKind.Other);
    }

    /// <summary>Attributions of the input's shape (the element attributions of a full result).</summary>
    public Tensor Attribute(Tensor inputs)
    {
        if (attribute is not null) return attribute(inputs);
        using var result = explain!(inputs);
        return result.Attributions.detach().clone();
    }

    /// <summary>Attributions plus whatever checks the method reports; tensors belong to the caller's dispose scope.</summary>
    internal (Tensor Attributions, Tensor? GroupAttributions, double[]? CompletenessError, double[]? RSquared, bool MultipliedByInputs) Explain(Tensor inputs)
    {
        if (attribute is not null) return (attribute(inputs), null, null, null, functionMultipliedByInputs);
        using var result = explain!(inputs);
        return (result.Attributions.detach().clone(), result.GroupAttributions?.detach().clone(), result.CompletenessError, result.RSquared, result.MultipliedByInputs);
    }
}

/// <summary>What kind of control an <see cref="ExplanationMethod"/> is.</summary>
public enum ControlKind
{
    /// <summary>Not a control: an explainer that can be recommended.</summary>
    None,

    /// <summary>The random control (uniform random attributions): <c>explainability.margin</c> is measured against it.</summary>
    Random,

    /// <summary>Any other model-agnostic reference.</summary>
    Other,
}
