using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>How a network is put together, written into the manifest so a PyTorch user can rebuild it.</summary>
/// <param name="Name">State-dict file stem, e.g. "generator".</param>
/// <param name="Forward">The forward pass in words, naming the submodules.</param>
/// <param name="Sequentials">Each nn.Sequential submodule by state-dict prefix, as its layer list.</param>
/// <param name="Others">Other submodules by prefix: "Embedding(num, dim)" or "Linear(in, out)" with a spectral-norm flag.</param>
public sealed record NetworkDescription(
    string Name,
    string Forward,
    IReadOnlyDictionary<string, IReadOnlyList<LayerSpec>> Sequentials,
    IReadOnlyDictionary<string, string> Others);

/// <summary>A network that can describe itself for the manifest.</summary>
public interface IDescribedNetwork
{
    /// <summary>The description saved in the manifest.</summary>
    NetworkDescription Describe();
}

/// <summary>
/// The GAN generator: z (B, d), optionally concatenated with a label embedding (B, e), through an
/// MLP (2D) or DCGAN stack, reshaped to (B, ...DataShape).
/// </summary>
public sealed class GanGenerator : nn.Module<Tensor, Tensor?, Tensor>, IGenerativeModel, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly Embedding? embed;
    readonly nn.Module<Tensor, Tensor> net;
#pragma warning restore IDE1006
    readonly ModelConfig _config;
    readonly IReadOnlyList<LayerSpec> _layers;

    /// <summary>Builds the generator for <paramref name="config"/>.</summary>
    public GanGenerator(ModelConfig config) : base(nameof(GanGenerator))
    {
        config.Validate();
        _config = config;
        long input = config.LatentSize;
        if (config.IsConditional)
        {
            embed = nn.Embedding(config.ConditionCount, config.EmbeddingSize);
            input += config.EmbeddingSize;
        }
        _layers = Architectures.Generator(config, input);
        net = SequentialBuilder.Build(_layers);
        RegisterComponents();
    }

    /// <inheritdoc />
    public int LatentSize => _config.LatentSize;
    /// <inheritdoc />
    public int ConditionCount => _config.ConditionCount;
    /// <inheritdoc />
    public long[] OutputShape => _config.DataShape;
    /// <inheritdoc />
    public bool IsDifferentiable => true;
    /// <inheritdoc />
    public Device Device => parameters().First().device;

    /// <inheritdoc />
    public override Tensor forward(Tensor z, Tensor? condition)
    {
        var input = ConditioningInput.Concat(z, condition, embed, _config);
        var flat = net.call(input);
        return flat.reshape([flat.shape[0], .. _config.DataShape]);
    }

    /// <inheritdoc />
    public Tensor Generate(Tensor z, Tensor? condition = null) => call(z.to(Device), condition?.to(Device));

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "generator",
        _config.IsConditional ? "net(concat([z, embed(condition)], dim=1)).reshape(B, *dataShape)" : "net(z).reshape(B, *dataShape)",
        new Dictionary<string, IReadOnlyList<LayerSpec>> { ["net"] = _layers },
        embed is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["embed"] = $"Embedding({_config.ConditionCount}, {_config.EmbeddingSize})" });
}

/// <summary>
/// The GAN discriminator (critic): body features h, score = head(h), plus the projection term
/// ⟨embed(y), h⟩ for conditional models (Miyato and Koyama 2018). Returns raw scores (B,).
/// </summary>
public sealed class GanDiscriminator : nn.Module<Tensor, Tensor?, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly nn.Module<Tensor, Tensor> body;
    readonly nn.Module<Tensor, Tensor> head;
    readonly Embedding? embed;
#pragma warning restore IDE1006
    readonly ModelConfig _config;
    readonly IReadOnlyList<LayerSpec> _layers;
    readonly long _features;

    /// <summary>Builds the discriminator for <paramref name="config"/>.</summary>
    public GanDiscriminator(ModelConfig config) : base(nameof(GanDiscriminator))
    {
        config.Validate();
        _config = config;
        _layers = Architectures.DiscriminatorBody(config, out _features);
        body = SequentialBuilder.Build(_layers);
        head = new LinearSpec(_features, 1, config.SpectralNorm).Build();
        if (config.IsConditional) embed = nn.Embedding(config.ConditionCount, _features);
        RegisterComponents();
    }

    /// <summary>Features of the body (B, F), for Grad-CAM and feature attributions.</summary>
    public Tensor Features(Tensor x) => body.call(x);

    /// <inheritdoc />
    public override Tensor forward(Tensor x, Tensor? condition)
    {
        var h = body.call(x);                          // (B, F)
        var score = head.call(h).squeeze(1);           // (B,)
        if (embed is not null)
        {
            if (condition is null) throw new ArgumentException("this discriminator is conditional: pass the class labels");
            score = score + (embed.call(condition) * h).sum(1);
        }
        return score;
    }

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "discriminator",
        _config.IsConditional ? "h = body(x); head(h).squeeze(1) + (embed(condition) * h).sum(1)" : "head(body(x)).squeeze(1)",
        new Dictionary<string, IReadOnlyList<LayerSpec>> { ["body"] = _layers },
        new Dictionary<string, string>
        {
            ["head"] = $"Linear({_features}, 1){(_config.SpectralNorm ? " with spectral_norm" : "")}",
        }.Concat(embed is null ? [] : new[] { KeyValuePair.Create("embed", $"Embedding({_config.ConditionCount}, {_features})") })
         .ToDictionary());
}

/// <summary>
/// Variational autoencoder (Kingma and Welling 2014), optionally conditional: the one-hot label is
/// concatenated to the encoder features and to z. Generate decodes z to probabilities (Bernoulli)
/// or means (Gaussian), both in [0, 1] for images.
/// </summary>
public sealed class Vae : nn.Module<Tensor, Tensor?, Tensor>, IGenerativeModel, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly nn.Module<Tensor, Tensor> encoder;
    readonly Linear fc_mu;
    readonly Linear fc_logvar;
    readonly nn.Module<Tensor, Tensor> decoder;
#pragma warning restore IDE1006
    readonly ModelConfig _config;
    readonly IReadOnlyList<LayerSpec> _encoderLayers;
    readonly IReadOnlyList<LayerSpec> _decoderLayers;
    readonly long _features;

    /// <summary>Builds the VAE for <paramref name="config"/>.</summary>
    public Vae(ModelConfig config) : base(nameof(Vae))
    {
        config.Validate();
        _config = config;
        _encoderLayers = Architectures.EncoderBody(config, out _features);
        _decoderLayers = Architectures.Decoder(config, config.LatentSize + config.ConditionCount);
        encoder = SequentialBuilder.Build(_encoderLayers);
        fc_mu = nn.Linear(_features + config.ConditionCount, config.LatentSize);
        fc_logvar = nn.Linear(_features + config.ConditionCount, config.LatentSize);
        decoder = SequentialBuilder.Build(_decoderLayers);
        RegisterComponents();
    }

    /// <summary>The configuration the VAE was built from.</summary>
    public ModelConfig Config => _config;
    /// <inheritdoc />
    public int LatentSize => _config.LatentSize;
    /// <inheritdoc />
    public int ConditionCount => _config.ConditionCount;
    /// <inheritdoc />
    public long[] OutputShape => _config.DataShape;
    /// <inheritdoc />
    public bool IsDifferentiable => true;
    /// <inheritdoc />
    public Device Device => parameters().First().device;

    /// <summary>Encodes x (B, ...) to the posterior mean and log-variance, each (B, d).</summary>
    public (Tensor Mean, Tensor LogVariance) Encode(Tensor x, Tensor? condition)
    {
        var h = ConditioningInput.ConcatOneHot(encoder.call(x), condition, _config);
        return (fc_mu.call(h), fc_logvar.call(h));
    }

    /// <summary>Decodes z (B, d) to (B, ...DataShape).</summary>
    public Tensor Decode(Tensor z, Tensor? condition)
    {
        var flat = decoder.call(ConditioningInput.ConcatOneHot(z, condition, _config));
        return flat.reshape([flat.shape[0], .. _config.DataShape]);
    }

    /// <summary>Reconstruction of x through the posterior mean (no sampling), for reconstruction targets.</summary>
    public override Tensor forward(Tensor x, Tensor? condition) => Decode(Encode(x, condition).Mean, condition);

    /// <inheritdoc />
    public Tensor Generate(Tensor z, Tensor? condition = null) => Decode(z.to(Device), condition?.to(Device));

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "vae",
        "h = encoder(x) [concat one_hot(condition)]; mu = fc_mu(h); logvar = fc_logvar(h); x_hat = decoder(z [concat one_hot(condition)]).reshape(B, *dataShape)",
        new Dictionary<string, IReadOnlyList<LayerSpec>> { ["encoder"] = _encoderLayers, ["decoder"] = _decoderLayers },
        new Dictionary<string, string>
        {
            ["fc_mu"] = $"Linear({_features + _config.ConditionCount}, {_config.LatentSize})",
            ["fc_logvar"] = $"Linear({_features + _config.ConditionCount}, {_config.LatentSize})",
        });
}

static class ConditioningInput
{
    public static Tensor Concat(Tensor z, Tensor? condition, Embedding? embed, ModelConfig config)
    {
        CheckLatent(z, config);
        if (embed is null)
        {
            if (condition is not null) throw new ArgumentException("this model is unconditional: pass no condition");
            return z;
        }
        CheckCondition(z, condition, config);
        return torch.cat([z, embed.call(condition!)], 1);
    }

    public static Tensor ConcatOneHot(Tensor features, Tensor? condition, ModelConfig config)
    {
        if (!config.IsConditional)
        {
            if (condition is not null) throw new ArgumentException("this model is unconditional: pass no condition");
            return features;
        }
        CheckCondition(features, condition, config);
        return torch.cat([features, nn.functional.one_hot(condition!, config.ConditionCount).to(features.dtype)], 1);
    }

    static void CheckLatent(Tensor z, ModelConfig config)
    {
        if (z.dim() != 2 || z.shape[1] != config.LatentSize)
            throw new ArgumentException($"latent batch must have shape (B, {config.LatentSize}), got ({string.Join(", ", z.shape)})");
    }

    static void CheckCondition(Tensor batch, Tensor? condition, ModelConfig config)
    {
        if (condition is null) throw new ArgumentException($"this model is conditional on {config.ConditionCount} classes: pass a condition");
        if (condition.dim() != 1 || condition.shape[0] != batch.shape[0])
            throw new ArgumentException($"condition must have shape ({batch.shape[0]},), got ({string.Join(", ", condition.shape)})");
        if (condition.dtype != ScalarType.Int64) throw new ArgumentException($"condition must be int64 class labels, got {condition.dtype}");
    }
}
