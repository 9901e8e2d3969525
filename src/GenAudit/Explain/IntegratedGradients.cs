using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="IntegratedGradients"/>.</summary>
public sealed class IntegratedGradientsOptions : AttributionOptions
{
    /// <summary>Number of points on the path from the baseline to the input. Default 50.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Where the points sit and how they are weighted. Default Gauss–Legendre.</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Steps < 1 || (Rule == IntegrationRule.RiemannTrapezoid && Steps < 2))
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"{method}: Steps must be >= 1 (>= 2 for the trapezoid rule).");
    }
}

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017): φ = (x − b) ⊙ ∫₀¹ ∂f/∂x(b + α(x − b)) dα by a
/// quadrature rule. Returns the completeness error Σφ − (f(x) − f(b)), which is the rule's
/// integration error and shrinks as Steps grows.
/// </summary>
public sealed class IntegratedGradients(AttributionTarget target, IntegratedGradientsOptions? options = null)
    : GradientAttribution(target, options ?? new IntegratedGradientsOptions())
{
    IntegratedGradientsOptions IgOptions => (IntegratedGradientsOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "ig";

    /// <summary>Attributes each example of <paramref name="inputs"/> (B, ...) against <paramref name="baseline"/> (zeros by default); the generator is not used.</summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        baseline ??= Baseline.Zeros;
        return Compute(inputs, baseline);
    }

    AttributionResult Compute(Tensor inputs, Baseline baseline)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var (nodes, weights) = Quadrature.On01(IgOptions.Rule, IgOptions.Steps);
        var batch = inputs.shape[0];
        var steps = nodes.Length;
        var broadcast = Enumerable.Repeat(1L, (int)inputs.dim() - 1).ToArray();
        var reference = baseline.Resolve(inputs).detach(); // (B, ...)
        var difference = inputs.detach() - reference;
        var alpha = tensor(nodes, dtype: inputs.dtype, device: inputs.device);
        var weight = tensor(weights, dtype: ScalarType.Float64, device: inputs.device);
        var integral = zeros(inputs.shape, dtype: ScalarType.Float64, device: inputs.device); // Σ_k w_k ∂f/∂x(point_k)

        // Pairs (example, step) in example-major order, chunked to the internal batch size.
        var total = batch * steps;
        for (long start = 0; start < total; start += Options.InternalBatchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(Options.InternalBatchSize, total - start);
            var pair = arange(start, start + length, dtype: ScalarType.Int64, device: inputs.device);
            var example = pair.div(steps, rounding_mode: RoundingMode.floor); // (L,)
            var step = pair.remainder(steps);
            var a = alpha.index_select(0, step).view([length, .. broadcast]);
            var points = reference.index_select(0, example) + a * difference.index_select(0, example); // (L, ...)
            var (_, gradients) = meter.ForwardBackward(Target, points);
            var w = weight.index_select(0, step).view([length, .. broadcast]);
            integral.index_add_(0, example, gradients.to(ScalarType.Float64) * w, 1.0);
        }

        var attributions64 = integral * difference.to(ScalarType.Float64); // (B, ...)
        var ends = ValuesInBatches(cat([inputs.detach(), reference]), meter); // (2B,)
        var atInput = ToDoubles(ends.narrow(0, 0, batch));
        var atBaseline = ToDoubles(ends.narrow(0, batch, batch));
        var sums = SumPerExample(attributions64);
        var parameters = Options.BaseParameters();
        parameters["steps"] = steps.ToString(CultureInfo.InvariantCulture);
        parameters["rule"] = IgOptions.Rule.ToString();
        parameters["baseline"] = baseline.Name;
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = attributions64.to(inputs.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = atInput,
            TargetAtBaseline = atBaseline,
            CompletenessError = sums.Select((s, i) => s - (atInput[i] - atBaseline[i])).ToArray(),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
