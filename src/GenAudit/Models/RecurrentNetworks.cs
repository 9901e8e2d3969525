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
/// Each step's LSTM state goes through a linear layer and a sigmoid to F values. A conditional generator
/// (<see cref="ModelConfig.ConditionalSeries"/>) also reads its sequence's class as a one-hot vector at every step.
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
        lstm = nn.LSTM(InputSize, config.Width, numLayers: config.Depth, batchFirst: true);
        output = nn.Linear(config.Width, Features);
        RegisterComponents();
    }

    bool FeedsBack => _config.Family == ModelFamily.CrnnGan;

    long InputSize => NoiseSize + (FeedsBack ? Features : 0) + ConditionCount;

    /// <summary>Steps T.</summary>
    public int Length => (int)_config.DataShape[0];

    /// <summary>Features F per step.</summary>
    public int Features => (int)_config.DataShape[1];

    /// <summary>Noise values per step, d / T.</summary>
    public int NoiseSize => _config.LatentSize / Length;

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
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"latent batch must have shape (B, {LatentSize}), got ({string.Join(", ", z.shape)})");
        long batch = z.shape[0];
        var noise = z.view(batch, Length, NoiseSize);                                   // (B, T, Z)
        if (SeriesCondition.OneHotSteps(condition, ConditionCount, batch, Length) is { } classes)
            noise = cat([noise, classes], 2);                                           // (B, T, Z + C)
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
        (FeedsBack
            ? $"z_t = z.view(B, {Length}, {NoiseSize})[:, t]; x_-1 = 0; for t: out, (h, c) = lstm(concat([z_t, x_(t-1)], dim=2), (h, c)); x_t = sigmoid(output(out))"
            : $"sigmoid(output(lstm(z.view(B, {Length}, {NoiseSize}))[0])): fresh noise at every step")
            + (ConditionCount > 0 ? $"; z_t is concatenated with one_hot(y, {ConditionCount}) at every step" : ""),
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["lstm"] = $"LSTM({InputSize}, {_config.Width}, num_layers={_config.Depth}, batch_first=True)",
            ["output"] = $"Linear({_config.Width}, {Features})",
        });
}

/// <summary>
/// The discriminator of a recurrent GAN: an LSTM over the sequence (bidirectional for C-RNN-GAN) and a linear
/// score of every step's state. <see cref="forward"/> returns one logit per step (B, T), as RCGAN's per-step
/// cross-entropy needs; <see cref="Score"/> their mean (B,), the sequence's score for penalties. A conditional
/// discriminator (<see cref="ModelConfig.ConditionalSeries"/>) reads the class as a one-hot vector beside every step's values.
/// </summary>
public sealed class RecurrentDiscriminator : nn.Module<Tensor, Tensor?, Tensor>, IDescribedNetwork
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
        lstm = nn.LSTM(InputSize, config.Width, numLayers: config.Depth, batchFirst: true, bidirectional: Bidirectional);
        score = new LinearSpec(StateSize, 1, config.SpectralNorm).Build();
        RegisterComponents();
    }

    bool Bidirectional => _config.Family == ModelFamily.CrnnGan;

    long StateSize => (Bidirectional ? 2 : 1) * _config.Width;

    long InputSize => _config.DataShape[1] + _config.ConditionCount;

    /// <summary>Sequences (B, T, F) and, for a conditional discriminator, their classes (B,) → logits (B, T) that each step belongs to a real sequence.</summary>
    public override Tensor forward(Tensor x, Tensor? condition)
    {
        if (x.dim() != 3 || !x.shape[1..].SequenceEqual(_config.DataShape))
            throw new ArgumentException($"expected sequences (B, {string.Join(", ", _config.DataShape)}), got ({string.Join(", ", x.shape)})");
        if (SeriesCondition.OneHotSteps(condition, _config.ConditionCount, x.shape[0], x.shape[1]) is { } classes)
            x = cat([x, classes.to(x.dtype)], 2);          // (B, T, F + C)
        var (hidden, _, _) = lstm.call(x);                 // (B, T, H or 2H)
        return score.call(hidden).squeeze(2);              // (B, T)
    }

    /// <summary>The mean of the per-step logits (B,): the critic value whose gradient R1 and the gradient penalty constrain.</summary>
    public Tensor Score(Tensor x, Tensor? condition) => call(x, condition).mean([1]);

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "discriminator",
        "score(lstm(x)[0]).squeeze(2): one logit per step that x is real"
            + (_config.ConditionCount > 0 ? $"; x_t is concatenated with one_hot(y, {_config.ConditionCount}) at every step" : ""),
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["lstm"] = $"LSTM({InputSize}, {_config.Width}, num_layers={_config.Depth}, batch_first=True{(Bidirectional ? ", bidirectional=True" : "")})",
            ["score"] = $"Linear({StateSize}, 1){(_config.SpectralNorm ? " with spectral_norm" : "")}",
        });
}

/// <summary>The class input of a conditional recurrent network: one-hot at every step.</summary>
static class SeriesCondition
{
    /// <summary>
    /// Labels (B,) of <paramref name="classes"/> classes as one-hot rows repeated over <paramref name="steps"/> steps (B, T, C);
    /// null for an unconditional network, which must get no labels.
    /// </summary>
    public static Tensor? OneHotSteps(Tensor? labels, int classes, long batch, long steps)
    {
        if (classes == 0)
        {
            if (labels is not null) throw new ArgumentException("this recurrent network is unconditional: pass no condition");
            return null;
        }
        if (labels is null) throw new ArgumentException($"this recurrent network is conditional on {classes} classes: pass the labels (B,)");
        if (labels.dim() != 1 || labels.shape[0] != batch)
            throw new ArgumentException($"labels must have shape ({batch},), got ({string.Join(", ", labels.shape)})");
        var oneHot = nn.functional.one_hot(labels.to(ScalarType.Int64), classes).to(ScalarType.Float32); // (B, C)
        return oneHot.unsqueeze(1).expand(batch, steps, classes);                                        // (B, T, C)
    }
}
