using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// A token language model presented as a latent-to-sample generator, so that the verbs that draw latents
/// (generate, stability pairs) serve token runs unchanged. The latent (B, N + T) ~ N(0, I) is the model's state latent
/// z (its first N dimensions; none when N = 0) followed by the sampling noise ε (T): ε becomes uniforms u = Φ(ε) and
/// token t is drawn from the model's conditional under <see cref="Sampling"/> by inverse CDF at uₜ
/// (<see cref="TokenGenerator.Decode"/>). Latents from the prior therefore give exact samples, equal latents give equal
/// sequences, and a small change of ε changes a token only where uₜ crosses a boundary of the cumulative distribution.
/// Outputs are token ids as float32 (exact below 2²⁴), like <see cref="Dataset.GetBatch(long[], Device?)"/> of token data.
/// </summary>
public sealed class TokenSampler : IGenerativeModel, IDisposable
{
    readonly bool _ownsModel;

    /// <summary>Wraps <paramref name="model"/> (owned and disposed by this sampler) with the spellings of its tokens; draws with <paramref name="sampling"/> (default: the model's own distribution).</summary>
    public TokenSampler(TokenGenerator model, TokenVocabulary vocabulary, TokenSampling? sampling = null) : this(model, vocabulary, sampling, ownsModel: true) { }

    TokenSampler(TokenGenerator model, TokenVocabulary vocabulary, TokenSampling? sampling, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Size != model.VocabularySize)
            throw new ArgumentException($"The model has {model.VocabularySize} tokens but the vocabulary {vocabulary.Size}.", nameof(vocabulary));
        sampling ??= TokenSampling.Default;
        sampling.Validate();
        Model = model;
        Vocabulary = vocabulary;
        Sampling = sampling;
        _ownsModel = ownsModel;
    }

    /// <summary>A sampler of the same model drawing with <paramref name="sampling"/>; it shares the model and does not dispose it.</summary>
    public TokenSampler With(TokenSampling sampling) => new(Model, Vocabulary, sampling, ownsModel: false);

    /// <summary>The language model.</summary>
    public TokenGenerator Model { get; }

    /// <summary>The spellings of the tokens.</summary>
    public TokenVocabulary Vocabulary { get; }

    /// <summary>Temperature and top-k of the draws. Default: the model's own distribution.</summary>
    public TokenSampling Sampling { get; }

    /// <summary>N + T: the model's state latent (N, 0 when it has none) and one noise value per token.</summary>
    public int LatentSize => Model.StateLatentSize + Model.Length;

    /// <inheritdoc />
    public int ConditionCount => 0;

    /// <inheritdoc />
    public long[] OutputShape => [Model.Length];

    /// <summary>False: tokens are discrete.</summary>
    public bool IsDifferentiable => false;

    /// <inheritdoc />
    public Device Device => Model.Device;

    /// <summary>Token ids (B, T) as float32 for latents z (B, T).</summary>
    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        if (condition is not null) throw new ArgumentException("A token language model is unconditional.", nameof(condition));
        return Sequences(z).to_type(ScalarType.Float32);
    }

    /// <summary>Token ids (B, T) int64 for latents (B, N + T).</summary>
    public Tensor Sequences(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"Expected latents (B, {LatentSize}), got shape ({string.Join(", ", z.shape)}).", nameof(z));
        using var scope = NewDisposeScope();
        int n = Model.StateLatentSize;
        var state = n == 0 ? null : z.narrow(1, 0, n).to_type(ScalarType.Float32);           // (B, N)
        var noise = z.narrow(1, n, Model.Length).to_type(ScalarType.Float64);                 // (B, T)
        var uniforms = 0.5 * (1 + (noise / Math.Sqrt(2)).erf());                               // Φ(ε), (B, T)
        return Model.Decode(uniforms.clamp(0, 1), Sampling, state).MoveToOuterDisposeScope();
    }

    /// <summary>The state latents z (B, N) of latents (B, N + T); null when the model has none.</summary>
    public Tensor? StateLatent(Tensor z) => Model.StateLatentSize == 0 ? null : z.narrow(1, 0, Model.StateLatentSize);

    /// <summary>The sequences (B, T) as text, one string each, cut at the end token (<see cref="TokenVocabulary.Spell(ReadOnlySpan{long})"/>).</summary>
    public IReadOnlyList<string> Spell(Tensor tokens)
    {
        var values = tokens.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        int length = (int)tokens.shape[1];
        return Enumerable.Range(0, (int)tokens.shape[0]).Select(i => Vocabulary.Spell(values.AsSpan(i * length, length))).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
