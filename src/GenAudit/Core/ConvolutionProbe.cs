using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Core;

/// <summary>The layer kinds the probe exercises.</summary>
public enum ProbeOperation
{
    /// <summary>F.conv2d with bias.</summary>
    Conv2d,
    /// <summary>F.conv2d without bias.</summary>
    Conv2dNoBias,
    /// <summary>F.conv_transpose2d with bias.</summary>
    ConvTranspose2d,
    /// <summary>F.conv_transpose2d without bias (the DCGAN generator's layers).</summary>
    ConvTranspose2dNoBias,
    /// <summary>Batch norm in training mode over the channels.</summary>
    BatchNorm2d,
    /// <summary>conv2d → batch norm → SiLU, the block GenAudit's networks are made of.</summary>
    ConvBatchNormSilu,
}

/// <summary>One shape of one layer kind: input (Batch, InChannels, Size, Size), kernel Kernel×Kernel.</summary>
public sealed record ProbeCase(ProbeOperation Operation, int Batch, int InChannels, int OutChannels, int Kernel, int Stride, int Padding, int Size)
{
    /// <summary>A compact name for tables: "convT-nb b16 4→1 k4 s2 p1 8×8".</summary>
    public override string ToString() =>
        $"{Short(Operation)} b{Batch} {InChannels}→{OutChannels} k{Kernel} s{Stride} p{Padding} {Size}×{Size}";

    static string Short(ProbeOperation op) => op switch
    {
        ProbeOperation.Conv2d => "conv",
        ProbeOperation.Conv2dNoBias => "conv-nb",
        ProbeOperation.ConvTranspose2d => "convT",
        ProbeOperation.ConvTranspose2dNoBias => "convT-nb",
        ProbeOperation.BatchNorm2d => "bn",
        _ => "conv+bn+silu",
    };
}

/// <summary>
/// What one probe case gave. Errors are max |float32 − float64| / max(|float64|, 1e-12) over the
/// forward output and over all gradients (input, weight, bias).
/// </summary>
public sealed record ProbeResult(ProbeCase Case, bool Finite, bool Repeatable, double ForwardError, double GradientError)
{
    /// <summary>The relative error above which a float32 kernel is wrong rather than rounded (float32 sums of a few thousand terms stay below 1e-5).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Finite, bitwise repeatable and within <see cref="Tolerance"/> of the float64 reference.</summary>
    public bool Passed => Finite && Repeatable && ForwardError <= Tolerance && GradientError <= Tolerance;

    /// <summary>Why it failed, in a few words; null when it passed.</summary>
    public string? Failure =>
        !Finite ? "NaN/Inf" :
        !Repeatable ? "not repeatable" :
        ForwardError > Tolerance ? $"forward error {ForwardError:0.0e0}" :
        GradientError > Tolerance ? $"gradient error {GradientError:0.0e0}" : null;
}

/// <summary>
/// Runs convolution, transposed convolution and batch norm forward and backward in float32, twice
/// or more, and against the same computation in float64 (which libtorch never sends to oneDNN, so
/// the reference comes from ATen's own kernels).
/// </summary>
public static class ConvolutionProbe
{
    /// <summary>
    /// The convolution shapes of GenAudit's own image networks: the width-4 DCGAN of the test suite
    /// (8×8 images, batch 16) and of `train --width 4` on MNIST (batch 64), where issue #19 saw the
    /// fault, the demo's width-64 DCGAN, and a conv → batch norm → SiLU block.
    /// </summary>
    public static IReadOnlyList<ProbeCase> SelfCheckCases { get; } =
    [
        new(ProbeOperation.ConvTranspose2d, 16, 8, 4, 4, 2, 1, 2),
        new(ProbeOperation.ConvTranspose2d, 16, 4, 1, 4, 2, 1, 4),
        new(ProbeOperation.Conv2d, 16, 1, 4, 4, 2, 1, 8),
        new(ProbeOperation.Conv2d, 16, 4, 8, 4, 2, 1, 4),
        new(ProbeOperation.ConvTranspose2d, 64, 8, 4, 4, 2, 1, 7),
        new(ProbeOperation.ConvTranspose2d, 64, 4, 1, 4, 2, 1, 14),
        new(ProbeOperation.Conv2d, 64, 1, 4, 4, 2, 1, 28),
        new(ProbeOperation.Conv2d, 64, 4, 8, 4, 2, 1, 14),
        new(ProbeOperation.ConvTranspose2d, 64, 128, 64, 4, 2, 1, 7),
        new(ProbeOperation.Conv2d, 64, 64, 128, 4, 2, 1, 14),
        new(ProbeOperation.ConvBatchNormSilu, 16, 4, 8, 3, 1, 1, 8),
    ];

    /// <summary>Runs one case <paramref name="repeats"/> times (at least 2) on seeded inputs.</summary>
    public static ProbeResult Run(ProbeCase probe, int repeats, long seed)
    {
        if (repeats < 2) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeats must be at least 2 to check repeatability");
        TorchRuntime.EnsureLibraryLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var (x, w, b, upstream) = Inputs(probe, generator);

        var first = Evaluate(probe, x, w, b, upstream);
        var repeatable = true;
        for (var i = 1; i < repeats; i++)
        {
            var again = Evaluate(probe, x, w, b, upstream);
            for (var j = 0; j < first.Length; j++) repeatable &= first[j].bytes.SequenceEqual(again[j].bytes); // bitwise, so NaN payloads compare too
        }
        var finite = first.All(t => isfinite(t).all().item<bool>());
        var reference = Evaluate(probe, x.to(float64), w?.to(float64), b?.to(float64), upstream.to(float64));
        var forward = RelativeError(first[0], reference[0]);
        var gradient = 0.0;
        for (var j = 1; j < first.Length; j++) gradient = Math.Max(gradient, RelativeError(first[j], reference[j]));
        return new ProbeResult(probe, finite, repeatable, forward, gradient);
    }

    /// <summary>Every case of <paramref name="cases"/>; stops at nothing, so a table shows all failures.</summary>
    public static IReadOnlyList<ProbeResult> RunAll(IEnumerable<ProbeCase> cases, int repeats, long seed) =>
        cases.Select((c, i) => Run(c, repeats, seed + i)).ToArray();

    static (Tensor X, Tensor? W, Tensor? B, Tensor Upstream) Inputs(ProbeCase p, Generator generator)
    {
        var x = randn([p.Batch, p.InChannels, p.Size, p.Size], generator: generator);
        Tensor? w = null, b = null;
        var outSize = p.Size;
        switch (p.Operation)
        {
            case ProbeOperation.Conv2d or ProbeOperation.Conv2dNoBias or ProbeOperation.ConvBatchNormSilu:
                w = randn([p.OutChannels, p.InChannels, p.Kernel, p.Kernel], generator: generator).div_(Math.Sqrt(p.InChannels * p.Kernel * p.Kernel));
                outSize = (p.Size + 2 * p.Padding - p.Kernel) / p.Stride + 1;
                break;
            case ProbeOperation.ConvTranspose2d or ProbeOperation.ConvTranspose2dNoBias:
                w = randn([p.InChannels, p.OutChannels, p.Kernel, p.Kernel], generator: generator).div_(Math.Sqrt(p.InChannels * p.Kernel * p.Kernel));
                outSize = (p.Size - 1) * p.Stride - 2 * p.Padding + p.Kernel;
                break;
        }
        if (p.Operation is ProbeOperation.Conv2d or ProbeOperation.ConvTranspose2d)
            b = randn([p.OutChannels], generator: generator);
        var channels = p.Operation == ProbeOperation.BatchNorm2d ? p.InChannels : p.OutChannels;
        var upstream = randn([p.Batch, channels, outSize, outSize], generator: generator);
        return (x, w, b, upstream);
    }

    // [output, grad x, grad w?, grad b?], detached
    static Tensor[] Evaluate(ProbeCase p, Tensor x, Tensor? w, Tensor? b, Tensor upstream)
    {
        var xg = x.detach().requires_grad_(true);
        var wg = w?.detach().requires_grad_(true);
        var bg = b?.detach().requires_grad_(true);
        var y = p.Operation switch
        {
            ProbeOperation.Conv2d or ProbeOperation.Conv2dNoBias =>
                nn.functional.conv2d(xg, wg!, bg, strides: [p.Stride, p.Stride], padding: [p.Padding, p.Padding]),
            ProbeOperation.ConvTranspose2d or ProbeOperation.ConvTranspose2dNoBias =>
                nn.functional.conv_transpose2d(xg, wg!, bg, strides: [p.Stride, p.Stride], padding: [p.Padding, p.Padding]),
            ProbeOperation.BatchNorm2d => nn.functional.batch_norm(xg, null, null, training: true),
            _ => nn.functional.silu(nn.functional.batch_norm(
                nn.functional.conv2d(xg, wg!, null, strides: [p.Stride, p.Stride], padding: [p.Padding, p.Padding]), null, null, training: true)),
        };
        var inputs = new List<Tensor> { xg };
        if (wg is not null) inputs.Add(wg);
        if (bg is not null) inputs.Add(bg);
        var grads = torch.autograd.grad([y], inputs, [upstream]);
        return [y.detach(), .. grads.Select(g => g.detach())];
    }

    static double RelativeError(Tensor value, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var scale = Math.Max(reference.abs().max().item<double>(), 1e-12);
        var error = (value.to(float64) - reference).abs().max().item<double>();
        return double.IsFinite(error) ? error / scale : double.PositiveInfinity;
    }
}
