namespace GenAudit.Metrics;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a tiny PRNG whose output depends only on the seed, so
/// seeded metric subsets are the same on every platform and every .NET or TorchSharp version.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    ulong state = seed;

    /// <summary>Next 64 random bits.</summary>
    internal ulong Next()
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform double in [0, 1): the top 53 bits of <see cref="Next"/>.</summary>
    internal double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound), without modulo bias (Lemire 2019, multiply-shift with rejection).</summary>
    internal long NextBelow(long bound)
    {
        var n = (ulong)bound;
        var threshold = (0UL - n) % n;
        while (true)
        {
            var product = (UInt128)Next() * n;
            if ((ulong)product >= threshold) return (long)(ulong)(product >> 64);
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices drawn uniformly from [0, population), in draw order:
    /// the first <paramref name="count"/> steps of a Fisher–Yates shuffle.
    /// </summary>
    internal long[] SampleWithoutReplacement(long population, int count)
    {
        var pool = new long[population];
        for (long i = 0; i < population; i++) pool[i] = i;
        var sample = new long[count];
        for (var i = 0; i < count; i++)
        {
            var j = i + NextBelow(population - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            sample[i] = pool[i];
        }
        return sample;
    }
}
