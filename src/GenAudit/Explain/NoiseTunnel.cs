using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>What the noise tunnel returns from the attributions of the noisy copies.</summary>
public enum NoiseTunnelKind
{
    /// <summary>SmoothGrad (Smilkov et al. 2017): their mean.</summary>
    SmoothGrad,
    /// <summary>VarGrad (Adebayo et al. 2018): their variance (population, divided by the sample count).</summary>
    VarGrad,
}

/// <summary>Options of <see cref="NoiseTunnel"/>.</summary>
public sealed class NoiseTunnelOptions : AttributionOptions
{
    /// <summary>Mean or variance of the noisy attributions. Default SmoothGrad.</summary>
    public NoiseTunnelKind Kind { get; init; } = NoiseTunnelKind.SmoothGrad;

    /// <summary>Number of noisy copies per example. Default 25.</summary>
    public int Samples { get; init; } = 25;

    /// <summary>
    /// Noise level σ / (max − min): each example's noise standard deviation is this share of the range of its own
    /// values, as Smilkov et al. define it (they found 10–20% best). Default 0.15.
    /// </summary>
    public double NoiseLevel { get; init; } = 0.15;

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Samples < 1) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"{method}: Samples must be >= 1.");
        if (!(NoiseLevel >= 0) || double.IsInfinity(NoiseLevel)) throw new ArgumentOutOfRangeException(nameof(NoiseLevel), NoiseLevel, $"{method}: NoiseLevel must be a finite share >= 0 of each input's range (0.1–0.2 in the SmoothGrad paper).");
    }
}

/// <summary>
/// Noise tunnel around any gradient method: attributes <see cref="NoiseTunnelOptions.Samples"/>
/// copies x + N(0, σ²) of each example, σ = NoiseLevel · (max(x) − min(x)) over that example's values, with the inner method (in its internal batches) and returns
/// their mean (SmoothGrad) or variance (VarGrad). The inner method's baseline is resolved on the
/// clean input and shared by all copies.
/// </summary>
public sealed class NoiseTunnel(GradientAttribution inner, NoiseTunnelOptions? options = null)
    : GradientAttribution(inner.Target, options ?? new NoiseTunnelOptions())
{
    NoiseTunnelOptions TunnelOptions => (NoiseTunnelOptions)Options;

    /// <summary>The wrapped method.</summary>
    public GradientAttribution Inner { get; } = inner;

    /// <inheritdoc/>
    public override string MethodName => TunnelOptions.Kind == NoiseTunnelKind.SmoothGrad ? "smoothgrad" : "vargrad";

    /// <summary>Attributes each example of <paramref name="inputs"/> (B, ...) through its noisy copies; noise comes from <paramref name="generator"/> or the seed.</summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        return Compute(inputs, baseline, Options.GeneratorOrSeeded(generator));
    }

    AttributionResult Compute(Tensor inputs, Baseline? baseline, Generator generator)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var samples = TunnelOptions.Samples;
        var batch = inputs.shape[0];
        var repeats = Enumerable.Repeat(1L, (int)inputs.dim()).ToArray();
        repeats[0] = samples;
        var clean = inputs.detach().repeat(repeats); // (S·B, ...), sample-major
        var flat = inputs.detach().flatten(1);
        var level = tensor(TunnelOptions.NoiseLevel, dtype: inputs.dtype, device: inputs.device);
        var sigma = ((flat.amax([1]) - flat.amin([1])) * level).view([batch, .. Enumerable.Repeat(1L, (int)inputs.dim() - 1)]); // (B, 1, ...) σ per example
        var noise = randn(clean.shape, dtype: inputs.dtype, device: inputs.device, generator: generator) * sigma.repeat(repeats);
        var sharedBaseline = baseline is null ? null : Baseline.FromTensor(baseline.Resolve(inputs).repeat(repeats), baseline.Name);
        using var innerResult = Inner.Attribute(clean + noise, sharedBaseline, generator);
        meter.Absorb(innerResult);
        var perSample = innerResult.Attributions.to(ScalarType.Float64).view([samples, batch, .. inputs.shape[1..]]);
        var mean = perSample.mean([0]);
        var result = TunnelOptions.Kind == NoiseTunnelKind.SmoothGrad ? mean : perSample.square().mean([0]) - mean.square();
        var atInput = ValuesInBatches(inputs.detach(), meter);
        var parameters = Options.BaseParameters();
        parameters["inner"] = Inner.MethodName;
        parameters["samples"] = samples.ToString(CultureInfo.InvariantCulture);
        parameters["noiseLevel"] = TunnelOptions.NoiseLevel.ToString("R", CultureInfo.InvariantCulture);
        foreach (var (key, value) in innerResult.Parameters) parameters.TryAdd("inner." + key, value);
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = result.to(inputs.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = ToDoubles(atInput),
            MultipliedByInputs = innerResult.MultipliedByInputs,
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
