using GenAudit.Core;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Similarities of two token sequences (each already cut at its end token), in [0, 1], 1 for equal sequences.</summary>
public static class SequenceSimilarity
{
    /// <summary>1 − Levenshtein(a, b) / max(|a|, |b|): insertions, deletions and substitutions of tokens cost 1; 1 when both are empty.</summary>
    public static double Edit(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        int longest = Math.Max(a.Length, b.Length);
        if (longest == 0) return 1;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return 1 - (double)previous[b.Length] / longest;
    }

    /// <summary>|set(a) ∩ set(b)| / |set(a) ∪ set(b)| over the tokens that occur; 1 when both are empty.</summary>
    public static double Jaccard(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        var left = new HashSet<long>(a.ToArray());
        var right = new HashSet<long>(b.ToArray());
        if (left.Count == 0 && right.Count == 0) return 1;
        int shared = left.Count(right.Contains);
        return (double)shared / (left.Count + right.Count - shared);
    }
}

/// <summary>
/// Stability of a token language model opened as a <see cref="TokenSampler"/> (docs/metrics-text.md): repeat pairs,
/// local pairs (the latent, i.e. the sampling noise, moved by ε·√T in a random direction) and independent pairs (two
/// unrelated latents: the similarity of unrelated samples, the floor that local pairs fall to) under edit and token-set
/// Jaccard similarity, and determinism. Points' and images' path length, Lipschitz and worst-case search are left out:
/// they need distances between outputs that token ids do not have.
/// </summary>
public static class TextStability
{
    /// <summary>The similarities reported, by key.</summary>
    public static readonly IReadOnlyList<(string Key, Func<long[], long[], double> Similarity)> Similarities =
        [("edit", (a, b) => SequenceSimilarity.Edit(a, b)), ("jaccard", (a, b) => SequenceSimilarity.Jaccard(a, b))];

    /// <summary>Measurements <see cref="Run"/> reports: repeat, local and independent pairs, determinism.</summary>
    public const int Steps = 4;

    /// <summary>
    /// The flat keys of <paramref name="sampler"/>'s stability with <paramref name="options"/>' sample count, ε, seed, batch
    /// size, determinism count and thread check: <c>repeat</c>, <c>repeat.maxAbsDiff</c>, <c>local.&lt;ε&gt;.edit|jaccard</c>,
    /// <c>independent.edit|jaccard</c>, <c>determinism.*</c>.
    /// </summary>
    public static SortedDictionary<string, double> Run(TokenSampler sampler, StabilityOptions options, IProgress<WorkProgress>? steps = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        int count = options.SampleCount;
        int? end = sampler.Vocabulary.EndToken;

        RepeatResult repeat;
        using (var g = new TorchSharp.torch.Generator(unchecked((ulong)options.Seed) * 1000 + 1)) repeat = PairStability.Repeat(sampler, count, options.BatchSize, g);
        values["repeat"] = repeat.MaxAbsDiff == 0 ? 1.0 : 0.0;
        values["repeat.maxAbsDiff"] = repeat.MaxAbsDiff;
        steps?.Report(new WorkProgress("repeat pairs", 1, Steps));

        using (var scope = NewDisposeScope())
        using (var g = new TorchSharp.torch.Generator(unchecked((ulong)options.Seed) * 1000 + 2))
        {
            var z = Latents.Normal(sampler, count, g);                           // (N, T)
            var unit = Latents.OnSphere(sampler, count, 1.0, g);                 // (N, T)
            var reference = Rows(sampler.Sequences(z), end);
            foreach (var epsilon in options.Epsilons)
            {
                var perturbed = Rows(sampler.Sequences(z + Latents.Radius(sampler, epsilon) * unit), end);
                foreach (var (key, similarity) in Similarities)
                    values[$"local.{StabilityReport.FormatEpsilon(epsilon)}.{key}"] = Enumerable.Range(0, count).Average(i => similarity(reference[i], perturbed[i]));
            }
            steps?.Report(new WorkProgress("local pairs", 2, Steps));
            var other = Rows(sampler.Sequences(Latents.Normal(sampler, count, g)), end);
            foreach (var (key, similarity) in Similarities)
                values[$"independent.{key}"] = Enumerable.Range(0, count).Average(i => similarity(reference[i], other[i]));
            steps?.Report(new WorkProgress("independent pairs", 3, Steps));
        }

        var determinism = Determinism.Compute(sampler, options.DeterminismSampleCount, options.BatchSize, options.Seed, options.CheckThreads);
        values["determinism.seed.maxAbsDiff"] = determinism.SameSeedMaxAbsDiff;
        if (determinism.ThreadsMaxAbsDiff is { } threads) values["determinism.threads.maxAbsDiff"] = threads;
        values["determinism.kernels"] = determinism.KernelsCertified ? 1.0 : 0.0;
        steps?.Report(new WorkProgress("determinism", 4, Steps));
        return values;
    }

    static List<long[]> Rows(Tensor tokens, int? end)
    {
        var values = tokens.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        int length = (int)tokens.shape[1];
        var rows = new List<long[]>((int)tokens.shape[0]);
        for (int i = 0; i < values.Length; i += length)
        {
            var row = values.AsSpan(i, length);
            int cut = end is { } e ? row.IndexOf((long)e) : -1;
            rows.Add((cut < 0 ? row : row[..cut]).ToArray());
        }
        return rows;
    }
}
