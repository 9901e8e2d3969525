using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// Spectral normalisation by one power iteration per training forward pass (Miyato et al. 2018),
/// laid out as PyTorch's <c>torch.nn.utils.spectral_norm</c>: parameters weight_orig and bias,
/// buffers weight_u and weight_v. TorchSharp 0.107 has no spectral_norm, so it is written here.
/// </summary>
public abstract class SpectralNormLayer : nn.Module<Tensor, Tensor>
{
    const double Epsilon = 1e-12;

#pragma warning disable IDE1006 // field names are state-dict keys and follow PyTorch
    /// <summary>The unnormalised weight, as PyTorch names it.</summary>
    protected readonly Parameter weight_orig;
    /// <summary>The bias.</summary>
    protected readonly Parameter bias;
    readonly Tensor weight_u;
    readonly Tensor weight_v;
#pragma warning restore IDE1006

    /// <summary>Creates the layer with a weight of <paramref name="weightShape"/>, initialised as PyTorch initialises the plain layer.</summary>
    protected SpectralNormLayer(string name, long[] weightShape, long fanIn) : base(name)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        // Kaiming-uniform with a = sqrt(5), PyTorch's default for Linear and Conv2d, gives bound 1/sqrt(fanIn).
        weight_orig = new Parameter(torch.empty(weightShape).uniform_(-bound, bound));
        bias = new Parameter(torch.empty(weightShape[0]).uniform_(-bound, bound));
        long rows = weightShape[0];
        long columns = weightShape.Skip(1).Aggregate(1L, (a, b) => a * b);
        weight_u = nn.functional.normalize(torch.randn(rows), p: 2, dim: 0, eps: Epsilon);
        weight_v = nn.functional.normalize(torch.randn(columns), p: 2, dim: 0, eps: Epsilon);
        RegisterComponents();
    }

    /// <summary>The normalised weight W / σ(W); updates u and v first when training.</summary>
    protected Tensor NormalisedWeight()
    {
        var matrix = weight_orig.flatten(1); // (out, in·k·k)
        if (training)
        {
            using (torch.no_grad())
            {
                var v = nn.functional.normalize(matrix.t().mv(weight_u), p: 2, dim: 0, eps: Epsilon);
                var u = nn.functional.normalize(matrix.mv(v), p: 2, dim: 0, eps: Epsilon);
                weight_v.copy_(v);
                weight_u.copy_(u);
            }
        }
        // Clones, as PyTorch does: a later forward pass updates u and v in place, which must not
        // invalidate the graph of this one (D is called on real and fake data before backward).
        var sigma = weight_u.clone().dot(matrix.mv(weight_v.clone()));
        return weight_orig / sigma;
    }
}

/// <summary>A linear layer with spectral normalisation.</summary>
public sealed class SpectralNormLinear : SpectralNormLayer
{
    /// <summary>Creates an (in → out) layer.</summary>
    public SpectralNormLinear(long inFeatures, long outFeatures)
        : base(nameof(SpectralNormLinear), new[] { outFeatures, inFeatures }, inFeatures) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => nn.functional.linear(input, NormalisedWeight(), bias);
}

/// <summary>A 2D convolution with spectral normalisation.</summary>
public sealed class SpectralNormConv2d : SpectralNormLayer
{
    readonly long _stride;
    readonly long _padding;

    /// <summary>Creates a convolution with a square kernel.</summary>
    public SpectralNormConv2d(long inChannels, long outChannels, long kernel, long stride, long padding)
        : base(nameof(SpectralNormConv2d), new[] { outChannels, inChannels, kernel, kernel }, inChannels * kernel * kernel)
    {
        _stride = stride;
        _padding = padding;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        nn.functional.conv2d(input, NormalisedWeight(), bias, strides: new[] { _stride, _stride }, padding: new[] { _padding, _padding });
}
