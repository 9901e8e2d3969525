using System.Diagnostics;
using GenAudit.Audit;
using GenAudit.Metrics;
using GenAudit.Tests.Data;

namespace GenAudit.Tests.Audit;

public class MetricGlossaryTests
{
    [Fact]
    public void EveryCatalogAnchorHasAnEmbeddedSection()
    {
        var missing = MetricCatalog.All.Select(e => e.Anchor).Distinct().Where(a => !MetricGlossary.Sections.ContainsKey(a)).ToList();
        Assert.True(missing.Count == 0, "anchors without a section in the embedded docs/metrics.md: " + string.Join(", ", missing));
        Assert.Equal("FID: Fréchet distance (Heusel et al. 2017)", MetricGlossary.Sections["fid"].Title);
        // The FID section carries its formula and stops before the KID section.
        Assert.Contains("tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)", MetricGlossary.Sections["fid"].Html);
        Assert.DoesNotContain("Bińkowski", MetricGlossary.Sections["fid"].Html);
    }

    [Fact]
    public async Task TheEmbeddedDocsAreTheAssembledSectionFiles()
    {
        // The report embeds docs/metrics.md; it must be what tools/docs/build-metrics.py makes of the section files now.
        var root = TestRepository.Root;
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, "docs"));
        foreach (var file in Directory.GetFiles(Path.Combine(root, "docs"), "metrics-*.md"))
            File.Copy(file, Path.Combine(temp.Path, "docs", Path.GetFileName(file)));
        var start = new ProcessStartInfo("python3") { WorkingDirectory = temp.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root, "tools", "docs", "build-metrics.py"));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await stdout;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && stderr.Length == 0, $"build-metrics.py: exit {process.ExitCode}, {stderr}");
        var assembled = File.ReadAllText(Path.Combine(temp.Path, "docs", "metrics.md"));
        Assert.True(assembled == File.ReadAllText(Path.Combine(root, "docs", "metrics.md")),
            "docs/metrics.md is out of date with docs/metrics-*.md: run python3 tools/docs/build-metrics.py");
        using var embedded = typeof(MetricGlossary).Assembly.GetManifestResourceStream(MetricGlossary.ResourceName)!;
        Assert.Equal(assembled, await new StreamReader(embedded).ReadToEndAsync());
    }

    [Fact]
    public void EveryQualityKeyIsInTheCatalog()
    {
        var missing = QualityEvaluation.Keys.Where(k => MetricCatalog.Find(k) is null).ToList();
        Assert.True(missing.Count == 0, "quality keys without a catalog entry: " + string.Join(", ", missing));
    }

    [Fact]
    public void SectionsEndAtTheNextAnchorOrHeadingOfTheSameLevel()
    {
        const string markdown = """
            # Title

            <a id="alpha"></a>
            ### Alpha (Author 2020)

            A is **big** and *wide* (a * b); see [beta](metrics.md#beta), [runs](runs.md#history) and [the paper](https://example.org/a).

            #### Detail

            | Key | Range |
            |---|---|
            | `a.x` | [0, 1] \| 2 |

            ```
            a = b < c
            ```

            ### Unanchored

            not part of alpha

            <a id="beta"></a>
            ## Beta

            - one
              continued
            - two
            """;
        var sections = MetricGlossary.Parse(markdown);

        Assert.Equal(["alpha", "beta"], sections.Keys.Order());
        Assert.Equal("Alpha (Author 2020)", sections["alpha"].Title);
        Assert.Equal(
            "<p>A is <strong>big</strong> and <em>wide</em> (a * b); see <a href=\"#def-beta\">beta</a>, runs and the paper.</p>\n" +
            "<h4>Detail</h4>\n" +
            "<table><tr><th>Key</th><th>Range</th></tr><tr><td><code>a.x</code></td><td>[0, 1] | 2</td></tr></table>\n" +
            "<pre>a = b &lt; c\n</pre>\n",
            sections["alpha"].Html);
        Assert.Equal("<ul><li>one continued</li><li>two</li></ul>\n", sections["beta"].Html);
    }

    [Fact]
    public void AnAnchorWithoutAHeadingIsAnErrorNamingIt()
    {
        var error = Assert.Throws<InvalidDataException>(() => MetricGlossary.Parse("<a id=\"lonely\"></a>\nplain text\n"));
        Assert.Contains("'lonely'", error.Message);
    }
}
