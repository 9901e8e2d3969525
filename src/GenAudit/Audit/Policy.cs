using System.Globalization;
using System.Text.Json;
using GenAudit.Metrics;

namespace GenAudit.Audit;

/// <summary>
/// A bound on one reported key: the value must be at least <see cref="Min"/> and at most <see cref="Max"/>,
/// and value / real value at least <see cref="MinRatio"/> and at most <see cref="MaxRatio"/> (any may be absent).
/// </summary>
/// <param name="Key">A key as reported, e.g. "local.0.03.ssim"; it must match a <see cref="MetricCatalog"/> entry.</param>
/// <param name="Min">Lower bound (inclusive), or null.</param>
/// <param name="Max">Upper bound (inclusive), or null.</param>
/// <param name="MinRatio">Lower bound on value / real value (inclusive), or null; only keys with <see cref="RealRowUse.Ratio"/>.</param>
/// <param name="MaxRatio">Upper bound on value / real value (inclusive), or null; only keys with <see cref="RealRowUse.Ratio"/>.</param>
public sealed record Threshold(string Key, double? Min, double? Max, double? MinRatio = null, double? MaxRatio = null)
{
    /// <summary>True when a bound is relative to the real row.</summary>
    public bool IsRelative => MinRatio is not null || MaxRatio is not null;

    /// <summary>"≥ 0.5", "≤ 30", "in [0.5, 0.9]", "≤ 3× real", "≥ 0.5 and ≥ 0.9× real".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        parts.Add((Min, Max) switch
        {
            ({ } lo, { } hi) => $"in [{Format(lo)}, {Format(hi)}]",
            ({ } lo, null) => $"≥ {Format(lo)}",
            (null, { } hi) => $"≤ {Format(hi)}",
            _ => "",
        });
        parts.Add((MinRatio, MaxRatio) switch
        {
            ({ } lo, { } hi) => $"in [{Format(lo)}, {Format(hi)}]× real",
            ({ } lo, null) => $"≥ {Format(lo)}× real",
            (null, { } hi) => $"≤ {Format(hi)}× real",
            _ => "",
        });
        var text = string.Join(" and ", parts.Where(p => p.Length > 0));
        return text.Length > 0 ? text : "any";
    }

    internal static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>The outcome of one threshold on one run.</summary>
public enum VerdictStatus
{
    /// <summary>Measured and within the bounds.</summary>
    Pass,
    /// <summary>Measured and outside the bounds, or measured as NaN.</summary>
    Fail,
    /// <summary>This kind of run cannot produce the key (modes.* on MNIST, classes.* on ring8, a ratio without a held-out split); counts as passing, with the reason.</summary>
    NotApplicable,
    /// <summary>The run could produce the key but did not: the audit exits 2 naming it.</summary>
    NotMeasured,
    /// <summary>The stage that produces the key threw: the audit exits 3.</summary>
    StageFailed,
}

/// <summary>
/// One threshold's verdict: the value, its real-row value and bootstrap interval, and the margin by
/// which it clears (positive) or misses (negative) the nearer effective bound.
/// </summary>
public sealed record Verdict(Threshold Threshold, double? Value, VerdictStatus Status, double? Margin)
{
    /// <summary>The key's value on held-out real data (the real row), when it has one.</summary>
    public double? RealValue { get; init; }

    /// <summary>The bootstrap 95% interval of the value, when it has one (docs/audit.md#intervals).</summary>
    public ConfidenceInterval? Interval { get; init; }

    /// <summary>True when the interval straddles an effective bound: the sample cannot tell which side the generator is on.</summary>
    public bool Uncertain { get; init; }

    /// <summary>Why the verdict is not applicable, not measured or failed in its stage; or why part of a threshold did not apply.</summary>
    public string? Reason { get; init; }

    /// <summary>True when the threshold did not fail (not-applicable passes; an uncertain pass passes).</summary>
    public bool Passed => Status is VerdictStatus.Pass or VerdictStatus.NotApplicable;

    /// <summary>Like <see cref="Passed"/>, but under <c>--strict</c> an uncertain verdict counts as failed.</summary>
    public bool PassedUnder(bool strict) => Passed && !(strict && Uncertain);

    /// <summary>"pass", "pass (uncertain)", "FAIL", "FAIL (uncertain)", "not applicable", "not measured", "stage failed".</summary>
    public string StatusText => Status switch
    {
        VerdictStatus.Pass => Uncertain ? "pass (uncertain)" : "pass",
        VerdictStatus.Fail => Uncertain ? "FAIL (uncertain)" : "FAIL",
        VerdictStatus.NotApplicable => "not applicable",
        VerdictStatus.NotMeasured => "not measured",
        _ => "stage failed",
    };
}

/// <summary>What a policy is judged against: the run's values, the real row, the intervals, and why keys are missing.</summary>
public sealed record Measurements
{
    /// <summary>Every finite or NaN numeric key reported.</summary>
    public required IReadOnlyDictionary<string, double> Values { get; init; }

    /// <summary>Real-row value by key; empty when the run has no real row.</summary>
    public IReadOnlyDictionary<string, double> Real { get; init; } = new Dictionary<string, double>();

    /// <summary>Why the run has no real row (no held-out split); null when it has one.</summary>
    public string? NoRealRowReason { get; init; }

    /// <summary>Bootstrap intervals by key.</summary>
    public IReadOnlyDictionary<string, ConfidenceInterval> Intervals { get; init; } = new Dictionary<string, ConfidenceInterval>();

    /// <summary>
    /// Decides a missing key: returns (status, reason) with status <see cref="VerdictStatus.NotApplicable"/>,
    /// <see cref="VerdictStatus.NotMeasured"/> or <see cref="VerdictStatus.StageFailed"/>. Default: not applicable.
    /// </summary>
    public Func<string, (VerdictStatus Status, string Reason)> Missing { get; init; } = _ => (VerdictStatus.NotApplicable, "not reported by this run");
}

/// <summary>A policy file or text that does not follow the schema; <see cref="Key"/> names the offending key when there is one.</summary>
public sealed class PolicyException(string message, string? key) : ArgumentException(message)
{
    /// <summary>The offending key, or null for a file-level problem.</summary>
    public string? Key { get; } = key;
}

/// <summary>
/// Thresholds on reported keys. Schema (docs/audit.md#policy): a JSON object whose property names
/// are reported keys known to <see cref="MetricCatalog"/> and whose values are objects with optional
/// finite numbers "min", "max" (absolute bounds, min ≤ max) and positive "minRatio", "maxRatio" (bounds on
/// value / real-row value, minRatio ≤ maxRatio, only for keys with a real value); at least one; nothing else.
/// </summary>
public sealed class Policy
{
    Policy(IReadOnlyList<Threshold> thresholds, string source)
    {
        Thresholds = thresholds;
        Source = source;
    }

    /// <summary>The thresholds in file order.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; }

    /// <summary>Where the policy came from: a file path or "default".</summary>
    public string Source { get; }

    /// <summary>
    /// The shipped policy (reasoning and calibration in docs/audit.md#default-policy): scale-free keys
    /// only, so one policy serves 2D mixtures and images. Keys a run does not measure are not applicable.
    /// </summary>
    public const string DefaultJson = """
        {
          "repeat": { "min": 1 },
          "determinism.kernels": { "min": 1 },
          "determinism.seed.maxAbsDiff": { "max": 0 },
          "copies.fraction": { "max": 0.05 },
          "copies.ct": { "min": -3 },
          "authenticity": { "min": 0.25 },
          "precision": { "min": 0.5, "minRatio": 0.85 },
          "coverage": { "min": 0.5, "minRatio": 0.6 },
          "classes.covered": { "min": 9 },
          "classes.kl": { "max": 0.2 },
          "modes.captured": { "min": 7 },
          "modes.highQuality": { "min": 0.5 },
          "local.0.03.normalizedL2": { "min": 0.8 },
          "explainability.margin": { "min": 0.1 }
        }
        """;

    /// <summary>The shipped policy, parsed.</summary>
    public static Policy Default { get; } = Parse(DefaultJson, "default");

    /// <summary>Reads and validates the policy at <paramref name="path"/>.</summary>
    public static Policy Load(string path)
    {
        if (!File.Exists(path)) throw new PolicyException($"{path}: policy file not found", null);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Validates <paramref name="json"/> against the schema; <paramref name="source"/> prefixes every error.</summary>
    public static Policy Parse(string json, string source)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new PolicyException($"{source}: not valid JSON ({e.Message})", null); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new PolicyException($"{source}: a policy is a JSON object of key → {{\"min\": number, \"max\": number}}", null);
            var thresholds = new List<Threshold>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var key = property.Name;
                string Error(string what) => $"{source}: key '{key}': {what}";
                if (MetricCatalog.Find(key) is null)
                    throw new PolicyException(Error("not a reported key; see docs/metrics.md for the keys (patterns such as local.<eps>.ssim)"), key);
                if (thresholds.Any(t => t.Key == key)) throw new PolicyException(Error("appears twice"), key);
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new PolicyException(Error($"expected an object {{\"min\": number, \"max\": number}}, got {Kind(property.Value)}"), key);
                double? min = null, max = null, minRatio = null, maxRatio = null;
                foreach (var bound in property.Value.EnumerateObject())
                {
                    if (bound.Name is not ("min" or "max" or "minRatio" or "maxRatio"))
                        throw new PolicyException(Error($"unknown field '{bound.Name}'; only \"min\", \"max\", \"minRatio\" and \"maxRatio\" are allowed"), key);
                    if (bound.Value.ValueKind != JsonValueKind.Number || !bound.Value.TryGetDouble(out var number) || !double.IsFinite(number))
                        throw new PolicyException(Error($"\"{bound.Name}\" must be a finite number, got {Kind(bound.Value)}"), key);
                    if (bound.Name.EndsWith("Ratio", StringComparison.Ordinal) && !(number > 0))
                        throw new PolicyException(Error($"\"{bound.Name}\" must be positive (it multiplies the real value), got {Threshold.Format(number)}"), key);
                    switch (bound.Name)
                    {
                        case "min": min = number; break;
                        case "max": max = number; break;
                        case "minRatio": minRatio = number; break;
                        default: maxRatio = number; break;
                    }
                }
                if (min is null && max is null && minRatio is null && maxRatio is null)
                    throw new PolicyException(Error("give \"min\", \"max\", \"minRatio\" or \"maxRatio\""), key);
                if (min > max) throw new PolicyException(Error($"min {Threshold.Format(min!.Value)} is greater than max {Threshold.Format(max!.Value)}"), key);
                if (minRatio > maxRatio) throw new PolicyException(Error($"minRatio {Threshold.Format(minRatio!.Value)} is greater than maxRatio {Threshold.Format(maxRatio!.Value)}"), key);
                if ((minRatio is not null || maxRatio is not null) && MetricCatalog.Find(key)!.Real != RealRowUse.Ratio)
                    throw new PolicyException(Error(MetricCatalog.Find(key)!.Real == RealRowUse.Reported
                        ? "its real-row value sits at or near 0 by design, so a ratio to it is undefined; use \"min\"/\"max\""
                        : "has no real-row value to take a ratio of (docs/audit.md#real-row lists the keys that have one); use \"min\"/\"max\""), key);
                thresholds.Add(new Threshold(key, min, max, minRatio, maxRatio));
            }
            if (thresholds.Count == 0) throw new PolicyException($"{source}: the policy has no thresholds", null);
            return new Policy(thresholds, source);
        }
    }

    /// <summary>Judges <paramref name="values"/> alone: missing keys are not applicable, relative bounds have no real row.</summary>
    public IReadOnlyList<Verdict> Evaluate(IReadOnlyDictionary<string, double> values) =>
        Evaluate(new Measurements { Values = values, NoRealRowReason = "no real row was given" });

    /// <summary>
    /// Judges every threshold: effective bounds are the absolute bounds intersected with ratio × real value;
    /// the margin is the distance to the nearer effective bound; the verdict is uncertain when the value's
    /// interval straddles an effective bound. A relative bound without a real value does not apply (with the reason).
    /// </summary>
    public IReadOnlyList<Verdict> Evaluate(Measurements measurements)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        return Thresholds.Select(t => Judge(t, measurements)).ToList();
    }

    static Verdict Judge(Threshold t, Measurements m)
    {
        double? real = m.Real.TryGetValue(t.Key, out var r) ? r : null;
        if (!m.Values.TryGetValue(t.Key, out var value))
        {
            var (status, why) = m.Missing(t.Key);
            return new Verdict(t, null, status, null) { RealValue = real, Reason = why };
        }
        var interval = m.Intervals.TryGetValue(t.Key, out var found) ? found : null;
        string? reason = null;
        double? lo = t.Min, hi = t.Max;
        if (t.IsRelative)
        {
            if (real is not { } baseline || !double.IsFinite(baseline))
            {
                reason = "relative bound not applicable: " + (m.NoRealRowReason ?? "the real row has no value for this key");
                if (t.Min is null && t.Max is null) return new Verdict(t, value, VerdictStatus.NotApplicable, null) { Interval = interval, Reason = reason };
            }
            else
            {
                if (t.MinRatio is { } a) lo = lo is { } l ? Math.Max(l, a * baseline) : a * baseline;
                if (t.MaxRatio is { } b) hi = hi is { } h ? Math.Min(h, b * baseline) : b * baseline;
            }
        }
        if (double.IsNaN(value)) return new Verdict(t, value, VerdictStatus.Fail, null) { RealValue = real, Interval = interval, Reason = reason ?? "the value is NaN" };
        var margin = Math.Min(lo is { } low ? value - low : double.PositiveInfinity, hi is { } high ? high - value : double.PositiveInfinity);
        var uncertain = interval is not null && ((lo is { } l2 && interval.Straddles(l2)) || (hi is { } h2 && interval.Straddles(h2)));
        return new Verdict(t, value, margin >= 0 ? VerdictStatus.Pass : VerdictStatus.Fail, margin)
        {
            RealValue = real, Interval = interval, Uncertain = uncertain, Reason = reason,
        };
    }

    /// <summary>The policy as indented JSON (the form of docs/default-policy.json).</summary>
    public string ToJson()
    {
        var map = new Dictionary<string, Dictionary<string, double>>();
        foreach (var t in Thresholds)
        {
            var bounds = new Dictionary<string, double>();
            if (t.Min is { } lo) bounds["min"] = lo;
            if (t.Max is { } hi) bounds["max"] = hi;
            if (t.MinRatio is { } loRatio) bounds["minRatio"] = loRatio;
            if (t.MaxRatio is { } hiRatio) bounds["maxRatio"] = hiRatio;
            map[t.Key] = bounds;
        }
        return JsonSerializer.Serialize(map, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
