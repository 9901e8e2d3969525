using System.Text;
using System.Text.RegularExpressions;

namespace GenAudit.Audit;

/// <summary>
/// Renders the Markdown subset that docs/metrics.md uses (headings, paragraphs, pipe tables, fenced
/// code, bullet lists, `code`, **bold**, *emphasis*, links) as HTML for a self-contained report. A link becomes
/// a link when the caller knows its target, and plain text otherwise, so nothing in the
/// output points outside the page (or, for an index, outside the folder the caller names).
/// </summary>
static partial class MarkdownHtml
{
    /// <summary>HTML for <paramref name="lines"/>; headings are shifted down by <paramref name="headingOffset"/> levels.</summary>
    /// <param name="lines">The Markdown source, one line per entry.</param>
    /// <param name="headingOffset">Added to each heading's level (capped at h6).</param>
    /// <param name="link">Maps a link target ("file.md#anchor") to the href to use (an in-page "#id", or a file the caller writes beside the page), or null to render the link as text.</param>
    public static string Render(IReadOnlyList<string> lines, int headingOffset, Func<string, string?> link)
    {
        var html = new StringBuilder();
        var paragraph = new List<string>();
        void EndParagraph()
        {
            if (paragraph.Count == 0) return;
            html.Append("<p>").Append(Inline(string.Join(" ", paragraph), link)).Append("</p>\n");
            paragraph.Clear();
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                EndParagraph();
                html.Append("<pre>");
                for (i++; i < lines.Count && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                    html.Append(Escape(lines[i])).Append('\n');
                html.Append("</pre>\n");
            }
            else if (HeadingPattern().Match(line) is { Success: true } heading)
            {
                EndParagraph();
                var level = Math.Min(6, heading.Groups[1].Length + headingOffset);
                html.Append($"<h{level}>").Append(Inline(heading.Groups[2].Value, link)).Append($"</h{level}>\n");
            }
            else if (line.StartsWith('|'))
            {
                EndParagraph();
                var rows = new List<string>();
                for (; i < lines.Count && lines[i].StartsWith('|'); i++) rows.Add(lines[i]);
                i--;
                html.Append("<table>");
                for (var r = 0; r < rows.Count; r++)
                {
                    if (r == 1 && SeparatorPattern().IsMatch(rows[r])) continue;
                    var cell = r == 0 ? "th" : "td";
                    html.Append("<tr>").Append(string.Concat(Cells(rows[r]).Select(c => $"<{cell}>{Inline(c, link)}</{cell}>"))).Append("</tr>");
                }
                html.Append("</table>\n");
            }
            else if (ItemPattern().Match(line) is { Success: true } first)
            {
                EndParagraph();
                var tag = char.IsDigit(first.Groups[1].Value[0]) ? "ol" : "ul";
                html.Append($"<{tag}>");
                var item = new List<string> { first.Groups[2].Value };
                for (i++; i < lines.Count && lines[i].Trim().Length > 0; i++)
                {
                    if (ItemPattern().Match(lines[i]) is { Success: true } next)
                    {
                        html.Append("<li>").Append(Inline(string.Join(" ", item), link)).Append("</li>");
                        item = [next.Groups[2].Value];
                    }
                    else item.Add(lines[i].Trim());
                }
                i--;
                html.Append("<li>").Append(Inline(string.Join(" ", item), link)).Append($"</li></{tag}>\n");
            }
            else if (line.Trim().Length == 0) EndParagraph();
            else paragraph.Add(line.Trim());
        }
        EndParagraph();
        return html.ToString();
    }

    /// <summary>The cells of a table row: split on '|' outside code spans, with "\|" standing for a literal bar.</summary>
    static List<string> Cells(string row)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var code = false;
        var body = row.Trim();
        body = body.Substring(1, body.EndsWith('|') && body.Length > 1 ? body.Length - 2 : body.Length - 1);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\' && i + 1 < body.Length && body[i + 1] == '|') { cell.Append('|'); i++; }
            else if (c == '`') { code = !code; cell.Append(c); }
            else if (c == '|' && !code) { cells.Add(cell.ToString().Trim()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString().Trim());
        return cells;
    }

    /// <summary>Escapes the characters HTML reserves and leaves the rest (², ½, Greek) as they are.</summary>
    static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    static string Unescape(string text) => text.Replace("&quot;", "\"").Replace("&gt;", ">").Replace("&lt;", "<").Replace("&amp;", "&");

    /// <summary>Escapes <paramref name="text"/> and renders `code`, **bold** and [text](target) in it.</summary>
    static string Inline(string text, Func<string, string?> link)
    {
        var html = new StringBuilder();
        foreach (var part in CodePattern().Split(text))
        {
            if (part.Length >= 2 && part[0] == '`' && part[^1] == '`')
            {
                html.Append("<code>").Append(Escape(part[1..^1])).Append("</code>");
                continue;
            }
            var escaped = Escape(part.Replace("\\|", "|"));
            escaped = BoldPattern().Replace(escaped, "<strong>$1</strong>");
            escaped = EmphasisPattern().Replace(escaped, "<em>$1</em>");
            escaped = LinkPattern().Replace(escaped, m =>
            {
                var target = Unescape(m.Groups[2].Value);
                return link(target) is { } href ? $"<a href=\"{Escape(href)}\">{m.Groups[1].Value}</a>" : m.Groups[1].Value;
            });
            html.Append(escaped);
        }
        return html.ToString();
    }

    [GeneratedRegex(@"^(#{1,6}) (.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\|(\s*:?-+:?\s*\|)+\s*$")]
    private static partial Regex SeparatorPattern();

    [GeneratedRegex(@"^\s*([-*]|\d+\.) (.*)$")]
    private static partial Regex ItemPattern();

    [GeneratedRegex(@"(`[^`]*`)")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")]
    private static partial Regex EmphasisPattern();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();
}
