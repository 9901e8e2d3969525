using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// A token language model presented as a latent-to-sample generator, so that the verbs that draw latents
/// (generate, stability pairs) serve token runs unchanged. The latent is the sampling noise: z (B, T) ~ N(0, I)
/// becomes uniforms u = Φ(z) and token t is drawn from the model's conditional by inverse CDF at uₜ
/// (<see cref="TokenGenerator.Decode"/>). z from the prior therefore gives exact samples, equal z give equal
/// sequences, and a small change of z changes a token only where uₜ crosses a boundary of the cumulative distribution.
/// Outputs are token ids as float32 (exact below 2²⁴), like <see cref="Dataset.GetBatch(long[], Device?)"/> of token data.
/// </summary>
public sealed class TokenSampler : IGenerativeModel, IDisposable
{
    /// <summary>Wraps <paramref name="model"/> (owned and disposed by this sampler) with the spellings of its tokens.</summary>
    public TokenSampler(TokenGenerator model, TokenVocabulary vocabulary, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Size != model.VocabularySize)
            throw new ArgumentException($"The model has {model.VocabularySize} tokens but the vocabulary {vocabulary.Size}.", nameof(vocabulary));
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), $"The sampling temperature must be a positive number, not {temperature}.");
        Model = model;
        Vocabulary = vocabulary;
        Temperature = temperature;
    }

    /// <summary>The language model.</summary>
    public TokenGenerator Model { get; }

    /// <summary>The spellings of the tokens.</summary>
    public TokenVocabulary Vocabulary { get; }

    /// <summary>Sampling temperature. Default: 1 (the model's own distribution).</summary>
    public double Temperature { get; }

    /// <summary>One latent per token: the noise of each sampling step.</summary>
    public int LatentSize => Model.Length;

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

    /// <summary>Token ids (B, T) int64 for latents z (B, T).</summary>
    public Tensor Sequences(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"Expected latents (B, {LatentSize}), got shape ({string.Join(", ", z.shape)}).", nameof(z));
        using var scope = NewDisposeScope();
        var uniforms = 0.5 * (1 + (z.to_type(ScalarType.Float64) / Math.Sqrt(2)).erf());  // Φ(z), (B, T)
        return Model.Decode(uniforms.clamp(0, 1), Temperature).MoveToOuterDisposeScope();
    }

    /// <summary>The sequences (B, T) as text, one string each, cut at the end token (<see cref="TokenVocabulary.Spell(ReadOnlySpan{long})"/>).</summary>
    public IReadOnlyList<string> Spell(Tensor tokens)
    {
        var values = tokens.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        int length = (int)tokens.shape[1];
        return Enumerable.Range(0, (int)tokens.shape[0]).Select(i => Vocabulary.Spell(values.AsSpan(i * length, length))).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
