using System.Text.Json;

namespace GenAudit.Tests;

/// <summary>
/// Values computed once by reference libraries (scikit-image, scipy) and committed under
/// Fixtures/, with the scripts that made them in tools/fixtures/.
/// </summary>
static class ReferenceFixtures
{
    static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GenAudit.sln")))
                return Path.Combine(dir.FullName, "tests", "GenAudit.Tests", "Fixtures");
        throw new DirectoryNotFoundException("GenAudit.sln not found above the test binaries");
    });

    /// <summary>The full path of a file or folder under Fixtures/.</summary>
    public static string PathOf(string relative) => Path.Combine(Folder.Value, relative);

    /// <summary>The cases of one fixture file, each a JSON object.</summary>
    public static IReadOnlyList<JsonElement> Cases(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder.Value, file)));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    /// <summary>The case names of a fixture file, as xUnit theory data.</summary>
    public static TheoryData<string> Names(string file)
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases(file)) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static JsonElement Case(string file, string name) =>
        Cases(file).Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>A JSON array of numbers as doubles.</summary>
    public static double[] Doubles(this JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();
}
