using System.Globalization;
using System.Text.Json;

namespace GenAudit.Audit;

/// <summary>A bound on one reported key: the value must be at least <see cref="Min"/> and at most <see cref="Max"/> (either may be absent).</summary>
/// <param name="Key">A key as reported, e.g. "local.0.03.ssim"; it must match a <see cref="MetricCatalog"/> entry.</param>
/// <param name="Min">Lower bound (inclusive), or null.</param>
/// <param name="Max">Upper bound (inclusive), or null.</param>
public sealed record Threshold(string Key, double? Min, double? Max)
{
    /// <summary>"≥ 0.5", "≤ 30" or "in [0.5, 0.9]".</summary>
    public string Describe() => (Min, Max) switch
    {
        ({ } lo, { } hi) => $"in [{Format(lo)}, {Format(hi)}]",
        ({ } lo, null) => $"≥ {Format(lo)}",
        (null, { } hi) => $"≤ {Format(hi)}",
        _ => "any",
    };

    internal static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>The outcome of one threshold on one run.</summary>
public enum VerdictStatus
{
    /// <summary>Measured and within the bounds.</summary>
    Pass,
    /// <summary>Measured and outside the bounds, or measured as NaN.</summary>
    Fail,
    /// <summary>The key is not measured for this kind of run (modes.* on MNIST, classes.* on ring8); counts as passing.</summary>
    NotApplicable,
}

/// <summary>One threshold's verdict: the value, and the margin by which it clears (positive) or misses (negative) the nearer bound.</summary>
public sealed record Verdict(Threshold Threshold, double? Value, VerdictStatus Status, double? Margin)
{
    /// <summary>True unless the threshold failed.</summary>
    public bool Passed => Status != VerdictStatus.Fail;
}

/// <summary>A policy file or text that does not follow the schema; <see cref="Key"/> names the offending key when there is one.</summary>
public sealed class PolicyException(string message, string? key) : ArgumentException(message)
{
    /// <summary>The offending key, or null for a file-level problem.</summary>
    public string? Key { get; } = key;
}

/// <summary>
/// Thresholds on reported keys. Schema (docs/audit.md#policy): a JSON object whose property names
/// are reported keys known to <see cref="MetricCatalog"/> and whose values are objects with an
/// optional number "min" and an optional number "max" (at least one; min ≤ max); nothing else.
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
          "precision": { "min": 0.5 },
          "coverage": { "min": 0.5 },
          "classes.covered": { "min": 9 },
          "classes.kl": { "max": 0.2 },
          "modes.captured": { "min": 7 },
          "modes.highQuality": { "min": 0.5 },
          "local.0.03.normalizedL2": { "min": 0.8 },
          "explainability": { "min": 0.3 }
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
                double? min = null, max = null;
                foreach (var bound in property.Value.EnumerateObject())
                {
                    if (bound.Name is not ("min" or "max"))
                        throw new PolicyException(Error($"unknown field '{bound.Name}'; only \"min\" and \"max\" are allowed"), key);
                    if (bound.Value.ValueKind != JsonValueKind.Number || !bound.Value.TryGetDouble(out var number) || !double.IsFinite(number))
                        throw new PolicyException(Error($"\"{bound.Name}\" must be a finite number, got {Kind(bound.Value)}"), key);
                    if (bound.Name == "min") min = number; else max = number;
                }
                if (min is null && max is null) throw new PolicyException(Error("give \"min\", \"max\" or both"), key);
                if (min > max) throw new PolicyException(Error($"min {Threshold.Format(min!.Value)} is greater than max {Threshold.Format(max!.Value)}"), key);
                thresholds.Add(new Threshold(key, min, max));
            }
            if (thresholds.Count == 0) throw new PolicyException($"{source}: the policy has no thresholds", null);
            return new Policy(thresholds, source);
        }
    }

    /// <summary>Judges <paramref name="values"/> (the audit's numeric keys) against every threshold.</summary>
    public IReadOnlyList<Verdict> Evaluate(IReadOnlyDictionary<string, double> values) =>
        Thresholds.Select(t =>
        {
            if (!values.TryGetValue(t.Key, out var value)) return new Verdict(t, null, VerdictStatus.NotApplicable, null);
            if (double.IsNaN(value)) return new Verdict(t, value, VerdictStatus.Fail, null);
            var margin = Math.Min(t.Min is { } lo ? value - lo : double.PositiveInfinity, t.Max is { } hi ? hi - value : double.PositiveInfinity);
            return new Verdict(t, value, margin >= 0 ? VerdictStatus.Pass : VerdictStatus.Fail, margin);
        }).ToList();

    /// <summary>The policy as indented JSON (the form of docs/default-policy.json).</summary>
    public string ToJson()
    {
        var map = new Dictionary<string, Dictionary<string, double>>();
        foreach (var t in Thresholds)
        {
            var bounds = new Dictionary<string, double>();
            if (t.Min is { } lo) bounds["min"] = lo;
            if (t.Max is { } hi) bounds["max"] = hi;
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
