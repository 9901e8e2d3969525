using System.Text.RegularExpressions;

namespace GenAudit.Tests.Build;

/// <summary>
/// Reads the namespace references of every source file (using lines and fully qualified
/// <c>GenAudit.X.</c> names) and checks them against the layer order of docs/architecture.md.
/// </summary>
static partial class Layering
{
    /// <summary>Areas from the bottom up; an area may use areas in lower entries, never a sibling or a higher one.</summary>
    public static readonly IReadOnlyList<string[]> Order =
    [
        ["Core"], ["Data"], ["Models"], ["Training"], ["Interop"], ["Rendering"], ["Runs"],
        ["Metrics", "Stability", "Explain"], ["Application"], ["Audit"], ["Cluster"], ["Cli"],
    ];

    /// <summary>One reference from a lower (or sibling) area to a higher one.</summary>
    public sealed record Violation(string File, int Line, string From, string To)
    {
        public override string ToString() => $"{File}:{Line}: {From} refers to {To}";
    }

    static int Rank(string area)
    {
        for (var i = 0; i < Order.Count; i++)
            if (Order[i].Contains(area)) return i;
        return -1;
    }

    [GeneratedRegex(@"^\s*namespace\s+GenAudit\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"\bGenAudit\.([A-Z]\w*)")]
    private static partial Regex Reference();

    // Regular and verbatim string literals and non-XML line comments: names in them are text, not references.
    [GeneratedRegex(@"@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""|(?<!/)//(?!/).*$", RegexOptions.Multiline)]
    private static partial Regex TextToIgnore();

    /// <summary>
    /// The violations of one file's <paramref name="text"/>; <paramref name="file"/> only names them. A file
    /// without a namespace (top-level statements) belongs to <paramref name="fallbackArea"/>.
    /// </summary>
    public static IReadOnlyList<Violation> Check(string file, string text, string? fallbackArea = null)
    {
        var own = NamespaceLine().Match(text);
        var from = own.Success ? own.Groups[1].Value : fallbackArea;
        if (from is null) return [new Violation(file, 1, "?", "no 'namespace GenAudit.<Area>' declaration")];
        var fromRank = Rank(from);
        if (fromRank < 0) return [new Violation(file, 1, from, "an area missing from the layer order; place it in Layering.Order and docs/architecture.md")];
        var code = TextToIgnore().Replace(text, m => new string(' ', m.Length));
        var found = new List<Violation>();
        foreach (Match reference in Reference().Matches(code))
        {
            var to = reference.Groups[1].Value;
            if (to == from || to == "Tests") continue;
            var toRank = Rank(to);
            if (toRank < 0 || toRank >= fromRank)
                found.Add(new Violation(file, code[..reference.Index].Count(c => c == '\n') + 1, from, to));
        }
        return found;
    }

    /// <summary>The repository root (the folder holding GenAudit.sln).</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GenAudit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("GenAudit.sln not found above the test binaries");
    }
}

public class LayeringTests
{
    static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"));

    [Fact]
    public void NoSourceFileRefersToAHigherLayer()
    {
        var root = Layering.Root();
        var files = SourceFiles(root).ToList();
        Assert.True(files.Count > 100, $"expected the library's sources under {root}/src, found {files.Count} files");
        var cli = Path.Combine(root, "src", "GenAudit.Cli") + Path.DirectorySeparatorChar;
        var violations = files.SelectMany(f => Layering.Check(Path.GetRelativePath(root, f), File.ReadAllText(f),
            f.StartsWith(cli, StringComparison.Ordinal) ? "Cli" : null)).ToList();
        Assert.True(violations.Count == 0, "upward references:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void EveryLibraryFolderDeclaresItsOwnNamespace()
    {
        var library = Path.Combine(Layering.Root(), "src", "GenAudit");
        var wrong = SourceFiles(Layering.Root())
            .Where(f => f.StartsWith(library + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(f => (File: f, Folder: Path.GetRelativePath(library, Path.GetDirectoryName(f)!).Split(Path.DirectorySeparatorChar)[0]))
            .Where(f => f.Folder != "." && !File.ReadAllText(f.File).Contains($"namespace GenAudit.{f.Folder}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(library, f.File)).ToList();
        Assert.True(wrong.Count == 0, "files whose namespace is not their folder's:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void CheckerFlagsUpwardUsingAndQualifiedNames()
    {
        var upwardUsing = Layering.Check("Explain/X.cs", "using GenAudit.Core;\nusing GenAudit.Audit;\n\nnamespace GenAudit.Explain.Evaluation;\n");
        Assert.Equal([new Layering.Violation("Explain/X.cs", 2, "Explain", "Audit")], upwardUsing);

        var qualified = Layering.Check("Training/T.cs", "namespace GenAudit.Training;\nclass T\n{\n    void Draw() => GenAudit.Rendering.ImageGrid.Save(null!, 8, \"x\");\n}\n");
        Assert.Equal([new Layering.Violation("Training/T.cs", 4, "Training", "Rendering")], qualified);

        var sibling = Layering.Check("Stability/S.cs", "using static GenAudit.Metrics.FrechetDistance;\nnamespace GenAudit.Stability;\n");
        Assert.Equal([new Layering.Violation("Stability/S.cs", 1, "Stability", "Metrics")], sibling);

        var unknown = Layering.Check("Speech/A.cs", "namespace GenAudit.Speech;\n");
        Assert.Equal("Speech", Assert.Single(unknown).From);
    }

    [Fact]
    public void CheckerAcceptsDownwardReferencesAndIgnoresText()
    {
        const string text = """
            using GenAudit.Core;
            using GenAudit.Runs;
            namespace GenAudit.Metrics;
            /// <summary>Uses <see cref="GenAudit.Models.IGenerativeModel"/>.</summary>
            class M
            {
                // GenAudit.Audit composes this class.
                const string Prefix = "GenAudit.Audit.resource";
                const string Verbatim = @"GenAudit.Cli";
            }
            """;
        Assert.Empty(Layering.Check("Metrics/M.cs", text));
    }
}
