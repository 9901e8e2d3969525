using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// A recurrent language model over V tokens: embedding, stacked LSTM or GRU, linear to the vocabulary. Token V is the
/// start token fed before the first step (an input only, never generated). With a state latent (<see cref="ModelConfig.StateLatentSize"/>
/// N &gt; 0) a vector z (B, N) sets the initial state of every layer, h₀ = tanh(latent(z)) (an LSTM's c₀ stays 0), so one z
/// conditions the whole sequence; without one the state starts at zero. Samples with temperature and top-k (<see cref="TokenSampling"/>);
/// scores given sequences (teacher forcing) and completes prefixes (SeqGAN's Monte-Carlo roll-outs).
/// </summary>
/// <remarks>State-dict names are PyTorch's for <c>nn.Embedding(V + 1, E)</c>, <c>nn.LSTM(E, H, num_layers, batch_first=True)</c>
/// (gate order i, f, g, o) or <c>nn.GRU(E, H, num_layers, batch_first=True)</c> (field <c>gru</c>, gate order r, z, n),
/// <c>nn.Linear(N, num_layers · H)</c> (field <c>latent</c>, present only with a state latent; its output viewed as
/// (B, num_layers, H) and transposed to PyTorch's (num_layers, B, H)) and <c>nn.Linear(H, V)</c>.</remarks>
public sealed class TokenGenerator : nn.Module<Tensor, Tensor>, IDescribedNetwork
{
#pragma warning disable IDE1006 // state-dict names
    readonly Embedding embedding;
    readonly LSTM? lstm;
    readonly GRU? gru;
    readonly Linear? latent;
    readonly Linear output;
#pragma warning restore IDE1006
    readonly ModelConfig _config;

    /// <summary>The recurrent state between steps: h (layers, B, H), and c for an LSTM.</summary>
    readonly record struct State(Tensor H, Tensor? C)
    {
        public State MoveToOuterDisposeScope() => new(H.MoveToOuterDisposeScope(), C?.MoveToOuterDisposeScope());
    }

    /// <summary>Builds the generator for <paramref name="config"/> (a token family, DataShape [T], VocabularySize V).</summary>
    public TokenGenerator(ModelConfig config) : base(nameof(TokenGenerator))
    {
        config.Validate();
        if (!config.IsTokenSequence) throw new ArgumentException($"TokenGenerator needs a token model family (mle, seqgan), got {config.Family}");
        _config = config;
        embedding = nn.Embedding(config.VocabularySize + 1, config.EmbeddingSize);
        if (config.Cell == RecurrentCell.Gru) gru = nn.GRU(config.EmbeddingSize, config.Width, numLayers: config.Depth, batchFirst: true);
        else lstm = nn.LSTM(config.EmbeddingSize, config.Width, numLayers: config.Depth, batchFirst: true);
        if (config.StateLatentSize > 0) latent = nn.Linear(config.StateLatentSize, config.Depth * config.Width);
        output = nn.Linear(config.Width, config.VocabularySize);
        RegisterComponents();
    }

    /// <summary>Number of tokens V.</summary>
    public int VocabularySize => _config.VocabularySize;

    /// <summary>Tokens per generated sequence T.</summary>
    public int Length => (int)_config.DataShape[0];

    /// <summary>Id of the start token, V.</summary>
    public long StartToken => _config.VocabularySize;

    /// <summary>Size N of the latent z that sets the initial state; 0 when the model has none.</summary>
    public int StateLatentSize => _config.StateLatentSize;

    /// <summary>Size E of a token embedding.</summary>
    public int EmbeddingSize => _config.EmbeddingSize;

    /// <summary>The recurrent cell.</summary>
    public RecurrentCell Cell => _config.Cell;

    /// <summary>Device of the weights.</summary>
    public Device Device => parameters().First().device;

    /// <summary>Teacher-forced logits of a model without a state latent: tokens (B, T) int64 → (B, T, V).</summary>
    public override Tensor forward(Tensor tokens) => Logits(tokens);

    /// <summary>
    /// Teacher-forced logits: tokens (B, T) int64 → (B, T, V), position t predicting token t from the tokens before it and
    /// <paramref name="latent"/> z (B, N), which a model with a state latent needs and a model without one refuses.
    /// </summary>
    public Tensor Logits(Tensor tokens, Tensor? latent = null)
    {
        CheckTokens(tokens);
        var start = full([tokens.shape[0], 1], StartToken, ScalarType.Int64, device: tokens.device); // (B, 1)
        var inputs = cat([start, tokens.narrow(1, 0, tokens.shape[1] - 1)], 1);               // (B, T)
        return LogitsOfInputs(embedding.call(inputs), latent);                                 // (B, T, V)
    }

    /// <summary>Embeddings (B, t, E) of token ids (B, t) int64 (the start token V included), with gradients to the weights.</summary>
    public Tensor Embed(Tensor tokens) => embedding.call(tokens);

    /// <summary>
    /// Logits (B, L, V) after each of L embedded inputs (B, L, E), the first normally the start token's embedding:
    /// position l predicts the token that follows input l. Differentiable in the inputs and in <paramref name="latent"/> z (B, N),
    /// which is how attributions reach prompt tokens and the latent.
    /// </summary>
    public Tensor LogitsOfInputs(Tensor embedded, Tensor? latent = null)
    {
        if (embedded.dim() != 3 || embedded.shape[2] != EmbeddingSize)
            throw new ArgumentException($"Expected embedded inputs (B, L, {EmbeddingSize}), got shape ({string.Join(", ", embedded.shape)}).", nameof(embedded));
        var (hidden, _) = Recur(embedded, InitialState(latent, embedded.shape[0]));            // (B, L, H)
        return output.call(hidden);                                                            // (B, L, V)
    }

    /// <summary>log p(xₜ | x&lt;ₜ, z) of every position: (B, T) int64 → (B, T), with gradients to the weights.</summary>
    public Tensor LogProbabilities(Tensor tokens, Tensor? latent = null) =>
        Logits(tokens, latent).log_softmax(2).gather(2, tokens.unsqueeze(2)).squeeze(2);      // (B, T)

    /// <summary>log p(x | z) = Σₜ log p(xₜ | x&lt;ₜ, z) of each sequence: (B, T) → (B,).</summary>
    public Tensor LogLikelihood(Tensor tokens, Tensor? latent = null) => LogProbabilities(tokens, latent).sum(1);

    /// <summary>Latents z (B, N) ~ N(0, I) drawn from <paramref name="generator"/>; null for a model without a state latent (nothing is drawn).</summary>
    public Tensor? DrawLatent(long batch, Generator generator) =>
        StateLatentSize == 0 ? null : randn([batch, StateLatentSize], generator: generator, device: Device);

    /// <summary>
    /// Draws <paramref name="batch"/> sequences of <see cref="Length"/> tokens (B, T) int64 with <paramref name="sampling"/>
    /// (default: the model's own distribution). A model with a state latent draws z from <paramref name="generator"/> first
    /// unless <paramref name="latent"/> (B, N) is given.
    /// </summary>
    public Tensor Sample(long batch, Generator generator, TokenSampling? sampling = null, Tensor? latent = null) =>
        Complete(zeros([batch, 0], ScalarType.Int64, device: Device), generator, sampling, latent);

    /// <summary>
    /// Completes each prefix (B, t) int64, 0 ≤ t ≤ T, to a sequence of <see cref="Length"/> tokens (B, T) by drawing the
    /// remaining T − t tokens with <paramref name="sampling"/>. A model with a state latent draws z from <paramref name="generator"/>
    /// first unless <paramref name="latent"/> (B, N) is given. No gradient is kept.
    /// </summary>
    public Tensor Complete(Tensor prefix, Generator generator, TokenSampling? sampling = null, Tensor? latent = null)
    {
        sampling ??= TokenSampling.Default;
        sampling.Validate();
        if (prefix.dim() != 2 || prefix.shape[1] > Length)
            throw new ArgumentException($"Expected a prefix (B, t) with t ≤ {Length}, got shape ({string.Join(", ", prefix.shape)}).", nameof(prefix));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long batch = prefix.shape[0], known = prefix.shape[1];
        if (known > 0) CheckTokens(prefix);
        latent ??= DrawLatent(batch, generator);
        var start = full([batch, 1], StartToken, ScalarType.Int64, device: prefix.device);     // (B, 1)
        var (hidden, state) = Recur(embedding.call(cat([start, prefix], 1)), InitialState(latent, batch)); // (B, t + 1, H)
        var last = hidden.select(1, known);                                                    // (B, H)
        var tokens = new List<Tensor> { prefix };
        for (long t = known; t < Length; t++)
        {
            // Each step's (B, V) tensors are freed at its end; the state and the drawn tokens move on.
            using var stepScope = NewDisposeScope();
            var probabilities = sampling.Probabilities(output.call(last));                    // (B, V)
            var next = multinomial(probabilities, 1, generator: generator);                    // (B, 1)
            tokens.Add(next.MoveToOuterDisposeScope());
            if (t + 1 == Length) break;
            (hidden, var moved) = Recur(embedding.call(next), state);                          // (B, 1, H)
            last = hidden.select(1, 0).MoveToOuterDisposeScope();
            state = moved.MoveToOuterDisposeScope();
        }
        return cat(tokens, 1).MoveToOuterDisposeScope();                                       // (B, T)
    }

    /// <summary>
    /// Decodes sampling noise into sequences: token t of row b is the first token whose cumulative probability under
    /// <paramref name="sampling"/> exceeds <paramref name="uniforms"/>[b, t] ∈ [0, 1) (inverse-CDF sampling), so
    /// uniforms drawn i.i.d. from U(0, 1) give exact samples and equal uniforms give equal sequences; u beyond the
    /// rounded total picks the last token of positive probability. <paramref name="latent"/> z (B, N) is required by a
    /// model with a state latent. (B, T) → (B, T) int64; no gradient.
    /// </summary>
    public Tensor Decode(Tensor uniforms, TokenSampling? sampling = null, Tensor? latent = null)
    {
        sampling ??= TokenSampling.Default;
        sampling.Validate();
        if (uniforms.dim() != 2 || uniforms.shape[1] != Length)
            throw new ArgumentException($"Expected uniforms (B, {Length}), got shape ({string.Join(", ", uniforms.shape)}).", nameof(uniforms));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var u = uniforms.to(Device).to_type(ScalarType.Float32);                               // (B, T)
        long batch = u.shape[0];
        var tokens = new List<Tensor>();
        State? state = InitialState(latent?.to(Device), batch);
        var previous = full([batch, 1], StartToken, ScalarType.Int64, device: Device);         // (B, 1)
        var positions = arange(VocabularySize, dtype: ScalarType.Int64, device: Device);       // (V,)
        for (long t = 0; t < Length; t++)
        {
            using var stepScope = NewDisposeScope();
            var (hidden, nextState) = Recur(embedding.call(previous), state);
            var probabilities = sampling.Probabilities(output.call(hidden.select(1, 0)));      // (B, V)
            var cumulative = probabilities.cumsum(1);                                          // (B, V)
            var lastPositive = ((probabilities > 0).to_type(ScalarType.Int64) * positions).amax([1], keepdim: true); // (B, 1)
            var next = (cumulative <= u.narrow(1, t, 1)).sum(1, keepdim: true, type: ScalarType.Int64)
                .minimum(lastPositive);                                                        // (B, 1)
            previous = next.MoveToOuterDisposeScope();
            tokens.Add(previous);
            state = nextState.MoveToOuterDisposeScope();
        }
        return cat(tokens, 1).MoveToOuterDisposeScope();                                       // (B, T)
    }

    /// <inheritdoc />
    public NetworkDescription Describe()
    {
        var cell = _config.Cell == RecurrentCell.Gru ? "gru" : "lstm";
        var layers = new Dictionary<string, string> { ["embedding"] = $"Embedding({_config.VocabularySize + 1}, {_config.EmbeddingSize})" };
        layers[cell] = $"{(_config.Cell == RecurrentCell.Gru ? "GRU" : "LSTM")}({_config.EmbeddingSize}, {_config.Width}, num_layers={_config.Depth}, batch_first=True)";
        if (_config.StateLatentSize > 0) layers["latent"] = $"Linear({_config.StateLatentSize}, {_config.Depth * _config.Width})";
        layers["output"] = $"Linear({_config.Width}, {_config.VocabularySize})";
        var state = _config.StateLatentSize == 0 ? "zero initial state"
            : $"initial state h0 = tanh(latent(z)).view(B, {_config.Depth}, {_config.Width}).transpose(0, 1){(_config.Cell == RecurrentCell.Lstm ? ", c0 = 0" : "")} for z ~ N(0, I) of size {_config.StateLatentSize}";
        return new(
            "generator",
            $"logits = output({cell}(embedding(concat([start, x[:, :-1]], dim=1)), state0)[0]) with start = V and {state}; sample token t from softmax(logits[:, t] / temperature) over the top-k tokens",
            new Dictionary<string, IReadOnlyList<LayerSpec>>(),
            layers);
    }

    /// <summary>The state before the first input: zeros (null) without a state latent, h₀ = tanh(latent(z)) with one.</summary>
    State? InitialState(Tensor? z, long batch)
    {
        if (latent is null)
        {
            if (z is not null) throw new ArgumentException("This token model has no state latent (trained with --latent 0); pass no latent.", nameof(z));
            return null;
        }
        if (z is null) throw new ArgumentException($"This token model's initial state comes from a latent z of size {StateLatentSize} (--latent); pass one (B, {StateLatentSize}).", nameof(z));
        if (z.dim() != 2 || z.shape[0] != batch || z.shape[1] != StateLatentSize)
            throw new ArgumentException($"Expected a latent ({batch}, {StateLatentSize}), got shape ({string.Join(", ", z.shape)}).", nameof(z));
        var h = latent.call(z.to_type(ScalarType.Float32)).tanh()
            .view(batch, _config.Depth, _config.Width).transpose(0, 1).contiguous();           // (layers, B, H)
        return new State(h, lstm is null ? null : zeros_like(h));
    }

    /// <summary>Runs the cell over embedded inputs (B, L, E) from <paramref name="state"/> (zeros when null): outputs (B, L, H) and the final state.</summary>
    (Tensor Hidden, State Final) Recur(Tensor embedded, State? state)
    {
        if (lstm is not null)
        {
            var (y, h, c) = state is { } s ? lstm.call(embedded, (s.H, s.C!)) : lstm.call(embedded);
            return (y, new State(h, c));
        }
        var (outputs, last) = gru!.call(embedded, state?.H);
        return (outputs, new State(last, null));
    }

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
