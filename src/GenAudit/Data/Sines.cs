namespace GenAudit.Data;

/// <summary>
/// The synthetic multivariate sines of TimeGAN (Yoon, Jarrett and van der Schaar 2019,
/// https://papers.nips.cc/paper/8789): every feature k of sequence i is x_t = (sin(f·t + φ) + 1) / 2 for
/// t = 0 … T − 1, with its own frequency f and phase φ drawn uniformly from [0, 0.1], so values lie in [0, 1].
/// </summary>
/// <remarks>
/// Draws come from a counter-based SplitMix64 hash of (seed, sequence, 2k) for f and (seed, sequence, 2k + 1)
/// for φ, so sequence i is the same whatever N is, and the set is identical on every machine.
/// </remarks>
public static class Sines
{
    /// <summary>Sequences in TimeGAN's experiment: 10,000.</summary>
    public const int DefaultCount = 10_000;

    /// <summary>Steps per sequence: 24.</summary>
    public const int DefaultLength = 24;

    /// <summary>Features per step: 5.</summary>
    public const int DefaultFeatures = 5;

    /// <summary>Upper end of the uniform ranges of f and φ: 0.1.</summary>
    public const double MaxParameter = 0.1;

    /// <summary>The data set of <paramref name="split"/>: seed 0 for training and seed 1 for the held-out test set, as the mixtures.</summary>
    public static SeriesDataset Load(DataSplit split, int count = DefaultCount) =>
        Generate(split == DataSplit.Train ? 0 : 1, count, DefaultLength, DefaultFeatures, split == DataSplit.Train ? "sines" : "sines-test");

    /// <summary>
    /// <paramref name="count"/> sequences of <paramref name="length"/> steps and <paramref name="features"/> features
    /// drawn with <paramref name="seed"/>.
    /// </summary>
    public static SeriesDataset Generate(long seed, int count = DefaultCount, int length = DefaultLength, int features = DefaultFeatures, string name = "sines")
    {
        if (count < 1 || length < 1 || features < 1) throw new ArgumentOutOfRangeException(nameof(count), $"sines needs N, T and F ≥ 1, got N = {count}, T = {length}, F = {features}.");
        if ((long)count * length * features > SeriesDataset.MaxValues)
            throw new ArgumentOutOfRangeException(nameof(count), $"sines of {count} × {length} × {features} values exceed the limit of {SeriesDataset.MaxValues}.");
        var values = new float[count * length * features];
        for (int i = 0; i < count; i++)
            for (int k = 0; k < features; k++)
            {
                var (frequency, phase) = Parameters(seed, i, k);
                for (int t = 0; t < length; t++)
                    values[(i * length + t) * features + k] = (float)((Math.Sin(frequency * t + phase) + 1) / 2);
            }
        return new SeriesDataset(name, values, length, features);
    }

    /// <summary>The frequency f and phase φ of feature <paramref name="feature"/> of sequence <paramref name="sequence"/>, each in [0, 0.1).</summary>
    public static (double Frequency, double Phase) Parameters(long seed, int sequence, int feature) =>
        (MaxParameter * Uniform((ulong)seed, (ulong)sequence, 2 * (ulong)feature),
         MaxParameter * Uniform((ulong)seed, (ulong)sequence, 2 * (ulong)feature + 1));

    // 53 random bits of a SplitMix64 hash of the three keys, as a value in [0, 1).
    static double Uniform(ulong a, ulong b, ulong c)
    {
        ulong x = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ (c + 0x8CB92BA72F3D8DD7UL) * 0x94D049BB133111EBUL;
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
