namespace GenAudit.Metrics;

/// <summary>
/// BLEU of token sequences as Texygen defines it for text GANs (Zhu et al. 2018, https://arxiv.org/abs/1802.01886):
/// each hypothesis scored by nltk's <c>sentence_bleu</c> against a whole reference set with weights (1/n, …, 1/n) and
/// <c>SmoothingFunction().method1</c> (an n-gram order without any match counts 0.1 matches), then averaged over
/// hypotheses. Self-BLEU scores each generated sequence against all the others. The reference n-gram counts are
/// indexed once, so a hypothesis costs O(its length · n) whatever the number of references.
/// </summary>
public sealed class BleuReferences
{
    /// <summary>Highest n-gram order indexed (BLEU-5).</summary>
    public const int MaxOrder = 5;

    /// <summary>nltk's method1 epsilon: the matches counted for an order with none.</summary>
    public const double Epsilon = 0.1;

    // Per order k (index k − 1): the largest count of each k-gram in one reference, which reference holds it,
    // and the largest count in any other reference (for self-BLEU, which leaves one reference out).
    readonly Dictionary<Gram, Best>[] _grams;
    readonly SortedDictionary<int, int> _lengths = new();
    readonly int[] _referenceLengths;

    /// <summary>Indexes <paramref name="references"/> (token sequences; at least one).</summary>
    public BleuReferences(IReadOnlyList<long[]> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("BLEU needs at least one reference sequence.", nameof(references));
        _grams = new Dictionary<Gram, Best>[MaxOrder];
        for (int k = 0; k < MaxOrder; k++) _grams[k] = new Dictionary<Gram, Best>();
        _referenceLengths = new int[references.Count];
        var counts = new Dictionary<Gram, int>();
        for (int r = 0; r < references.Count; r++)
        {
            var reference = references[r];
            _referenceLengths[r] = reference.Length;
            _lengths[reference.Length] = _lengths.GetValueOrDefault(reference.Length) + 1;
            for (int k = 1; k <= MaxOrder; k++)
            {
                CountGrams(reference, k, counts);
                var index = _grams[k - 1];
                foreach (var (gram, count) in counts)
                {
                    var best = index.GetValueOrDefault(gram, new Best(0, -1, 0));
                    index[gram] = count > best.Count ? new Best(count, r, best.Count)
                        : count > best.Second ? best with { Second = count }
                        : best;
                }
            }
        }
    }

    /// <summary>Number of references.</summary>
    public int Count => _referenceLengths.Length;

    /// <summary>
    /// nltk's <c>sentence_bleu(references, hypothesis, (1/n,)*n, smoothing_function=method1)</c>, leaving out
    /// reference <paramref name="exclude"/> (−1: none; self-BLEU leaves out the hypothesis itself).
    /// </summary>
    public double Score(ReadOnlySpan<long> hypothesis, int order, int exclude = -1)
    {
        if (order is < 1 or > MaxOrder) throw new ArgumentOutOfRangeException(nameof(order), $"BLEU orders are 1 to {MaxOrder}, not {order}.");
        if (exclude >= 0 && Count < 2) throw new ArgumentException("Leaving one reference out needs at least two references.", nameof(exclude));
        var counts = new Dictionary<Gram, int>();
        double logSum = 0;
        var array = hypothesis.ToArray();
        for (int k = 1; k <= order; k++)
        {
            CountGrams(array, k, counts);
            long matched = 0, total = 0;
            var index = _grams[k - 1];
            foreach (var (gram, count) in counts)
            {
                total += count;
                if (index.TryGetValue(gram, out var best)) matched += Math.Min(count, best.Index == exclude ? best.Second : best.Count);
            }
            if (k == 1 && matched == 0) return 0; // nltk returns 0 before smoothing when no unigram matches
            long denominator = Math.Max(1, total);
            double precision = matched == 0 ? Epsilon / denominator : (double)matched / denominator;
            logSum += Math.Log(precision) / order;
        }
        return BrevityPenalty(ClosestLength(hypothesis.Length, exclude), hypothesis.Length) * Math.Exp(logSum);
    }

    /// <summary>Mean BLEU-<paramref name="order"/> of <paramref name="hypotheses"/> against these references (Texygen's BLEU).</summary>
    public double Mean(IReadOnlyList<long[]> hypotheses, int order)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        if (hypotheses.Count == 0) throw new ArgumentException("BLEU needs at least one hypothesis.", nameof(hypotheses));
        double sum = 0;
        foreach (var hypothesis in hypotheses) sum += Score(hypothesis, order);
        return sum / hypotheses.Count;
    }

    /// <summary>
    /// Texygen's self-BLEU-<paramref name="order"/>: the mean over the sequences of each one's BLEU against all the
    /// others (at least two). Higher means less diverse samples.
    /// </summary>
    public static double SelfBleu(IReadOnlyList<long[]> samples, int order) => SelfBleu(new BleuReferences(samples), samples, order);

    /// <summary>Self-BLEU of <paramref name="samples"/> over their index <paramref name="indexed"/> (built from the same list).</summary>
    public static double SelfBleu(BleuReferences indexed, IReadOnlyList<long[]> samples, int order)
    {
        ArgumentNullException.ThrowIfNull(indexed);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2) throw new ArgumentException($"Self-BLEU needs at least two samples, not {samples.Count}.", nameof(samples));
        if (indexed.Count != samples.Count) throw new ArgumentException("The index was built from another list of samples.", nameof(indexed));
        double sum = 0;
        for (int i = 0; i < samples.Count; i++) sum += indexed.Score(samples[i], order, i);
        return sum / samples.Count;
    }

    // nltk's closest_ref_length: the reference length nearest the hypothesis', the shorter one on a tie.
    int ClosestLength(int hypothesisLength, int exclude)
    {
        int excludedLength = exclude >= 0 ? _referenceLengths[exclude] : -1;
        int closest = -1;
        foreach (var (length, count) in _lengths)
        {
            if (length == excludedLength && count == 1) continue;
            if (closest < 0 || Math.Abs(length - hypothesisLength) < Math.Abs(closest - hypothesisLength)) closest = length;
        }
        return closest;
    }

    // nltk's brevity_penalty: 1 for a hypothesis longer than r, 0 for an empty one, else exp(1 − r/c).
    static double BrevityPenalty(int referenceLength, int hypothesisLength) =>
        hypothesisLength > referenceLength ? 1 : hypothesisLength == 0 ? 0 : Math.Exp(1 - (double)referenceLength / hypothesisLength);

    static void CountGrams(long[] sequence, int order, Dictionary<Gram, int> counts)
    {
        counts.Clear();
        for (int i = 0; i + order <= sequence.Length; i++)
        {
            var gram = Gram.At(sequence, i, order);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
    }

    readonly record struct Best(int Count, int Index, int Second);
}

/// <summary>An n-gram of up to <see cref="BleuReferences.MaxOrder"/> token ids; unused places hold −1 (ids are ≥ 0).</summary>
readonly record struct Gram(long A, long B, long C, long D, long E)
{
    public static Gram At(long[] sequence, int start, int order) => new(
        sequence[start],
        order > 1 ? sequence[start + 1] : -1,
        order > 2 ? sequence[start + 2] : -1,
        order > 3 ? sequence[start + 3] : -1,
        order > 4 ? sequence[start + 4] : -1);
}

/// <summary>Diversity of a set of token sequences.</summary>
public static class TextDiversity
{
    /// <summary>
    /// distinct-n (Li et al. 2016, https://arxiv.org/abs/1510.03055): distinct n-grams over all n-grams of all the
    /// sequences, in (0, 1]; NaN when no sequence has <paramref name="order"/> tokens.
    /// </summary>
    public static double Distinct(IReadOnlyList<long[]> sequences, int order)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (order is < 1 or > BleuReferences.MaxOrder) throw new ArgumentOutOfRangeException(nameof(order), $"distinct-n orders are 1 to {BleuReferences.MaxOrder}, not {order}.");
        var seen = new HashSet<Gram>();
        long total = 0;
        foreach (var sequence in sequences)
            for (int i = 0; i + order <= sequence.Length; i++)
            {
                seen.Add(Gram.At(sequence, i, order));
                total++;
            }
        return total == 0 ? double.NaN : (double)seen.Count / total;
    }
}
