using System.Text.RegularExpressions;

namespace GenAudit.Audit;

/// <summary>One anchored section of docs/metrics.md: its anchor, heading and body rendered as HTML.</summary>
public sealed record GlossarySection(string Anchor, string Title, string Html);

/// <summary>
/// The sections of docs/metrics.md, embedded in the library at build time and split at its
/// <c>&lt;a id="…"&gt;&lt;/a&gt;</c> anchors (the ones <see cref="MetricInfo.Anchor"/> names), so that a
/// report carries the definitions it uses and the docs and the report cannot drift apart.
/// </summary>
public static partial class MetricGlossary
{
    /// <summary>Name of the embedded copy of docs/metrics.md.</summary>
    public const string ResourceName = "GenAudit.Audit.metrics.md";

    /// <summary>Prefix of a glossary section's element id in a report: "def-fid".</summary>
    public const string IdPrefix = "def-";

    static readonly Lazy<IReadOnlyDictionary<string, GlossarySection>> Parsed = new(() =>
    {
        using var stream = typeof(MetricGlossary).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(MetricGlossary).Assembly.GetName().Name}; src/GenAudit/GenAudit.csproj must embed docs/metrics.md");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    });

    /// <summary>Every anchored section, by anchor.</summary>
    public static IReadOnlyDictionary<string, GlossarySection> Sections => Parsed.Value;

    /// <summary>
    /// Splits Markdown at its anchors. A section runs from its anchor's heading to the next anchor or
    /// the next heading of the same or a higher level; its links to other anchored sections become
    /// in-page links, other links plain text.
    /// </summary>
    public static IReadOnlyDictionary<string, GlossarySection> Parse(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        var anchors = new List<(string Anchor, int Line)>();
        for (var i = 0; i < lines.Length; i++)
            if (AnchorPattern().Match(lines[i]) is { Success: true } m) anchors.Add((m.Groups[1].Value, i));
        var known = anchors.Select(a => a.Anchor).ToHashSet(StringComparer.Ordinal);
        string? InPage(string target)
        {
            var hash = target.IndexOf('#');
            var anchor = hash >= 0 ? target[(hash + 1)..] : "";
            var file = hash >= 0 ? target[..hash] : target;
            return file is "" or "metrics.md" && known.Contains(anchor) ? "#" + IdPrefix + anchor : null;
        }

        var sections = new Dictionary<string, GlossarySection>(StringComparer.Ordinal);
        foreach (var (anchor, line) in anchors)
        {
            var start = line + 1;
            while (start < lines.Length && lines[start].Trim().Length == 0) start++;
            if (start == lines.Length || HeadingLevel(lines[start]) is not { } level)
                throw new InvalidDataException($"{ResourceName}: anchor '{anchor}' (line {line + 1}) is not followed by a heading; put the <a id> line right above the section's heading");
            var end = start + 1;
            while (end < lines.Length && !AnchorPattern().IsMatch(lines[end]) && !(HeadingLevel(lines[end]) is { } other && other <= level)) end++;
            if (!sections.TryAdd(anchor, new GlossarySection(anchor, lines[start][(level + 1)..].Trim(),
                    MarkdownHtml.Render(lines[(start + 1)..end], 3 - level, InPage))))
                throw new InvalidDataException($"{ResourceName}: anchor '{anchor}' appears twice (line {line + 1})");
        }
        return sections;
    }

    static int? HeadingLevel(string line)
    {
        var level = 0;
        while (level < line.Length && line[level] == '#') level++;
        return level is > 0 and <= 6 && level < line.Length && line[level] == ' ' ? level : null;
    }

    [GeneratedRegex("^<a id=\"([^\"]+)\"></a>\\s*$")]
    private static partial Regex AnchorPattern();
}
