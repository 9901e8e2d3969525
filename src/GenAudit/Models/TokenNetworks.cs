using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// An LSTM language model over V tokens: embedding, stacked LSTM, linear to the vocabulary. Token V is the
/// start token fed before the first step (an input only, never generated). Samples with temperature;
/// scores given sequences (teacher forcing) and completes prefixes (SeqGAN's Monte-Carlo roll-outs).
/// </summary>
/// <remarks>State-dict names are PyTorch's for <c>nn.Embedding(V + 1, E)</c>, <c>nn.LSTM(E, H, num_layers, batch_first=True)</c> (gate order i, f, g, o) and <c>nn.Linear(H, V)</c>.</remarks>
public sealed class TokenGenerator : nn.Module<Tensor, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly Embedding embedding;
    readonly LSTM lstm;
    readonly Linear output;
#pragma warning restore IDE1006
    readonly ModelConfig _config;

    /// <summary>Builds the generator for <paramref name="config"/> (a token family, DataShape [T], VocabularySize V).</summary>
    public TokenGenerator(ModelConfig config) : base(nameof(TokenGenerator))
    {
        config.Validate();
        if (!config.IsTokenSequence) throw new ArgumentException($"TokenGenerator needs a token model family (mle, seqgan), got {config.Family}");
        _config = config;
        embedding = nn.Embedding(config.VocabularySize + 1, config.EmbeddingSize);
        lstm = nn.LSTM(config.EmbeddingSize, config.Width, numLayers: config.Depth, batchFirst: true);
        output = nn.Linear(config.Width, config.VocabularySize);
        RegisterComponents();
    }

    /// <summary>Number of tokens V.</summary>
    public int VocabularySize => _config.VocabularySize;

    /// <summary>Tokens per generated sequence T.</summary>
    public int Length => (int)_config.DataShape[0];

    /// <summary>Id of the start token, V.</summary>
    public long StartToken => _config.VocabularySize;

    /// <summary>Device of the weights.</summary>
    public Device Device => parameters().First().device;

    /// <summary>Teacher-forced logits: tokens (B, T) int64 → (B, T, V), position t predicting token t from tokens before it.</summary>
    public override Tensor forward(Tensor tokens)
    {
        CheckTokens(tokens);
        var start = full([tokens.shape[0], 1], StartToken, ScalarType.Int64, device: tokens.device); // (B, 1)
        var inputs = cat([start, tokens.narrow(1, 0, tokens.shape[1] - 1)], 1);               // (B, T)
        var (hidden, _, _) = lstm.call(embedding.call(inputs));                                // (B, T, H)
        return output.call(hidden);                                                            // (B, T, V)
    }

    /// <summary>log p(xₜ | x&lt;ₜ) of every position: (B, T) int64 → (B, T), with gradients to the weights.</summary>
    public Tensor LogProbabilities(Tensor tokens) =>
        call(tokens).log_softmax(2).gather(2, tokens.unsqueeze(2)).squeeze(2);   // (B, T)

    /// <summary>log p(x) = Σₜ log p(xₜ | x&lt;ₜ) of each sequence: (B, T) → (B,).</summary>
    public Tensor LogLikelihood(Tensor tokens) => LogProbabilities(tokens).sum(1);

    /// <summary>Draws <paramref name="batch"/> sequences of <see cref="Length"/> tokens (B, T) int64 from softmax(logits / temperature).</summary>
    public Tensor Sample(long batch, Generator generator, double temperature = 1.0) =>
        Complete(zeros([batch, 0], ScalarType.Int64, device: Device), generator, temperature);

    /// <summary>
    /// Completes each prefix (B, t) int64, 0 ≤ t ≤ T, to a sequence of <see cref="Length"/> tokens (B, T) by
    /// sampling the remaining T − t tokens from softmax(logits / temperature). No gradient is kept.
    /// </summary>
    public Tensor Complete(Tensor prefix, Generator generator, double temperature = 1.0)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), $"The sampling temperature must be a positive number, not {temperature}.");
        if (prefix.dim() != 2 || prefix.shape[1] > Length)
            throw new ArgumentException($"Expected a prefix (B, t) with t ≤ {Length}, got shape ({string.Join(", ", prefix.shape)}).", nameof(prefix));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long batch = prefix.shape[0], known = prefix.shape[1];
        if (known > 0) CheckTokens(prefix);
        var start = full([batch, 1], StartToken, ScalarType.Int64, device: prefix.device);     // (B, 1)
        var (hidden, h, c) = lstm.call(embedding.call(cat([start, prefix], 1)));              // (B, t + 1, H)
        var last = hidden.select(1, known);                                                    // (B, H)
        var tokens = new List<Tensor> { prefix };
        for (long t = known; t < Length; t++)
        {
            // Each step's (B, V) tensors are freed at its end; the state and the drawn tokens move on.
            using var stepScope = NewDisposeScope();
            var probabilities = (output.call(last) / temperature).softmax(1);                 // (B, V)
            var next = multinomial(probabilities, 1, generator: generator);                    // (B, 1)
            tokens.Add(next.MoveToOuterDisposeScope());
            if (t + 1 == Length) break;
            (hidden, h, c) = lstm.call(embedding.call(next), (h, c));                          // (B, 1, H)
            last = hidden.select(1, 0).MoveToOuterDisposeScope();
            h.MoveToOuterDisposeScope();
            c.MoveToOuterDisposeScope();
        }
        return cat(tokens, 1).MoveToOuterDisposeScope();                                       // (B, T)
    }

    /// <summary>
    /// Decodes sampling noise into sequences: token t of row b is the first token whose cumulative probability under
    /// softmax(logits / temperature) exceeds <paramref name="uniforms"/>[b, t] ∈ [0, 1) (inverse-CDF sampling), so
    /// uniforms drawn i.i.d. from U(0, 1) give exact samples and equal uniforms give equal sequences. (B, T) → (B, T) int64; no gradient.
    /// </summary>
    public Tensor Decode(Tensor uniforms, double temperature = 1.0)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), $"The sampling temperature must be a positive number, not {temperature}.");
        if (uniforms.dim() != 2 || uniforms.shape[1] != Length)
            throw new ArgumentException($"Expected uniforms (B, {Length}), got shape ({string.Join(", ", uniforms.shape)}).", nameof(uniforms));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var u = uniforms.to(Device).to_type(ScalarType.Float32);                               // (B, T)
        long batch = u.shape[0];
        var tokens = new List<Tensor>();
        (Tensor, Tensor)? state = null;
        var previous = full([batch, 1], StartToken, ScalarType.Int64, device: Device);         // (B, 1)
        for (long t = 0; t < Length; t++)
        {
            using var stepScope = NewDisposeScope();
            var (hidden, h, c) = state is { } s ? lstm.call(embedding.call(previous), s) : lstm.call(embedding.call(previous));
            var cumulative = (output.call(hidden.select(1, 0)) / temperature).softmax(1).cumsum(1); // (B, V)
            var next = (cumulative <= u.narrow(1, t, 1)).sum(1, keepdim: true, type: ScalarType.Int64)
                .clamp_max(VocabularySize - 1);                                                // (B, 1)
            previous = next.MoveToOuterDisposeScope();
            tokens.Add(previous);
            state = (h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope());
        }
        return cat(tokens, 1).MoveToOuterDisposeScope();                                       // (B, T)
    }

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "generator",
        "logits = output(lstm(embedding(concat([start, x[:, :-1]], dim=1)))[0]) with start = V; sample token t from softmax(logits[:, t] / temperature)",
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["embedding"] = $"Embedding({_config.VocabularySize + 1}, {_config.EmbeddingSize})",
            ["lstm"] = $"LSTM({_config.EmbeddingSize}, {_config.Width}, num_layers={_config.Depth}, batch_first=True)",
            ["output"] = $"Linear({_config.Width}, {_config.VocabularySize})",
        });

    void CheckTokens(Tensor tokens)
    {
        if (tokens.dim() != 2 || tokens.shape[1] < 1 || tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 token sequences (B, T), got {tokens.dtype} of shape ({string.Join(", ", tokens.shape)}).", nameof(tokens));
    }
}

/// <summary>
/// An LSTM discriminator over token sequences: embedding, stacked LSTM, a linear score of the last
/// hidden state. Returns logits of "real" (B,); σ(score) is the probability SeqGAN uses as a reward.
/// </summary>
public sealed class TokenDiscriminator : nn.Module<Tensor, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly Embedding embedding;
    readonly LSTM lstm;
    readonly Linear score;
#pragma warning restore IDE1006
    readonly ModelConfig _config;

    /// <summary>Builds the discriminator for <paramref name="config"/>.</summary>
    public TokenDiscriminator(ModelConfig config) : base(nameof(TokenDiscriminator))
    {
        config.Validate();
        if (!config.IsTokenSequence) throw new ArgumentException($"TokenDiscriminator needs a token model family (mle, seqgan), got {config.Family}");
        _config = config;
        embedding = nn.Embedding(config.VocabularySize, config.EmbeddingSize);
        lstm = nn.LSTM(config.EmbeddingSize, config.Width, numLayers: config.Depth, batchFirst: true);
        score = nn.Linear(config.Width, 1);
        RegisterComponents();
    }

    /// <summary>Tokens (B, T) int64 → logits (B,) that the sequences are real.</summary>
    public override Tensor forward(Tensor tokens)
    {
        var (hidden, _, _) = lstm.call(embedding.call(tokens));          // (B, T, H)
        return score.call(hidden.select(1, hidden.shape[1] - 1)).squeeze(1); // (B,)
    }

    /// <inheritdoc />
    public NetworkDescription Describe() => new(
        "discriminator",
        "score(lstm(embedding(x))[0][:, -1]).squeeze(1): the logit that x is real",
        new Dictionary<string, IReadOnlyList<LayerSpec>>(),
        new Dictionary<string, string>
        {
            ["embedding"] = $"Embedding({_config.VocabularySize}, {_config.EmbeddingSize})",
            ["lstm"] = $"LSTM({_config.EmbeddingSize}, {_config.Width}, num_layers={_config.Depth}, batch_first=True)",
            ["score"] = $"Linear({_config.Width}, 1)",
        });
}
