using GenAudit.Core;

namespace GenAudit.Stability;

/// <summary>What the logged dReal/dFake values are.</summary>
public enum DiscriminatorOutputKind
{
    /// <summary>Mean sigmoid probabilities in [0, 1] (non-saturating / minimax loss).</summary>
    Probabilities,

    /// <summary>Mean raw scores (hinge, WGAN): saturation is a large real-minus-fake gap.</summary>
    Scores,
}

/// <summary>Thresholds of the training-dynamics flags, with their defaults.</summary>
public sealed record TrainingDynamicsOptions
{
    /// <summary>Fraction of the entries at the end of the run that form the oscillation window. Default 0.2.</summary>
    public double OscillationWindowFraction { get; init; } = 0.2;

    /// <summary>A loss oscillates when std / mean |loss| over the window exceeds this. Default 0.5.</summary>
    public double OscillationThreshold { get; init; } = 0.5;

    /// <summary>A gradient norm spikes when it exceeds this multiple of the running median of the preceding norms. Default 10.</summary>
    public double GradientSpikeFactor { get; init; } = 10;

    /// <summary>Preceding entries the running median looks at. Default 50.</summary>
    public int RunningMedianWindow { get; init; } = 50;

    /// <summary>Entries needed before spikes, growth or oscillation are judged. Default 5.</summary>
    public int MinimumEntries { get; init; } = 5;

    /// <summary>What dReal/dFake hold: probabilities (ns) or raw scores (hinge, WGAN). Default probabilities.</summary>
    public DiscriminatorOutputKind DiscriminatorOutput { get; init; } = DiscriminatorOutputKind.Probabilities;

    /// <summary>Probabilities: saturated when dReal ≥ this and dFake ≤ 1 − this. Default 0.99.</summary>
    public double SaturationProbability { get; init; } = 0.99;

    /// <summary>Scores: saturated when dReal − dFake ≥ this. Default 10.</summary>
    public double SaturationScoreGap { get; init; } = 10;

    /// <summary>Consecutive entries the saturation condition must hold for. Default 5.</summary>
    public int SaturationPatience { get; init; } = 5;

    /// <summary>A loss diverges when |loss| exceeds this multiple of its early median |loss|. Default 10.</summary>
    public double DivergenceFactor { get; init; } = 10;

    /// <summary>Fraction of the entries at the start of the run that define the early median. Default 0.1.</summary>
    public double EarlyFraction { get; init; } = 0.1;
}

/// <summary>One training-dynamics flag.</summary>
/// <param name="Kind"><c>oscillation</c>, <c>gradientSpike</c>, <c>saturation</c> or <c>divergence</c>.</param>
/// <param name="Step">Step where it happened (for oscillation the first step of the window).</param>
/// <param name="Series">The logged field concerned, e.g. <c>lossD</c> or <c>gradNormG</c>.</param>
/// <param name="Message">The evidence in words.</param>
public sealed record DynamicsFlag(string Kind, long Step, string Series, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind}@{Step} {Series}: {Message}";
}

/// <summary>Training diagnostics from a history: oscillation, gradient-norm spikes, discriminator saturation, divergence.</summary>
public static class TrainingDynamics
{
    /// <summary>
    /// Flags, in step order. Oscillation: std / mean |x| of each loss over the last window. Spikes: a
    /// gradient norm above factor × the median of the preceding window (each spike flagged). Saturation:
    /// the first step where the condition has held for the patience. Divergence: the first non-finite
    /// value of each series, and the first step where |loss| exceeds factor × its early median.
    /// </summary>
    public static IReadOnlyList<DynamicsFlag> Analyse(IReadOnlyList<TrainingLogEntry> history, TrainingDynamicsOptions? options = null)
    {
        options ??= new TrainingDynamicsOptions();
        var entries = history.OrderBy(e => e.Step).ToArray();
        var flags = new List<DynamicsFlag>();
        var lossNames = entries.SelectMany(e => e.Losses.Keys).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToArray();

        foreach (var name in lossNames)
        {
            var series = entries.Where(e => e.Losses.ContainsKey(name)).Select(e => (e.Step, Value: e.Losses[name])).ToArray();
            NonFinite(series, name, flags);
            Growth(series, name, options, flags);
            Oscillation(series, name, options, flags);
        }
        foreach (var (name, select) in new (string, Func<TrainingLogEntry, double?>)[] { ("gradNormG", e => e.GradNormG), ("gradNormD", e => e.GradNormD) })
        {
            var series = entries.Where(e => select(e) is not null).Select(e => (e.Step, Value: select(e)!.Value)).ToArray();
            NonFinite(series, name, flags);
            Spikes(series, name, options, flags);
        }
        Saturation(entries, options, flags);
        return flags.OrderBy(f => f.Step).ThenBy(f => f.Kind, StringComparer.Ordinal).ToArray();
    }

    static void NonFinite((long Step, double Value)[] series, string name, List<DynamicsFlag> flags)
    {
        foreach (var (step, value) in series)
            if (!double.IsFinite(value))
            {
                flags.Add(new DynamicsFlag("divergence", step, name, $"{name} is {value}"));
                return;
            }
    }

    static void Growth((long Step, double Value)[] series, string name, TrainingDynamicsOptions options, List<DynamicsFlag> flags)
    {
        var earlyCount = Math.Max(options.MinimumEntries, (int)Math.Ceiling(options.EarlyFraction * series.Length));
        if (series.Length <= earlyCount) return;
        var early = series.Take(earlyCount).Select(p => Math.Abs(p.Value)).Where(double.IsFinite).ToArray();
        if (early.Length == 0) return;
        var baseline = Numerics.Median(early);
        var limit = options.DivergenceFactor * Math.Max(baseline, 1e-12);
        foreach (var (step, value) in series.Skip(earlyCount))
            if (double.IsFinite(value) && Math.Abs(value) > limit)
            {
                flags.Add(new DynamicsFlag("divergence", step, name, $"|{name}| = {Math.Abs(value):G4} exceeds {options.DivergenceFactor:G4} × its early median {baseline:G4}"));
                return;
            }
    }

    static void Oscillation((long Step, double Value)[] series, string name, TrainingDynamicsOptions options, List<DynamicsFlag> flags)
    {
        var windowLength = (int)Math.Ceiling(options.OscillationWindowFraction * series.Length);
        if (windowLength < options.MinimumEntries) return;
        var window = series.Skip(series.Length - windowLength).ToArray();
        var values = window.Select(p => p.Value).Where(double.IsFinite).ToArray();
        if (values.Length < options.MinimumEntries) return;
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        var scale = values.Average(Math.Abs);
        var ratio = scale > 0 ? std / scale : 0;
        if (ratio > options.OscillationThreshold)
            flags.Add(new DynamicsFlag("oscillation", window[0].Step, name,
                $"std / mean |{name}| = {ratio:G4} over the last {windowLength} entries (threshold {options.OscillationThreshold:G4})"));
    }

    static void Spikes((long Step, double Value)[] series, string name, TrainingDynamicsOptions options, List<DynamicsFlag> flags)
    {
        for (var i = options.MinimumEntries; i < series.Length; i++)
        {
            if (!double.IsFinite(series[i].Value)) continue;
            var preceding = series.Skip(Math.Max(0, i - options.RunningMedianWindow)).Take(i - Math.Max(0, i - options.RunningMedianWindow))
                .Select(p => p.Value).Where(double.IsFinite).ToArray();
            if (preceding.Length < options.MinimumEntries) continue;
            var median = Numerics.Median(preceding);
            if (median > 0 && series[i].Value > options.GradientSpikeFactor * median)
                flags.Add(new DynamicsFlag("gradientSpike", series[i].Step, name,
                    $"{name} = {series[i].Value:G4} is {series[i].Value / median:G3} × the running median {median:G4}"));
        }
    }

    static void Saturation(TrainingLogEntry[] entries, TrainingDynamicsOptions options, List<DynamicsFlag> flags)
    {
        var run = 0;
        foreach (var entry in entries)
        {
            if (entry.DRealMean is not { } real || entry.DFakeMean is not { } fake) continue;
            var saturated = options.DiscriminatorOutput == DiscriminatorOutputKind.Probabilities
                ? real >= options.SaturationProbability && fake <= 1 - options.SaturationProbability
                : real - fake >= options.SaturationScoreGap;
            run = saturated ? run + 1 : 0;
            if (run == options.SaturationPatience)
            {
                var rule = options.DiscriminatorOutput == DiscriminatorOutputKind.Probabilities
                    ? $"D(real) ≥ {options.SaturationProbability:G4} and D(fake) ≤ {1 - options.SaturationProbability:G4}"
                    : $"D(real) − D(fake) ≥ {options.SaturationScoreGap:G4}";
                flags.Add(new DynamicsFlag("saturation", entry.Step, "dReal/dFake",
                    $"{rule} for {options.SaturationPatience} consecutive entries (D(real) = {real:G4}, D(fake) = {fake:G4})"));
                return;
            }
        }
    }
}
