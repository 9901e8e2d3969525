using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GenAudit.Stability;

/// <summary>
/// Reads a run's history.jsonl: one JSON object per line with <c>step</c> (required) and any of
/// <c>lossD</c>, <c>lossG</c>, <c>gradNormG</c>, <c>gradNormD</c>, <c>dReal</c>, <c>dFake</c>,
/// <c>lrG</c>, <c>lrD</c>. Other numeric fields whose name starts with <c>loss</c> join the losses;
/// all other fields (including non-numeric <c>loss…</c> fields such as a loss name) are ignored. Non-finite values may be written as the strings "NaN", "Infinity" and
/// "-Infinity" (System.Text.Json's named literals) or as bare NaN/Infinity tokens (Python's json).
/// </summary>
public static partial class HistoryReader
{
    /// <summary>Parses every non-blank line of <paramref name="path"/>; throws <see cref="FormatException"/> naming the file, line and field.</summary>
    public static IReadOnlyList<TrainingLogEntry> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such training history; a training run writes history.jsonl into its run folder.", path);
        var entries = new List<TrainingLogEntry>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            entries.Add(ParseLine(line, $"{path}:{lineNumber}"));
        }
        return entries;
    }

    /// <summary>Parses one line; <paramref name="location"/> prefixes error messages.</summary>
    public static TrainingLogEntry ParseLine(string line, string location)
    {
        using var document = Parse(line, location);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{location}: expected one JSON object per line, found a {root.ValueKind}.");

        long? step = null;
        var losses = new Dictionary<string, double>();
        double? gradNormG = null, gradNormD = null, dReal = null, dFake = null, lrG = null, lrD = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "step":
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var s))
                        throw new FormatException($"{location}: field 'step' must be an integer, found {property.Value.GetRawText()}.");
                    step = s;
                    break;
                case "gradNormG": gradNormG = Number(property, location); break;
                case "gradNormD": gradNormD = Number(property, location); break;
                case "dReal": dReal = Number(property, location); break;
                case "dFake": dFake = Number(property, location); break;
                case "lrG": lrG = Number(property, location); break;
                case "lrD": lrD = Number(property, location); break;
                case "lossD" or "lossG":
                    if (Number(property, location) is { } named) losses[property.Name] = named;
                    break;
                default:
                    // Extra loss terms (lossGp, lossKl, …) join the losses when numeric; any other extra field is ignored.
                    if (property.Name.StartsWith("loss", StringComparison.Ordinal) && IsNumeric(property.Value))
                        losses[property.Name] = Number(property, location)!.Value;
                    break;
            }
        }
        if (step is null) throw new FormatException($"{location}: the required field 'step' is missing.");
        return new TrainingLogEntry(step.Value, losses, gradNormG, gradNormD, dReal, dFake, lrG, lrD);
    }

    static JsonDocument Parse(string line, string location)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException first)
        {
            var quoted = BareNonFinite().Replace(line, m => $"{m.Groups[1].Value}\"{m.Groups[2].Value}\"");
            if (quoted != line)
            {
                try { return JsonDocument.Parse(quoted); }
                catch (JsonException) { }
            }
            throw new FormatException($"{location}: not valid JSON ({first.Message}).", first);
        }
    }

    static bool IsNumeric(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number || value.ValueKind == JsonValueKind.String && value.GetString() is "NaN" or "Infinity" or "-Infinity";

    // A number field; null for JSON null; the named literals for non-finite values.
    static double? Number(JsonProperty property, string location) => property.Value.ValueKind switch
    {
        JsonValueKind.Number => property.Value.GetDouble(),
        JsonValueKind.Null => null,
        JsonValueKind.String when property.Value.GetString() is "NaN" or "Infinity" or "-Infinity" =>
            double.Parse(property.Value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{location}: field '{property.Name}' must be a number, \"NaN\", \"Infinity\" or \"-Infinity\", found {property.Value.GetRawText()}."),
    };

    [GeneratedRegex(@"([:\[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])")]
    private static partial Regex BareNonFinite();
}
