using System.Globalization;
using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// One kind of input an attribution explains (latents, images, prompt token embeddings): how inputs of that kind are recognised, and
/// what the <c>explain</c> flags <c>--baseline</c> (beyond zeros and FILE.npy), GradientSHAP's background,
/// <c>--mask</c> and the occlusion window mean for it.
/// </summary>
public interface IAttributionInput
{
    /// <summary>The kind served.</summary>
    TargetInput Kind { get; }

    /// <summary>True when <paramref name="inputs"/> (N, ...) are inputs of this kind for <paramref name="subject"/>'s generator.</summary>
    bool Accepts(AuditSubject subject, Tensor inputs);

    /// <summary>The accepted shape for an error message, e.g. "latents (N, 16)"; null when the run has no inputs of this kind.</summary>
    string? Describe(AuditSubject subject);

    /// <summary>The baseline named "mean" or "blur" (zeros and FILE.npy are the same for every kind) for examples of <paramref name="exampleShape"/>, or an error naming the fix; <paramref name="seed"/> draws any training sample it averages.</summary>
    Baseline Baseline(AuditSubject subject, string name, long[] exampleShape, long seed);

    /// <summary>GradientSHAP's default background set (S, ...) for examples of <paramref name="exampleShape"/>.</summary>
    Tensor Background(AuditSubject subject, long[] exampleShape, long seed);

    /// <summary>The feature mask of <paramref name="spec"/> (null: the kind's default) for examples of <paramref name="exampleShape"/>.</summary>
    Func<Tensor, FeatureMask> Mask(string? spec, long[] exampleShape);

    /// <summary>Occlusion's sliding window for examples of <paramref name="exampleShape"/> under mask <paramref name="spec"/>.</summary>
    long[] OcclusionWindow(string? spec, long[] exampleShape);
}

/// <summary>The attribution input of each kind.</summary>
public static class AttributionInputs
{
    static readonly IAttributionInput[] Inputs = [new LatentInput(), new ImageInput(), new TokenEmbeddingInput()];

    /// <summary>The input of <paramref name="kind"/>.</summary>
    public static IAttributionInput For(TargetInput kind) => Inputs.Single(i => i.Kind == kind);

    /// <summary>The input kind that accepts <paramref name="inputs"/>, or an error listing the accepted shapes.</summary>
    public static IAttributionInput Detect(AuditSubject subject, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(inputs);
        return Inputs.FirstOrDefault(i => i.Accepts(subject, inputs))
               ?? throw new ArgumentException($"--input has shape ({string.Join(", ", inputs.shape)}); this run explains " +
                                              string.Join(" or ", Inputs.Select(i => i.Describe(subject)).OfType<string>()));
    }

    /// <summary>
    /// A seeded, class-stratified sample of up to <paramref name="count"/> training samples as float32 (n, ...):
    /// folders are sorted by class, so the first N would be one class.
    /// </summary>
    internal static Tensor TrainingSamples(AuditSubject subject, int count, long seed)
    {
        var (x, y) = subject.Train.GetBatch(TrainingSample.Stratified(subject.Train.Labels, subject.Train.Count, count, seed));
        y?.Dispose();
        return x.to(ScalarType.Float32);
    }

    /// <summary>K of a mask "form:K" with K a whole number ≥ 1.</summary>
    internal static int ParsePositive(string spec, string form)
    {
        var text = spec[(spec.IndexOf(':') + 1)..];
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value : throw new ArgumentException($"--mask '{spec}': expected {form} with a whole number >= 1");
    }
}

/// <summary>Latents z (N, d) of the generator: prior-mean baseline, prior draws as background, masks over groups of dimensions.</summary>
public sealed class LatentInput : IAttributionInput
{
    /// <inheritdoc />
    public TargetInput Kind => TargetInput.Latent;

    /// <inheritdoc />
    public bool Accepts(AuditSubject subject, Tensor inputs) =>
        inputs.dim() == 2 && inputs.shape[0] >= 1 && inputs.shape[1] == subject.Generator.LatentSize;

    /// <inheritdoc />
    public string? Describe(AuditSubject subject) => $"latents (N, {subject.Generator.LatentSize})";

    /// <inheritdoc />
    public Baseline Baseline(AuditSubject subject, string name, long[] exampleShape, long seed) => name switch
    {
        "mean" => Explain.Baseline.Zeros, // the prior N(0, I) has mean 0
        "blur" => throw new ArgumentException("--baseline blur blurs images; for latents use zeros, mean or a FILE.npy"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "the kind-specific baselines are mean and blur"),
    };

    /// <inheritdoc />
    public Tensor Background(AuditSubject subject, long[] exampleShape, long seed) =>
        randn([64, exampleShape[0]], generator: new Generator(unchecked((ulong)seed + 1))); // (64, d)

    /// <inheritdoc />
    public Func<Tensor, FeatureMask> Mask(string? spec, long[] exampleShape)
    {
        if (spec is null) return _ => FeatureMask.Identity(exampleShape);
        if (!spec.StartsWith("latent:", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--mask '{spec}': latent inputs take latent:K (groups of K dimensions); patch and slic masks are for images");
        var size = AttributionInputs.ParsePositive(spec, "latent:K");
        return _ => FeatureMask.LatentGroups((int)exampleShape[0], size);
    }

    /// <inheritdoc />
    public long[] OcclusionWindow(string? spec, long[] exampleShape) => [1];
}

/// <summary>Images (N, C, H, W) of the generator's output shape: training-mean and blurred baselines, training images as background, patch and SLIC masks.</summary>
public sealed class ImageInput : IAttributionInput
{
    const int DefaultPatch = 4;

    /// <inheritdoc />
    public TargetInput Kind => TargetInput.Image;

    /// <inheritdoc />
    public bool Accepts(AuditSubject subject, Tensor inputs) =>
        subject.Output == OutputKind.Images && inputs.dim() == 4 && inputs.shape[0] >= 1 && inputs.shape[1..].SequenceEqual(subject.Generator.OutputShape);

    /// <inheritdoc />
    public string? Describe(AuditSubject subject) =>
        subject.Output == OutputKind.Images ? $"images (N, {string.Join(", ", subject.Generator.OutputShape)})" : null;

    /// <inheritdoc />
    public Baseline Baseline(AuditSubject subject, string name, long[] exampleShape, long seed) => name switch
    {
        "mean" => Explain.Baseline.FromTensor(AttributionInputs.TrainingSamples(subject, 1000, seed).mean([0]), "mean"),
        "blur" => Explain.Baseline.Blurred(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "the kind-specific baselines are mean and blur"),
    };

    /// <inheritdoc />
    public Tensor Background(AuditSubject subject, long[] exampleShape, long seed) => AttributionInputs.TrainingSamples(subject, 64, seed + 1); // (64, C, H, W)

    /// <inheritdoc />
    public Func<Tensor, FeatureMask> Mask(string? spec, long[] exampleShape)
    {
        spec ??= "patch:" + DefaultPatch;
        if (spec.StartsWith("patch:", StringComparison.OrdinalIgnoreCase))
        {
            var k = AttributionInputs.ParsePositive(spec, "patch:K");
            return _ => FeatureMask.Patches(exampleShape[0], exampleShape[1], exampleShape[2], k);
        }
        if (spec.StartsWith("slic:", StringComparison.OrdinalIgnoreCase))
        {
            var segments = AttributionInputs.ParsePositive(spec, "slic:N");
            return x => FeatureMask.Slic(x, segments);
        }
        throw new ArgumentException($"--mask '{spec}' is not one of patch:K | slic:N (images) | latent:K (latents)");
    }

    /// <inheritdoc />
    public long[] OcclusionWindow(string? spec, long[] exampleShape)
    {
        var patch = spec is { } s && s.StartsWith("patch:", StringComparison.OrdinalIgnoreCase) ? AttributionInputs.ParsePositive(s, "patch:K") : DefaultPatch;
        return [exampleShape[0], patch, patch];
    }
}
