using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="GradientShap"/>.</summary>
public sealed class GradientShapOptions : AttributionOptions
{
    /// <summary>Number of (baseline, path point) draws per example. Default 50.</summary>
    public int Samples { get; init; } = 50;

    /// <summary>Standard deviation of Gaussian noise added to each path point, in input units. Default 0 (plain expected gradients).</summary>
    public double NoiseStandardDeviation { get; init; }

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Samples < 1) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"{method}: Samples must be >= 1.");
        if (!(NoiseStandardDeviation >= 0)) throw new ArgumentOutOfRangeException(nameof(NoiseStandardDeviation), NoiseStandardDeviation, $"{method}: NoiseStandardDeviation must be >= 0.");
    }
}

/// <summary>
/// GradientSHAP / expected gradients (Lundberg and Lee 2017; Erion et al. 2021): the mean over draws
/// of ∂f/∂x(b + α(x − b) + ε) ⊙ (x − b), with b drawn uniformly from a background set and α from U(0, 1).
/// Its completeness error is measured against the background mean E_b f(b) and is a Monte Carlo
/// estimate that goes to 0 in expectation (for ε = 0) as Samples grows.
/// </summary>
public sealed class GradientShap(AttributionTarget target, GradientShapOptions? options = null)
    : GradientAttribution(target, options ?? new GradientShapOptions())
{
    GradientShapOptions ShapOptions => (GradientShapOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "gradshap";

    /// <summary>
    /// Attributes each example of <paramref name="inputs"/> (B, ...) against a background set
    /// (<see cref="Baseline.Background"/>); any other baseline acts as a set of one reference per example.
    /// </summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        if (baseline is null)
            throw new ArgumentException("gradshap: give a baseline, normally Baseline.Background(set) with reference inputs (N, ...).", nameof(baseline));
        return Compute(inputs, baseline, Options.GeneratorOrSeeded(generator));
    }

    AttributionResult Compute(Tensor inputs, Baseline baseline, Generator generator)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var batch = inputs.shape[0];
        var samples = ShapOptions.Samples;
        var broadcast = Enumerable.Repeat(1L, (int)inputs.dim() - 1).ToArray();
        var x = inputs.detach();
        // With a background set every pair draws its reference from the set; otherwise the reference is the example's own baseline.
        var set = baseline.BackgroundSet is { } background ? background.to(inputs.dtype, inputs.device) : baseline.Resolve(x);
        var fromSet = baseline.BackgroundSet is not null;
        if (!set.shape[1..].SequenceEqual(x.shape[1..]))
            throw new ArgumentException($"gradshap: background examples have shape [{string.Join(", ", set.shape[1..])}] but the inputs have [{string.Join(", ", x.shape[1..])}].");
        var total = batch * samples;
        var referenceIndex = fromSet
            ? randint(set.shape[0], [total], dtype: ScalarType.Int64, device: inputs.device, generator: generator)
            : arange(total, dtype: ScalarType.Int64, device: inputs.device).div(samples, rounding_mode: RoundingMode.floor);
        var alphas = rand([total], dtype: inputs.dtype, device: inputs.device, generator: generator);
        var accumulated = zeros(x.shape, dtype: ScalarType.Float64, device: inputs.device);
        for (long start = 0; start < total; start += Options.InternalBatchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(Options.InternalBatchSize, total - start);
            var example = arange(start, start + length, dtype: ScalarType.Int64, device: inputs.device).div(samples, rounding_mode: RoundingMode.floor);
            var reference = set.index_select(0, referenceIndex.narrow(0, start, length)); // (L, ...)
            var difference = x.index_select(0, example) - reference;
            var points = reference + alphas.narrow(0, start, length).view([length, .. broadcast]) * difference;
            if (ShapOptions.NoiseStandardDeviation > 0)
                points += randn(points.shape, dtype: inputs.dtype, device: inputs.device, generator: generator) * ShapOptions.NoiseStandardDeviation;
            var (_, gradients) = meter.ForwardBackward(Target, points);
            accumulated.index_add_(0, example, gradients.to(ScalarType.Float64) * difference.to(ScalarType.Float64), 1.0);
        }
        var attributions64 = accumulated / samples;
        var atInput = ToDoubles(ValuesInBatches(x, meter));
        var setValues = ValuesInBatches(set, meter).to(ScalarType.Float64);
        var atBaseline = fromSet ? Enumerable.Repeat(setValues.mean().item<double>(), (int)batch).ToArray() : ToDoubles(setValues);
        var sums = SumPerExample(attributions64);
        var parameters = Options.BaseParameters();
        parameters["samples"] = samples.ToString(CultureInfo.InvariantCulture);
        parameters["noiseStandardDeviation"] = ShapOptions.NoiseStandardDeviation.ToString(CultureInfo.InvariantCulture);
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
