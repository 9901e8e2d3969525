using System.Globalization;
using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings of <see cref="TextQuality"/>; the CLI's <c>evaluate --n/--seed</c> and the library mean the same.</summary>
public sealed record TextQualityOptions
{
    /// <summary>Default number of generated sequences.</summary>
    public const int DefaultSampleCount = 1000;

    /// <summary>Generated sequences (hypotheses of BLEU, the set of self-BLEU and distinct-n). Default: 1,000.</summary>
    public int SampleCount { get; init; } = DefaultSampleCount;

    /// <summary>Seed of the latent draws (the sampling noise) and of the training subset of the real row. Default: 0.</summary>
    public long Seed { get; init; }

    /// <summary>Largest number of sequences accepted, to bound memory (the n-gram index grows with it).</summary>
    public const int MaxSampleCount = 200_000;

    /// <summary>Checks ranges.</summary>
    public void Validate()
    {
        if (SampleCount is < 2 or > MaxSampleCount) throw new ArgumentOutOfRangeException(nameof(SampleCount), $"--n must be 2 to {MaxSampleCount:N0} sequences for token runs, got {SampleCount}");
    }
}

/// <summary>The keys of a token run and of its real row (held-out data measured the same way).</summary>
public sealed record TextQualityResult(IReadOnlyDictionary<string, double> Values, IReadOnlyDictionary<string, double> Real,
                                       IReadOnlyList<string> Samples, int ReferenceCount, int RealCandidateCount);

/// <summary>
/// Sample quality of a token language model (docs/metrics-text.md): BLEU-2..5 against the held-out set and
/// self-BLEU-2..5 as Texygen (<see cref="BleuReferences"/>), distinct-1..4, NLL-oracle when the data has an oracle,
/// NLL-test (the model's NLL of held-out sequences), and verbatim copies of training and of held-out sequences.
/// Sequences are cut at the end token before n-gram counting. The real row scores a sample of training sequences
/// as if they were generated.
/// </summary>
public static class TextQuality
{
    /// <summary>BLEU and self-BLEU orders reported.</summary>
    public static readonly int[] BleuOrders = [2, 3, 4, 5];

    /// <summary>distinct-n orders reported.</summary>
    public static readonly int[] DistinctOrders = [1, 2, 3, 4];

    /// <summary>Measures <paramref name="sampler"/> against its training and held-out data.</summary>
    public static TextQualityResult Evaluate(TokenSampler sampler, TokenSequenceDataset train, TokenSequenceDataset test, TextQualityOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.VocabularySize != sampler.Model.VocabularySize || train.Length != sampler.Model.Length)
            throw new ArgumentException($"the model generates {sampler.Model.Length} tokens of {sampler.Model.VocabularySize} but '{train.Name}' holds {train.Length} tokens of {train.VocabularySize}");
        using var scope = NewDisposeScope();
        progress?.Report($"sampling {options.SampleCount} sequences");
        var tokens = Sample(sampler, options.SampleCount, options.Seed);                  // (N, T)
        var generated = Rows(tokens, train.Vocabulary.EndToken);
        var references = Rows(test.Tokens, test.Length, test.Vocabulary.EndToken);
        var training = Rows(train.Tokens, train.Length, train.Vocabulary.EndToken);
        progress?.Report($"indexing n-grams of {references.Count} held-out sequences");
        var measures = new TextSetMeasures(training, references);

        var values = measures.Measure(generated);
        values["nll.test"] = NllTest(sampler.Model, test);
        if (train.Oracle is { } oracle) values["nll.oracle"] = oracle.NegativeLogLikelihoodPerToken(tokens);
        values["samples.generated"] = generated.Count;
        values["samples.real"] = references.Count;
        values["seed"] = options.Seed;

        // The real row: training sequences (a seeded subset as large as the generated set) measured like samples;
        // they are all in the training set by construction, so copies.verbatim.train has no real value.
        var rng = new Random(unchecked((int)options.Seed));
        var chosen = Enumerable.Range(0, training.Count).OrderBy(_ => rng.Next()).Take(generated.Count).Select(i => (long)i).ToArray();
        var subset = chosen.Select(i => training[(int)i]).ToList();
        var real = subset.Count >= 2 ? measures.Measure(subset) : new Dictionary<string, double>();
        real.Remove("copies.verbatim.train");
        if (train.Oracle is { } o && chosen.Length >= 1) real["nll.oracle"] = o.NegativeLogLikelihoodPerToken(train.GetTokens(chosen));
        var spelled = sampler.Spell(tokens);
        return new TextQualityResult(values, real, spelled, references.Count, subset.Count);
    }

    /// <summary>
    /// NLL-test: −(1/(N·T)) Σ log p_model(x) over the N held-out sequences, every position counted (end tokens
    /// included), in nats per token: the teacher-forced loss on data the model did not train on. A model with a state
    /// latent scores each sequence under one z drawn from the prior (seed 0): E_z[−log p(x | z)], the quantity its MLE
    /// training lowers and an upper bound on −log p(x) (Jensen).
    /// </summary>
    public static double NllTest(TokenGenerator model, TokenSequenceDataset test)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var latentRandom = new TorchSharp.torch.Generator(0, model.Device);
        double sum = 0;
        const int batch = 500;
        for (long start = 0; start < test.Count; start += batch)
        {
            using var step = NewDisposeScope();
            var indices = Enumerable.Range((int)start, (int)Math.Min(batch, test.Count - start)).Select(i => (long)i).ToArray();
            var latent = model.DrawLatent(indices.Length, latentRandom);                       // (b, N) or none
            sum += model.LogProbabilities(test.GetTokens(indices, model.Device), latent).to_type(ScalarType.Float64).sum().item<double>();
        }
        return -sum / ((double)test.Count * test.Length);
    }

    /// <summary>Sequences (N, T) int64 on the CPU for latents drawn with <paramref name="seed"/>, as <c>genaudit generate</c> draws them.</summary>
    public static Tensor Sample(TokenSampler sampler, int count, long seed)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(unchecked((ulong)seed));
        var z = randn([count, sampler.LatentSize], generator: generator);
        var parts = new List<Tensor>();
        for (long start = 0; start < count; start += 512)
            parts.Add(sampler.Sequences(z.narrow(0, start, Math.Min(512, count - start))).cpu());
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Rows of a (N, T) tensor, each cut at the end token.</summary>
    static List<long[]> Rows(Tensor tokens, int? endToken)
    {
        var values = tokens.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        return Rows(values, (int)tokens.shape[1], endToken);
    }

    /// <summary>Rows of (N, T) row-major ids, each cut at the end token.</summary>
    public static List<long[]> Rows(ReadOnlySpan<long> tokens, int length, int? endToken)
    {
        var rows = new List<long[]>(tokens.Length / length);
        for (int i = 0; i + length <= tokens.Length; i += length)
        {
            var row = tokens.Slice(i, length);
            int end = endToken is { } e ? row.IndexOf((long)e) : -1;
            rows.Add((end < 0 ? row : row[..end]).ToArray());
        }
        return rows;
    }

}

/// <summary>
/// The keys of a set of candidate sequences that need only the data: BLEU-2..5 against the held-out set, self-BLEU-2..5,
/// distinct-1..4, and the shares of candidates found verbatim among the training and among the held-out sequences
/// (a model that replays its training data shows far more of the first).
/// </summary>
public sealed class TextSetMeasures
{
    readonly BleuReferences _heldOut;
    readonly HashSet<string> _trainingSet, _heldOutSet;

    /// <summary>Indexes <paramref name="training"/> and <paramref name="heldOut"/> sequences (each cut at its end token).</summary>
    public TextSetMeasures(IReadOnlyList<long[]> training, IReadOnlyList<long[]> heldOut)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(heldOut);
        _heldOut = new BleuReferences(heldOut);
        _trainingSet = new HashSet<string>(training.Select(Key));
        _heldOutSet = new HashSet<string>(heldOut.Select(Key));
    }

    /// <summary>The keys of <paramref name="candidates"/> (at least two).</summary>
    public Dictionary<string, double> Measure(IReadOnlyList<long[]> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var self = new BleuReferences(candidates);
        foreach (var n in TextQuality.BleuOrders)
        {
            values[$"bleu.{n}"] = _heldOut.Mean(candidates, n);
            values[$"selfBleu.{n}"] = BleuReferences.SelfBleu(self, candidates, n);
        }
        foreach (var n in TextQuality.DistinctOrders)
            if (TextDiversity.Distinct(candidates, n) is var d && !double.IsNaN(d)) values[$"distinct.{n}"] = d;
        values["copies.verbatim.train"] = candidates.Count(s => _trainingSet.Contains(Key(s))) / (double)candidates.Count;
        values["copies.verbatim.test"] = candidates.Count(s => _heldOutSet.Contains(Key(s))) / (double)candidates.Count;
        return values;
    }

    static string Key(long[] sequence) => string.Join(' ', sequence.Select(t => t.ToString(CultureInfo.InvariantCulture)));
}
