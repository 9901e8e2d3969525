using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// A mixture of equally weighted isotropic 2D Gaussians, the standard mode-collapse benchmark
/// (Lin et al. 2018, PacGAN, https://arxiv.org/abs/1712.04086). A sample is high quality when its
/// distance to the nearest mean is below 3 std; a mode is captured when it gets at least one
/// high-quality sample.
/// </summary>
public sealed class Mixture2D
{
    /// <summary>8 Gaussians with means (cos 2πk/8, sin 2πk/8), k = 0..7, std 0.01.</summary>
    public static Mixture2D Ring8 { get; } = new("ring8",
        Enumerable.Range(0, 8).Select(k => (Math.Cos(2 * Math.PI * k / 8), Math.Sin(2 * Math.PI * k / 8))).ToArray(), 0.01);

    /// <summary>25 Gaussians with means on {-4, -2, 0, 2, 4}², x-major order, std 0.05.</summary>
    public static Mixture2D Grid25 { get; } = new("grid25",
        (from x in new[] { -4.0, -2, 0, 2, 4 } from y in new[] { -4.0, -2, 0, 2, 4 } select (x, y)).ToArray(), 0.05);

    readonly float[] meanValues;

    /// <summary>Creates a mixture with the given means and a common standard deviation.</summary>
    public Mixture2D(string name, (double X, double Y)[] means, double std)
    {
        if (means.Length == 0) throw new ArgumentException("A mixture needs at least one mean.", nameof(means));
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), $"The standard deviation must be positive, not {std}.");
        Name = name;
        Means = means;
        Std = std;
        meanValues = means.SelectMany(m => new[] { (float)m.X, (float)m.Y }).ToArray();
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>Name used by <see cref="DatasetRegistry"/>, for example "ring8".</summary>
    public string Name { get; }

    /// <summary>Mode means, in mode-index order.</summary>
    public IReadOnlyList<(double X, double Y)> Means { get; }

    /// <summary>Standard deviation of every component.</summary>
    public double Std { get; }

    /// <summary>Number of modes K.</summary>
    public int ModeCount => Means.Count;

    /// <summary>Distance to the nearest mean below which a sample counts as high quality: 3 std.</summary>
    public double HighQualityRadius => 3 * Std;

    /// <summary>SHA-256 (hex) of the canonical definition: name, std and means printed round-trip ("R").</summary>
    public string Fingerprint { get; }

    /// <summary>Returns <see cref="Ring8"/> or <see cref="Grid25"/> by name, or null.</summary>
    public static Mixture2D? FromName(string name) => name.ToLowerInvariant() switch
    {
        "ring8" => Ring8,
        "grid25" => Grid25,
        _ => null,
    };

    /// <summary>Draws <paramref name="count"/> samples (count, 2) float32: a uniform mode, then Gaussian noise, both from <paramref name="generator"/>.</summary>
    public Tensor Sample(long count, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var means = MeansTensor();                                                 // (K, 2)
        var modes = randint(0, ModeCount, [count], dtype: ScalarType.Int64, generator: generator); // (N,)
        var noise = randn([count, 2], dtype: ScalarType.Float32, generator: generator);  // (N, 2)
        return (means.index_select(0, modes) + noise * Std).MoveToOuterDisposeScope();   // (N, 2)
    }

    /// <summary>A fixed training set of <paramref name="count"/> samples drawn with a generator seeded by <paramref name="seed"/>; labels are the drawn modes.</summary>
    public PointDataset TrainingSet(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        using var means = MeansTensor();
        var modes = randint(0, ModeCount, [count], dtype: ScalarType.Int64, generator: generator); // (N,)
        var noise = randn([count, 2], dtype: ScalarType.Float32, generator: generator);          // (N, 2)
        var points = means.index_select(0, modes) + noise * Std;                                  // (N, 2)
        var classNames = Enumerable.Range(0, ModeCount).Select(k => $"mode {k}").ToArray();
        return new PointDataset($"{Name}-{count}-seed{seed}", points.data<float>().ToArray(), 2, modes.data<long>().ToArray(), classNames, this);
    }

    /// <summary>Index of the nearest mean for each point: (B, 2) → (B,) int64.</summary>
    public Tensor NearestMode(Tensor points)
    {
        using var scope = NewDisposeScope();
        return SquaredDistances(points).argmin(1).MoveToOuterDisposeScope(); // (B,)
    }

    /// <summary>For each point, whether its distance to the nearest mean is below <see cref="HighQualityRadius"/>: (B, 2) → (B,) bool.</summary>
    public Tensor IsHighQuality(Tensor points)
    {
        using var scope = NewDisposeScope();
        var nearest = SquaredDistances(points).min(1).values;                            // (B,)
        return nearest.lt(HighQualityRadius * HighQualityRadius).MoveToOuterDisposeScope(); // (B,)
    }

    /// <summary>Counts samples per nearest mode, high-quality samples per mode, captured modes and the high-quality fraction.</summary>
    public MixtureCoverage Evaluate(Tensor points)
    {
        if (points.shape[0] == 0) throw new ArgumentException("Mode coverage needs at least one point.", nameof(points));
        using var scope = NewDisposeScope();
        var squared = SquaredDistances(points);                                          // (B, K)
        var (nearestDistance, nearestMode) = squared.min(1);                             // (B,), (B,)
        var highQuality = nearestDistance.lt(HighQualityRadius * HighQualityRadius);    // (B,)
        var all = nearestMode.bincount(null, ModeCount).data<long>().ToArray();
        var good = nearestMode.masked_select(highQuality).bincount(null, ModeCount).data<long>().ToArray();
        var total = points.shape[0];
        return new MixtureCoverage(all, good, good.Count(c => c > 0), good.Sum() / (double)total, total);
    }

    Tensor MeansTensor() => tensor(meanValues, [ModeCount, 2]);

    /// <summary>(B, 2) points → (B, K) squared distances to each mean, in float32 on the points' device.</summary>
    Tensor SquaredDistances(Tensor points)
    {
        if (points.dim() != 2 || points.shape[1] != 2)
            throw new ArgumentException($"Expected points of shape (B, 2), got ({string.Join(", ", points.shape)}).", nameof(points));
        var means = MeansTensor().to(points.device);                                      // (K, 2)
        var difference = points.to_type(ScalarType.Float32).unsqueeze(1) - means.unsqueeze(0); // (B, K, 2)
        return difference.square().sum(2);                                               // (B, K)
    }

    string ComputeFingerprint()
    {
        var text = new StringBuilder("GenAudit.Mixture2D/v1\n");
        text.Append(CultureInfo.InvariantCulture, $"name={Name}\nstd={Std:R}\n");
        foreach (var (x, y) in Means) text.Append(CultureInfo.InvariantCulture, $"mean={x:R},{y:R}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

/// <summary>Mode coverage of a set of 2D samples against a <see cref="Mixture2D"/>.</summary>
/// <param name="ModeCounts">Samples whose nearest mean is each mode (K).</param>
/// <param name="HighQualityCounts">High-quality samples per mode (K).</param>
/// <param name="ModesCaptured">Modes with at least one high-quality sample; higher is better, 0..K.</param>
/// <param name="HighQualityFraction">Fraction of samples within 3 std of their nearest mean; higher is better, 0..1.</param>
/// <param name="SampleCount">Number of samples evaluated.</param>
public sealed record MixtureCoverage(long[] ModeCounts, long[] HighQualityCounts, int ModesCaptured, double HighQualityFraction, long SampleCount);
