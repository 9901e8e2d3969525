using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// The reference input that attributions are measured against: zeros, a given tensor (such as the
/// data mean), a Gaussian-blurred copy of each image, or a background set. The caller keeps any
/// tensor it passes alive for as long as the baseline is used.
/// </summary>
public sealed class Baseline
{
    enum Kind { Zeros, Tensor, Blur, Background }

    readonly Kind kind;
    readonly Tensor? reference;
    readonly double sigma;

    Baseline(Kind kind, Tensor? reference, double sigma, string name)
    {
        this.kind = kind;
        this.reference = reference;
        this.sigma = sigma;
        Name = name;
    }

    /// <summary>Short description for reports ("zeros", "tensor", "blur:2", "background:100").</summary>
    public string Name { get; }

    /// <summary>All-zero baseline.</summary>
    public static Baseline Zeros { get; } = new(Kind.Zeros, null, 0, "zeros");

    /// <summary>
    /// A fixed baseline: one example (...), (1, ...) broadcast to the batch, or one per example (B, ...).
    /// Use it for the data mean or a baseline read from a file.
    /// </summary>
    public static Baseline FromTensor(Tensor reference, string name = "tensor")
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new Baseline(Kind.Tensor, reference, 0, name);
    }

    /// <summary>
    /// Each (B, C, H, W) image blurred by a Gaussian of standard deviation <paramref name="sigma"/>
    /// pixels (kernel of 2·ceil(3σ)+1 taps, reflect padding, channels blurred separately).
    /// </summary>
    public static Baseline Blurred(double sigma = 5.0)
    {
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "blur baseline: sigma must be > 0 pixels.");
        return new Baseline(Kind.Blur, null, sigma, "blur:" + sigma.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A background set (N, ...) of reference inputs. GradientSHAP samples baselines from it; methods
    /// that need a single baseline (IG, occlusion, ablation, KernelSHAP, LIME) use its mean.
    /// </summary>
    public static Baseline Background(Tensor set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.dim() < 2 || set.shape[0] < 1)
            throw new ArgumentException($"background baseline needs a set (N, ...) with N >= 1, got shape [{string.Join(", ", set.shape)}].");
        return new Baseline(Kind.Background, set, 0, $"background:{set.shape[0]}");
    }

    /// <summary>The background set (N, ...) when this is a background baseline; null otherwise.</summary>
    public Tensor? BackgroundSet => kind == Kind.Background ? reference : null;

    /// <summary>One baseline per example, shape and dtype of <paramref name="inputs"/> (B, ...).</summary>
    public Tensor Resolve(Tensor inputs)
    {
        var exampleShape = inputs.shape[1..];
        switch (kind)
        {
            case Kind.Zeros:
                return zeros_like(inputs);
            case Kind.Blur:
                return Blur(inputs, sigma);
            case Kind.Background:
                CheckExampleShape(reference!.shape[1..], exampleShape, "background set");
                return reference!.to(inputs.dtype, inputs.device).mean([0], keepdim: true).expand(inputs.shape).contiguous();
            default:
                var r = reference!.to(inputs.dtype, inputs.device);
                if (r.dim() == inputs.dim() - 1) r = r.unsqueeze(0);
                if (r.dim() != inputs.dim() || (r.shape[0] != 1 && r.shape[0] != inputs.shape[0]))
                    throw new ArgumentException($"baseline '{Name}' has shape [{string.Join(", ", reference!.shape)}]; for inputs [{string.Join(", ", inputs.shape)}] give (...), (1, ...) or (B, ...).");
                CheckExampleShape(r.shape[1..], exampleShape, $"baseline '{Name}'");
                return r.expand(inputs.shape).contiguous();
        }
    }

    static void CheckExampleShape(long[] got, long[] want, string what)
    {
        if (!got.SequenceEqual(want))
            throw new ArgumentException($"{what}: examples have shape [{string.Join(", ", got)}] but the inputs have [{string.Join(", ", want)}].");
    }

    /// <summary>Separable Gaussian blur of (B, C, H, W) images.</summary>
    internal static Tensor Blur(Tensor images, double sigma)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"blur baseline needs (B, C, H, W) images but got shape [{string.Join(", ", images.shape)}]; use zeros or a tensor baseline for latents.");
        using var scope = NewDisposeScope();
        var channels = images.shape[1];
        var radius = (int)Math.Ceiling(3 * sigma);
        radius = (int)Math.Min(radius, Math.Min(images.shape[2], images.shape[3]) - 1); // reflect padding needs pad < size
        var taps = new double[2 * radius + 1];
        for (var i = -radius; i <= radius; i++) taps[i + radius] = Math.Exp(-i * i / (2 * sigma * sigma));
        var sum = taps.Sum();
        var kernel = tensor(taps.Select(t => t / sum).ToArray()).to(images.dtype, images.device); // (K,)
        var horizontal = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, taps.Length);
        var vertical = kernel.view(1, 1, -1, 1).expand(channels, 1, taps.Length, 1);
        var padded = nn.functional.pad(images, [radius, radius, radius, radius], PaddingModes.Reflect); // (B, C, H+2r, W+2r)
        var blurred = nn.functional.conv2d(padded, horizontal, groups: channels);
        blurred = nn.functional.conv2d(blurred, vertical, groups: channels); // (B, C, H, W)
        return blurred.MoveToOuterDisposeScope();
    }
}
