namespace GenAudit.Stability;

/// <summary>Distribution of one metric over runs trained with different seeds.</summary>
/// <param name="Mean">Mean over runs.</param>
/// <param name="Std">Sample standard deviation (n − 1); null with fewer than two runs.</param>
/// <param name="CoefficientOfVariation">Std / |mean| (lower is more reproducible); null without a std or when the mean is 0.</param>
/// <param name="Count">Number of runs.</param>
public sealed record SeedStatistics(double Mean, double? Std, double? CoefficientOfVariation, int Count);

/// <summary>Seed variance (Lucic et al. 2018): report the distribution over seeds, not the best run.</summary>
public static class SeedVariance
{
    /// <summary>Mean, sample std and coefficient of variation of one value per run.</summary>
    public static SeedStatistics Compute(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("Seed variance needs at least one run.", nameof(values));
        var mean = values.Average();
        if (values.Count < 2) return new SeedStatistics(mean, null, null, values.Count);
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new SeedStatistics(mean, std, mean == 0 ? null : std / Math.Abs(mean), values.Count);
    }

    /// <summary>
    /// Statistics for every numeric key that all runs report (e.g. flat <see cref="StabilityReport"/>
    /// dictionaries, or FID values keyed by name); keys starting with <c>seeds.</c> are skipped.
    /// </summary>
    public static IReadOnlyDictionary<string, SeedStatistics> Across(IReadOnlyList<IReadOnlyDictionary<string, object?>> runs)
    {
        var result = new SortedDictionary<string, SeedStatistics>(StringComparer.Ordinal);
        if (runs.Count == 0) return result;
        foreach (var key in runs[0].Keys.Where(k => !k.StartsWith("seeds.", StringComparison.Ordinal)))
        {
            var values = runs.Select(r => r.TryGetValue(key, out var v) ? AsDouble(v) : null).ToArray();
            if (values.All(v => v is not null)) result[key] = Compute(values.Select(v => v!.Value).ToArray());
        }
        return result;
    }

    static double? AsDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        _ => null,
    };
}
