using System.Globalization;

namespace GenAudit.Data;

/// <summary>
/// Stacked MNIST, the 1,000-mode benchmark (Metz et al. 2017; Srivastava et al. 2017; Lin et al. 2018): three
/// embedded MNIST digits drawn uniformly with a seed, stacked as the three channels of one 28×28 image. The
/// label of an image is its mode, 100·d₀ + 10·d₁ + d₂ for the digits of channels 0, 1, 2. The training set
/// stacks digits of the 8,000 embedded training digits, the test set digits of the 2,000 test digits.
/// </summary>
public static class StackedMnist
{
    /// <summary>The --data name.</summary>
    public const string Name = "stacked-mnist";

    /// <summary>Images in the training set: 25,600, as in VEEGAN and PacGAN.</summary>
    public const int TrainCount = 25_600;

    /// <summary>Images in the test set: 10,000 (the real reference of evaluate is at most this many).</summary>
    public const int TestCount = 10_000;

    /// <summary>Modes: 10³ triples of digits.</summary>
    public const int ModeCount = 1000;

    /// <summary>Class (mode) names "000" … "999": the digits of channels 0, 1, 2.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, ModeCount).Select(m => m.ToString("D3", CultureInfo.InvariantCulture)).ToArray();

    /// <summary>True when <paramref name="dataset"/> was made by <see cref="Load"/> (its name and shape).</summary>
    public static bool Is(Dataset dataset) =>
        dataset.Name.StartsWith(Name + "-", StringComparison.Ordinal) && dataset.SampleShape.SequenceEqual([3L, 28L, 28L]) && dataset.ClassNames.Count == ModeCount;

    /// <summary>The mode of three digits: 100·d₀ + 10·d₁ + d₂.</summary>
    public static int Mode(int digit0, int digit1, int digit2) => 100 * digit0 + 10 * digit1 + digit2;

    /// <summary>Loads the train (25,600 images) or test (10,000) split, drawn with <paramref name="seed"/> (split 1 adds 1 to it, so the two differ).</summary>
    public static ImageDataset Load(DataSplit split, long seed = 0)
    {
        var mnist = MnistEmbedded.Load(split);
        int count = split == DataSplit.Train ? TrainCount : TestCount;
        var labels = mnist.Labels ?? throw new InvalidDataException($"{mnist.Name}: the embedded MNIST digits have no labels");
        const int plane = 28 * 28;
        if (!mnist.SampleShape.SequenceEqual([1L, 28L, 28L])) throw new InvalidDataException($"{mnist.Name}: expected 1×28×28 digits, got [{string.Join(", ", mnist.SampleShape)}]");
        var pixels = new byte[(long)count * 3 * plane];
        var modes = new long[count];
        ulong state = (ulong)seed * 2 + (ulong)split;
        for (int i = 0; i < count; i++)
        {
            long mode = 0;
            for (int channel = 0; channel < 3; channel++)
            {
                int digit = (int)(Next(ref state) % (ulong)mnist.Count);   // modulo bias below 2⁻⁴⁰ for 8,000 digits
                Array.Copy(mnist.Pixels, (long)digit * plane, pixels, ((long)i * 3 + channel) * plane, plane);
                mode = mode * 10 + labels[digit];
            }
            modes[i] = mode;
        }
        return new ImageDataset($"{Name}-{split.ToString().ToLowerInvariant()}", pixels, count, 3, 28, 28, modes, ClassNames);
    }

    /// <summary>How many of the 1,000 modes <paramref name="dataset"/>'s labels hold at least once.</summary>
    public static int DistinctModes(Dataset dataset) => dataset.Labels?.Distinct().Count() ?? 0;

    // SplitMix64 (Steele et al. 2014): a fixed generator, so a seed gives the same images on every platform and .NET version.
    static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
