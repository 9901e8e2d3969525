namespace GenAudit.Explain;

/// <summary>Seeded, class-stratified samples of a training set, for the mean baseline and GradientSHAP's background.</summary>
public static class TrainingSample
{
    /// <summary>
    /// Indices of <paramref name="count"/> distinct examples out of <paramref name="total"/> (all of them when count ≥ total),
    /// drawn with <paramref name="seed"/>. With <paramref name="labels"/> each class gets its share count · n_c / total
    /// (largest remainders round), drawn uniformly within the class; without labels a uniform sample. Sorted ascending.
    /// </summary>
    public static long[] Stratified(long[]? labels, int total, int count, long seed)
    {
        if (total < 0 || count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"training sample: need total >= 0 and count >= 0, got {total} and {count}.");
        if (labels is not null && labels.Length != total)
            throw new ArgumentException($"training sample: {labels.Length} labels for {total} examples.", nameof(labels));
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        if (count >= total) return Enumerable.Range(0, total).Select(i => (long)i).ToArray();
        if (labels is null) return Draw(Enumerable.Range(0, total).ToArray(), count, random);
        var classes = Enumerable.Range(0, total).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        var exact = classes.Select(c => (double)count * c.Length / total).ToArray();
        var shares = exact.Select(Math.Floor).Select(v => (int)v).ToArray();
        foreach (var c in Enumerable.Range(0, classes.Length).OrderByDescending(c => exact[c] - shares[c]).ThenBy(c => c).Take(count - shares.Sum()))
            shares[c]++;
        return classes.SelectMany((members, c) => Draw(members, shares[c], random)).Order().ToArray();
    }

    static long[] Draw(int[] members, int count, Random random)
    {
        var pool = (int[])members.Clone();
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Length); // partial Fisher–Yates
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).Select(i => (long)i).ToArray();
    }
}
