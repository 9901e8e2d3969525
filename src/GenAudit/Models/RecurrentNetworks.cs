using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// The generator of a recurrent GAN over real-valued sequences (B, T, F) with values in [0, 1]. The latent z (B, d)
/// is T blocks of d / T noise values, one block per step, so it is an ordinary latent-to-sample generator.
/// <list type="bullet">
/// <item>RCGAN (Esteban, Hyland and Rätsch 2017, https://arxiv.org/abs/1706.02633): step t reads fresh noise z_t only.</item>
/// <item>C-RNN-GAN (Mogren 2016, https://arxiv.org/abs/1611.09904): step t reads z_t and its own previous output x_{t−1} (x_{−1} = 0).</item>
/// </list>
/// Each step's LSTM state goes through a linear layer and a sigmoid to F values.
/// </summary>
/// <remarks>State-dict names are PyTorch's for <c>nn.LSTM(input, H, num_layers, batch_first=True)</c> and <c>nn.Linear(H, F)</c>.</remarks>
public sealed class RecurrentGenerator : nn.Module<Tensor, Tensor?, Tensor>, IGenerativeModel, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly LSTM lstm;
    readonly Linear output;
#pragma warning restore IDE1006
    readonly ModelConfig _config;

    /// <summary>Builds the generator for <paramref name="config"/> (a series family, DataShape [T, F]).</summary>
    public RecurrentGenerator(ModelConfig config) : base(nameof(RecurrentGenerator))
    {
        config.Validate();
        if (!config.IsSeries) throw new ArgumentException($"RecurrentGenerator needs a series model family (rcgan, crnngan), got {config.Family}");
        _config = config;
        lstm = nn.LSTM(NoiseSize + (FeedsBack ? Features : 0), config.Width, numLayers: config.Depth, batchFirst: true);
        output = nn.Linear(config.Width, Features);
        RegisterComponents();
    }

    bool FeedsBack => _config.Family == ModelFamily.CrnnGan;

    /// <summary>Steps T.</summary>
    public int Length => (int)_config.DataShape[0];

    /// <summary>Features F per step.</summary>
    public int Features => (int)_config.DataShape[1];

    /// <summary>Noise values per step, d / T.</summary>
    public int NoiseSize => _config.LatentSize / Length;

    /// <inheritdoc />
    public int LatentSize => _config.LatentSize;
    /// <inheritdoc />
    public int ConditionCount => 0;
    /// <inheritdoc />
    public long[] OutputShape => _config.DataShape;
    /// <inheritdoc />
    public bool IsDifferentiable => true;
    /// <inheritdoc />
    public Device Device => parameters().First().device;

    /// <inheritdoc />
    public override Tensor forward(Tensor z, Tensor? condition)
    {
        if (condition is not null) throw new ArgumentException("this recurrent generator is unconditional: pass no condition");
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"latent batch must have shape (B, {LatentSize}), got ({string.Join(", ", z.shape)})");
        long batch = z.shape[0];
        var noise = z.view(batch, Length, NoiseSize);                                   // (B, T, Z)
        if (!FeedsBack)
        {
            var (hidden, _, _) = lstm.call(noise);                                      // (B, T, H)
            return sigmoid(output.call(hidden));                                        // (B, T, F)
        }
        var previous = zeros([batch, 1, Features], device: z.device);                   // (B, 1, F)
        (Tensor H, Tensor C)? state = null;
        var steps = new List<Tensor>(Length);
        for (int t = 0; t < Length; t++)
        {
            var input = cat([noise.narrow(1, t, 1), previous], 2);                      // (B, 1, Z + F)
            var (hidden, h, c) = lstm.call(input, state);                               // (B, 1, H)
            state = (h, c);
            previous = sigmoid(output.call(hidden));                                    // (B, 1, F)
            steps.Add(previous);
        }
        return cat(steps, 1);                                                           // (B, T, F)
    }

    /// <inheritdoc />
    public Tensor Generate(Tensor z, Tensor? condition = null) => call(z.to(Device), condition?.to(Device));

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "generator",
        FeedsBack
            ? $"z_t = z.view(B, {Length}, {NoiseSize})[:, t]; x_-1 = 0; for t: out, (h, c) = lstm(concat([z_t, x_(t-1)], dim=2), (h, c)); x_t = sigmoid(output(out))"
            : $"sigmoid(output(lstm(z.view(B, {Length}, {NoiseSize}))[0])): fresh noise at every step",
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["lstm"] = $"LSTM({NoiseSize + (FeedsBack ? Features : 0)}, {_config.Width}, num_layers={_config.Depth}, batch_first=True)",
            ["output"] = $"Linear({_config.Width}, {Features})",
        });
}

/// <summary>
/// The discriminator of a recurrent GAN: an LSTM over the sequence (bidirectional for C-RNN-GAN) and a linear
/// score of every step's state. <see cref="forward"/> returns one logit per step (B, T), as RCGAN's per-step
/// cross-entropy needs; <see cref="Score"/> their mean (B,), the sequence's score for penalties.
/// </summary>
public sealed class RecurrentDiscriminator : nn.Module<Tensor, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly LSTM lstm;
    readonly nn.Module<Tensor, Tensor> score;
#pragma warning restore IDE1006
    readonly ModelConfig _config;

    /// <summary>Builds the discriminator for <paramref name="config"/>; <see cref="ModelConfig.SpectralNorm"/> normalises the score layer.</summary>
    public RecurrentDiscriminator(ModelConfig config) : base(nameof(RecurrentDiscriminator))
    {
        config.Validate();
        if (!config.IsSeries) throw new ArgumentException($"RecurrentDiscriminator needs a series model family (rcgan, crnngan), got {config.Family}");
        _config = config;
        lstm = nn.LSTM(config.DataShape[1], config.Width, numLayers: config.Depth, batchFirst: true, bidirectional: Bidirectional);
        score = new LinearSpec(StateSize, 1, config.SpectralNorm).Build();
        RegisterComponents();
    }

    bool Bidirectional => _config.Family == ModelFamily.CrnnGan;

    long StateSize => (Bidirectional ? 2 : 1) * _config.Width;

    /// <summary>Sequences (B, T, F) → logits (B, T) that each step belongs to a real sequence.</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || !x.shape[1..].SequenceEqual(_config.DataShape))
            throw new ArgumentException($"expected sequences (B, {string.Join(", ", _config.DataShape)}), got ({string.Join(", ", x.shape)})");
        var (hidden, _, _) = lstm.call(x);                 // (B, T, H or 2H)
        return score.call(hidden).squeeze(2);              // (B, T)
    }

    /// <summary>The mean of the per-step logits (B,): the critic value whose gradient R1 and the gradient penalty constrain.</summary>
    public Tensor Score(Tensor x) => call(x).mean([1]);

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "discriminator",
        "score(lstm(x)[0]).squeeze(2): one logit per step that x is real",
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["lstm"] = $"LSTM({_config.DataShape[1]}, {_config.Width}, num_layers={_config.Depth}, batch_first=True{(Bidirectional ? ", bidirectional=True" : "")})",
            ["score"] = $"Linear({StateSize}, 1){(_config.SpectralNorm ? " with spectral_norm" : "")}",
        });
}
