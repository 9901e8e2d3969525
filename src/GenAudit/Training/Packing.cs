using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// PacGAN packing (Lin et al. 2018): m consecutive samples of a batch are concatenated into one input of
/// the discriminator, along the features of points and the channels of images, so that it sees the
/// joint distribution of m samples and can penalise a generator whose samples repeat.
/// </summary>
public static class Packing
{
    /// <summary>(B, ...) → (B/m, ...) with samples i·m … i·m + m − 1 in pack i: (B, D) → (B/m, m·D), (B, C, H, W) → (B/m, m·C, H, W).</summary>
    public static Tensor Pack(Tensor x, int m)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), m, "the packing degree must be at least 1");
        long batch = x.shape[0];
        if (batch % m != 0) throw new ArgumentException($"a batch of {batch} cannot be split into packs of {m}");
        if (x.dim() is not (2 or 4)) throw new ArgumentException($"packing needs (B, D) or (B, C, H, W), got [{string.Join(", ", x.shape)}]");
        var shape = x.shape.ToArray();
        shape[0] = batch / m;
        shape[1] *= m;
        return x.reshape(shape);   // row-major: pack i holds samples i·m … i·m + m − 1 one after another
    }

    /// <summary>The shape of one packed input for samples of <paramref name="dataShape"/>.</summary>
    public static long[] PackedShape(long[] dataShape, int m)
    {
        var shape = dataShape.ToArray();
        shape[0] *= m;
        return shape;
    }
}

/// <summary>
/// A discriminator over packs of m samples: the unconditional GAN discriminator's architecture with an
/// m-fold input, scoring (B, ...) samples as B/m raw scores. Saved as discriminator_packed.safetensors, so
/// that tools that expect a single-sample discriminator (explanations of D) do not load it.
/// </summary>
public sealed class PackedDiscriminator : nn.Module<Tensor, Tensor?, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly nn.Module<Tensor, Tensor> body;
    readonly nn.Module<Tensor, Tensor> head;
#pragma warning restore IDE1006
    readonly int _pack;
    readonly long _features;
    readonly bool _spectralNorm;
    readonly IReadOnlyList<LayerSpec> _layers;

    /// <summary>Builds the discriminator for packs of <paramref name="pack"/> samples of <paramref name="config"/>'s data.</summary>
    public PackedDiscriminator(ModelConfig config, int pack) : base(nameof(PackedDiscriminator))
    {
        config.Validate();
        if (config.IsConditional) throw new ArgumentException("a packed discriminator is unconditional (--model gan)");
        _pack = pack;
        _spectralNorm = config.SpectralNorm;
        _layers = Architectures.DiscriminatorBody(config with { DataShape = Packing.PackedShape(config.DataShape, pack) }, out _features);
        body = SequentialBuilder.Build(_layers);
        head = new LinearSpec(_features, 1, config.SpectralNorm).Build();
        RegisterComponents();
    }

    /// <summary>The packing degree m.</summary>
    public int Pack => _pack;

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor? condition)
    {
        if (condition is not null) throw new ArgumentException("a packed discriminator takes no labels");
        var h = body.call(Packing.Pack(x, _pack));   // (B/m, F)
        return head.call(h).squeeze(1);              // (B/m,)
    }

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "discriminator_packed",
        $"head(body(pack(x, {_pack}))).squeeze(1); pack concatenates samples i*{_pack}..i*{_pack}+{_pack - 1} along dim 1: x.reshape(B/{_pack}, {_pack}*shape[1], ...)",
        new Dictionary<string, IReadOnlyList<LayerSpec>> { ["body"] = _layers },
        new Dictionary<string, string> { ["head"] = $"Linear({_features}, 1){(_spectralNorm ? " with spectral_norm" : "")}" });
}
