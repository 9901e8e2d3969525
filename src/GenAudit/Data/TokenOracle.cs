using System.Globalization;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// The synthetic benchmark of SeqGAN (Yu et al. 2017, https://arxiv.org/abs/1609.05473): a one-layer
/// LSTM language model whose every parameter is drawn from N(0, 1) with a fixed seed. Its samples are
/// the training data, and because its likelihood is known, NLL-oracle (its negative log-likelihood of
/// a model's samples, per token) measures sample quality exactly.
/// </summary>
/// <remarks>
/// Parameters are PyTorch-named (<c>embedding.weight</c>, <c>lstm.weight_ih_l0</c> with nn.LSTM's gate
/// order i, f, g, o, <c>output.weight</c>) and drawn by a counter-based SplitMix64 hash and Box–Muller in
/// float64, so they are the same on every machine. The embedding has V + 1 rows: row V is the start
/// token fed before the first step, never generated. The LSTM runs in float64.
/// </remarks>
public sealed class TokenOracle
{
    /// <summary>SeqGAN's oracle: 5,000 tokens, embedding 32, hidden 32.</summary>
    public const int DefaultVocabularySize = 5000, DefaultEmbeddingSize = 32, DefaultHiddenSize = 32;

    /// <summary>SeqGAN's sequence length (LeakGAN's long variant is 40).</summary>
    public const int DefaultLength = 20;

    /// <summary>Sequences in each of the training and held-out sets.</summary>
    public const int DefaultSampleCount = 10_000;

    const ulong ParameterStream = 1, SamplingStream = 2;
    // One forward pass holds (B, V) float64 logits; this bounds it to ~40 MB for V = 5,000.
    const int ChunkSize = 1000;

    readonly Dictionary<string, double[]> _parameters = new(StringComparer.Ordinal);
    readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);

    /// <summary>Draws the oracle for <paramref name="seed"/>.</summary>
    public TokenOracle(long seed, int vocabularySize = DefaultVocabularySize, int embeddingSize = DefaultEmbeddingSize, int hiddenSize = DefaultHiddenSize)
    {
        if (vocabularySize is < 2 or > 100_000) throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"The oracle's vocabulary must hold 2 to 100,000 tokens, not {vocabularySize}.");
        if (embeddingSize is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(embeddingSize), $"The oracle's embedding size must be 1 to 1,024, not {embeddingSize}.");
        if (hiddenSize is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"The oracle's hidden size must be 1 to 1,024, not {hiddenSize}.");
        Seed = seed;
        VocabularySize = vocabularySize;
        EmbeddingSize = embeddingSize;
        HiddenSize = hiddenSize;
        long index = 0;
        void Draw(string name, params long[] shape)
        {
            var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++) values[i] = StandardNormal((ulong)seed, index++);
            _parameters[name] = values;
            _shapes[name] = shape;
        }
        Draw("embedding.weight", vocabularySize + 1, embeddingSize);
        Draw("lstm.weight_ih_l0", 4 * hiddenSize, embeddingSize);
        Draw("lstm.weight_hh_l0", 4 * hiddenSize, hiddenSize);
        Draw("lstm.bias_ih_l0", 4 * hiddenSize);
        Draw("lstm.bias_hh_l0", 4 * hiddenSize);
        Draw("output.weight", vocabularySize, hiddenSize);
        Draw("output.bias", vocabularySize);
    }

    /// <summary>The seed the parameters were drawn from.</summary>
    public long Seed { get; }

    /// <summary>Number of tokens V (the start token, id V, is input only).</summary>
    public int VocabularySize { get; }

    /// <summary>Embedding size E.</summary>
    public int EmbeddingSize { get; }

    /// <summary>Hidden size H.</summary>
    public int HiddenSize { get; }

    /// <summary>Id of the start token fed before the first step: V.</summary>
    public int StartToken => VocabularySize;

    /// <summary>Parameter names in draw order, PyTorch's state-dict keys.</summary>
    public IReadOnlyCollection<string> ParameterNames => _parameters.Keys;

    /// <summary>The values (row-major, a copy) and shape of parameter <paramref name="name"/>.</summary>
    public (double[] Values, long[] Shape) Parameter(string name) =>
        _parameters.TryGetValue(name, out var values)
            ? ((double[])values.Clone(), (long[])_shapes[name].Clone())
            : throw new ArgumentException($"The oracle has no parameter '{name}'; it has {string.Join(", ", _parameters.Keys)}.", nameof(name));

    /// <summary>
    /// Draws the sequences with global indices <paramref name="first"/> .. first + count − 1, each of
    /// <paramref name="length"/> tokens: (count · length) row-major. Sequence i depends only on (seed, i),
    /// so the training set (0 .. n−1) and the held-out set (n .. 2n−1) are disjoint draws.
    /// </summary>
    public long[] Sample(long first, int count, int length)
    {
        if (first < 0) throw new ArgumentOutOfRangeException(nameof(first), $"The first index must be ≥ 0, not {first}.");
        if (count < 1 || length < 1 || (long)count * length > 100_000_000)
            throw new ArgumentOutOfRangeException(nameof(count), $"Draw 1 to 100,000,000 tokens (count × length), not {count} × {length}.");
        var tokens = new long[(long)count * length];
        using var scope = NewDisposeScope();
        var p = Tensors();
        for (var start = 0; start < count; start += ChunkSize)
        {
            using var chunkScope = NewDisposeScope();
            int b = Math.Min(ChunkSize, count - start);
            var previous = full([b], (long)StartToken, ScalarType.Int64);              // (B,)
            var h = zeros([b, HiddenSize], ScalarType.Float64);                        // (B, H)
            var c = zeros([b, HiddenSize], ScalarType.Float64);                        // (B, H)
            var chunk = new long[b * length];
            var uniforms = new double[b];
            for (var t = 0; t < length; t++)
            {
                // Each step's (B, V) tensors are freed at its end; only the state moves on.
                using var stepScope = NewDisposeScope();
                (h, c) = Cell(p, previous, h, c);
                var cdf = softmax(Logits(p, h), 1).cumsum(1);                          // (B, V)
                for (var i = 0; i < b; i++) uniforms[i] = Uniform((ulong)Seed, SamplingStream, (ulong)((first + start + i) * length + t));
                var u = tensor(uniforms, [b, 1]);                                      // (B, 1)
                // The last CDF entry may round below 1; a draw above it takes the last token.
                previous = searchsorted(cdf, u).clamp_max(VocabularySize - 1).squeeze(1); // (B,)
                var drawn = previous.data<long>();
                for (var i = 0; i < b; i++) chunk[i * length + t] = drawn[i];
                h.MoveToOuterDisposeScope();
                c.MoveToOuterDisposeScope();
                previous.MoveToOuterDisposeScope();
            }
            chunk.CopyTo(tokens, (long)start * length);
        }
        return tokens;
    }

    /// <summary>
    /// log p(x) of each sequence under the oracle, Σₜ log p(xₜ | x&lt;ₜ): (B, T) int64 → (B,) float64,
    /// a new tensor on the CPU. No gradient is kept.
    /// </summary>
    public Tensor LogLikelihood(Tensor tokens)
    {
        if (tokens.dim() != 2) throw new ArgumentException($"Expected token sequences (B, T), got shape ({string.Join(", ", tokens.shape)}).", nameof(tokens));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tokens.cpu().to_type(ScalarType.Int64);
        if (x.numel() > 0 && (x.min().item<long>() < 0 || x.max().item<long>() >= VocabularySize))
            throw new ArgumentException($"Token ids must lie in 0..{VocabularySize - 1} for this oracle.", nameof(tokens));
        var p = Tensors();
        long n = x.shape[0], length = x.shape[1];
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += ChunkSize)
        {
            using var chunkScope = NewDisposeScope();
            long b = Math.Min(ChunkSize, n - start);
            var chunk = x.narrow(0, start, b);                                         // (B, T)
            var previous = full([b], (long)StartToken, ScalarType.Int64);              // (B,)
            var h = zeros([b, HiddenSize], ScalarType.Float64);
            var c = zeros([b, HiddenSize], ScalarType.Float64);
            var total = zeros([b], ScalarType.Float64);                                // (B,)
            for (long t = 0; t < length; t++)
            {
                using var stepScope = NewDisposeScope();
                (h, c) = Cell(p, previous, h, c);
                var current = chunk.select(1, t);                                      // (B,)
                total = total + Logits(p, h).log_softmax(1).gather(1, current.unsqueeze(1)).squeeze(1);
                previous = current;
                h.MoveToOuterDisposeScope();
                c.MoveToOuterDisposeScope();
                total.MoveToOuterDisposeScope();
                previous.MoveToOuterDisposeScope();
            }
            parts.Add(total.MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();                                // (N,)
    }

    /// <summary>NLL-oracle: −log p(x) / T averaged over the sequences, in nats per token (as SeqGAN reports it).</summary>
    public double NegativeLogLikelihoodPerToken(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        if (tokens.dim() != 2 || tokens.shape[0] < 1 || tokens.shape[1] < 1)
            throw new ArgumentException($"Expected a non-empty batch of token sequences (B, T), got shape ({string.Join(", ", tokens.shape)}).", nameof(tokens));
        return -LogLikelihood(tokens).mean().item<double>() / tokens.shape[1];
    }

    /// <summary>
    /// The training (the first <paramref name="count"/> draws) or held-out (the next <paramref name="count"/>)
    /// set of sequences of <paramref name="length"/> tokens.
    /// </summary>
    public TokenSequenceDataset Dataset(DataSplit split, int count = DefaultSampleCount, int length = DefaultLength)
    {
        long first = split == DataSplit.Train ? 0 : count;
        var tokens = Sample(first, count, length);
        var name = string.Create(CultureInfo.InvariantCulture, $"oracle-seed{Seed}-length{length}-{(split == DataSplit.Train ? "train" : "test")}");
        return new TokenSequenceDataset(name, tokens, length, TokenVocabulary.Numbered(VocabularySize), this);
    }

    sealed record OracleTensors(Tensor Embedding, Tensor InputWeight, Tensor HiddenWeight, Tensor Bias, Tensor OutputWeight, Tensor OutputBias);

    OracleTensors Tensors()
    {
        Tensor T(string name) => tensor(_parameters[name], _shapes[name]);
        return new OracleTensors(T("embedding.weight"), T("lstm.weight_ih_l0").t(), T("lstm.weight_hh_l0").t(),
            T("lstm.bias_ih_l0") + T("lstm.bias_hh_l0"), T("output.weight").t(), T("output.bias"));
    }

    // nn.LSTM's cell: i, f, g, o = chunks of W_ih x + b_ih + W_hh h + b_hh; c' = σ(f)c + σ(i)tanh(g); h' = σ(o)tanh(c').
    static (Tensor H, Tensor C) Cell(OracleTensors p, Tensor previous, Tensor h, Tensor c)
    {
        var x = p.Embedding.index_select(0, previous);                                 // (B, E)
        var gates = x.matmul(p.InputWeight) + h.matmul(p.HiddenWeight) + p.Bias;      // (B, 4H)
        var chunks = gates.chunk(4, 1);                                                // 4 × (B, H)
        var cNext = sigmoid(chunks[1]) * c + sigmoid(chunks[0]) * tanh(chunks[2]);
        return (sigmoid(chunks[3]) * tanh(cNext), cNext);
    }

    static Tensor Logits(OracleTensors p, Tensor h) => h.matmul(p.OutputWeight) + p.OutputBias; // (B, V)

    /// <summary>A standard normal value, the <paramref name="index"/>-th of <paramref name="seed"/>'s parameter stream (Box–Muller, cosine branch).</summary>
    static double StandardNormal(ulong seed, long index)
    {
        double u1 = Uniform(seed, ParameterStream, 2 * (ulong)index);
        double u2 = Uniform(seed, ParameterStream, 2 * (ulong)index + 1);
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A uniform value in (0, 1] with 53 random bits from a SplitMix64 hash of the three keys.</summary>
    static double Uniform(ulong seed, ulong stream, ulong index) => ((Hash(seed, stream, index) >> 11) + 1) * (1.0 / (1UL << 53));

    static ulong Hash(ulong a, ulong b, ulong c)
    {
        ulong x = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ (c + 0x8CB92BA72F3D8DD7UL) * 0x94D049BB133111EBUL;
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
