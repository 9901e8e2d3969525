using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json;
using GenAudit.Audit;
using GenAudit.Tests.Training;
using SkiaSharp;

namespace GenAudit.Tests.Audit;

/// <summary>Trains one short ring8 GAN and collapses a copy of it, for every audit test.</summary>
public sealed class AuditRunsFixture : IDisposable
{
    readonly TempRun temp = new();

    public AuditRunsFixture()
    {
        // The run's own folder name is hostile, so every report of it doubles as an XSS test.
        Healthy = temp.Sub("<script>alert(1)</script>");
        AuditFixtures.TrainRing8(Healthy);
        Collapsed = temp.Sub("collapsed");
        AuditFixtures.CopyCollapsed(Healthy, Collapsed);
        Policy = temp.Sub("policy.json");
        File.WriteAllText(Policy, """{"repeat": {"min": 1}, "modes.captured": {"min": 6}, "coverage": {"min": 0.15}, "classes.covered": {"min": 9}, "kid.std": {"max": 1}}""");
    }

    public string Healthy { get; }
    public string Collapsed { get; }
    public string Policy { get; }
    public string Out(string name) => temp.Sub("out-" + name);

    /// <summary>The healthy run's quick audit, run once and shared.</summary>
    public Lazy<(int Code, string Output, string Folder)> HealthyAudit => healthyAudit ??= new(() =>
    {
        var folder = Out("healthy");
        var (code, output) = AuditFixtures.Cli("audit", "--run", Healthy, "--policy", Policy, "--out", folder, "--quick");
        return (code, output, folder);
    });
    Lazy<(int, string, string)>? healthyAudit;

    public void Dispose() => temp.Dispose();
}

[CollectionDefinition("audit runs")]
public sealed class AuditRunsCollection : ICollectionFixture<AuditRunsFixture>;

[Collection("audit runs")]
public class AuditTests(AuditRunsFixture runs)
{
    [Fact]
    public void HealthyRunPassesAndExitsZero()
    {
        var (code, output, folder) = runs.HealthyAudit.Value;
        Assert.True(code == 0, output);
        Assert.Contains("PASS", output);
        foreach (var file in new[] { "report.html", "summary.json", "summary.md", "samples.png", "stability-vs-epsilon.png", "dynamics-losses.png", "attributions.png" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        Assert.Equal(AuditReport.Schema, summary.RootElement.GetProperty("schema").GetString());
        Assert.True(summary.RootElement.GetProperty("passed").GetBoolean());
        var classes = summary.RootElement.GetProperty("verdicts").EnumerateArray().Single(v => v.GetProperty("key").GetString() == "classes.covered");
        Assert.Equal("notApplicable", classes.GetProperty("status").GetString());
        // The quick audit compares 1,000 generated with 1,000 real samples: every KID subset is the whole
        // sample, so there is no spread to report and a threshold on it does not apply.
        var values = summary.RootElement.GetProperty("values");
        Assert.True(values.TryGetProperty("kid.mean", out _));
        Assert.False(values.TryGetProperty("kid.std", out _));
        var kidStd = summary.RootElement.GetProperty("verdicts").EnumerateArray().Single(v => v.GetProperty("key").GetString() == "kid.std");
        Assert.Equal("notApplicable", kidStd.GetProperty("status").GetString());
    }

    [Fact]
    public void CollapsedRunFailsNamingTheThresholds()
    {
        var folder = runs.Out("collapsed");
        var (code, output) = AuditFixtures.Cli("audit", "--run", runs.Collapsed, "--policy", runs.Policy, "--out", folder, "--quick");
        Assert.True(code == 1, output);
        Assert.Contains("FAIL", output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var failed = summary.RootElement.GetProperty("verdicts").EnumerateArray()
            .Where(v => v.GetProperty("status").GetString() == "fail").Select(v => v.GetProperty("key").GetString()).ToList();
        Assert.Contains("modes.captured", failed);
        Assert.Contains("coverage", failed);
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Contains("thresholds fail (modes.captured", html);
        Assert.Contains("modes.captured", File.ReadAllText(Path.Combine(folder, "summary.md")));
    }

    [Theory]
    [InlineData("""{"fid": {"max": 30}, "not.a.metric": {"min": 1}}""", "not.a.metric")]
    [InlineData("""{"fid": {"max": "thirty"}}""", "'fid'")]
    [InlineData("""{"precision": {"min": 0.9, "max": 0.5}}""", "'precision'")]
    [InlineData("""{"recall": 0.5}""", "'recall'")]
    [InlineData("""{"recall": {"minimum": 0.5}}""", "'recall'")]
    public void MalformedPolicyExitsTwoNamingTheKey(string policy, string named)
    {
        var file = Path.Combine(runs.Out("policies"), Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, policy);
        var (code, output) = AuditFixtures.Cli("audit", "--run", runs.Healthy, "--policy", file);
        Assert.True(code == 2, output);
        Assert.Contains(named, output.Replace("\n", ""));
    }

    [Fact]
    public void PolicyVerdictsHaveMarginsAndNotApplicableKeysPass()
    {
        var policy = Policy.Parse("""{"fid": {"max": 30}, "coverage": {"min": 0.5, "max": 1}, "modes.captured": {"min": 7}}""", "test");
        var verdicts = policy.Evaluate(new Dictionary<string, double> { ["fid"] = 35, ["coverage"] = 0.9 });
        Assert.Equal(VerdictStatus.Fail, verdicts[0].Status);
        Assert.Equal(-5, verdicts[0].Margin!.Value, 9);
        Assert.Equal(VerdictStatus.Pass, verdicts[1].Status);
        Assert.Equal(0.1, verdicts[1].Margin!.Value, 9);
        Assert.Equal(VerdictStatus.NotApplicable, verdicts[2].Status);
        Assert.True(verdicts[2].Passed);
        Assert.Equal(Policy.Default.ToJson(), File.ReadAllText(Path.Combine(TestRepository.Root, "docs", "default-policy.json")));
    }

    [Fact]
    public void RunNamedAsAScriptAppearsOnlyAsText()
    {
        var (_, _, folder) = runs.HealthyAudit.Value;
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script"));
    }

    [Fact]
    public void ReportRendersInChromium()
    {
        var (_, _, folder) = runs.HealthyAudit.Value;
        var chromium = FindChromium();
        var url = new Uri(Path.Combine(folder, "report.html")).AbsoluteUri;
        var screenshot = Path.Combine(folder, "screenshot.png");
        var dom = Chromium(chromium, "--dump-dom", url);
        foreach (var id in new[] { "verdict", "model-card", "samples", "training", "quality", "stability", "explanations", "notes" })
            Assert.Contains($"id=\"{id}\"", dom);
        Assert.Contains("data-images=\"decoded\"", dom);
        Chromium(chromium, $"--screenshot={screenshot}", url);
        using var bitmap = SKBitmap.Decode(screenshot) ?? throw new InvalidDataException($"{screenshot}: chromium wrote no PNG");
        double sum = 0, sumSquares = 0;
        var count = 0;
        for (var y = 0; y < bitmap.Height; y += 4)
            for (var x = 0; x < bitmap.Width; x += 4)
            {
                var c = bitmap.GetPixel(x, y);
                double luminance = 0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue;
                sum += luminance;
                sumSquares += luminance * luminance;
                count++;
            }
        var variance = sumSquares / count - Math.Pow(sum / count, 2);
        Assert.True(variance > 100, $"the screenshot looks blank (luminance variance {variance:F1})");
    }

    [Fact]
    public void EveryKeyInTheReportHasAGlossaryEntry()
    {
        var (_, _, folder) = runs.HealthyAudit.Value;
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var keys = summary.RootElement.GetProperty("values").EnumerateObject().Select(p => p.Name)
            .Concat(summary.RootElement.GetProperty("verdicts").EnumerateArray().Select(v => v.GetProperty("key").GetString()!))
            .Distinct().ToList();
        Assert.Contains("worstCase.0.03.normalizedL2", keys);
        Assert.Contains("ig.faithfulness", keys);
        var missing = keys.Where(k => MetricCatalog.Find(k) is not { } info || !html.Contains($"<div id=\"{MetricGlossary.IdPrefix}{info.Anchor}\">")).ToList();
        Assert.True(missing.Count == 0, "keys in the report without a glossary entry: " + string.Join(", ", missing));
        Assert.DoesNotContain("supporting value", html);
    }

    [Fact]
    public void ReportCopiedAwayHasOnlyInPageLinksInChromium()
    {
        var (_, _, folder) = runs.HealthyAudit.Value;
        var away = Directory.CreateTempSubdirectory("genaudit-report-away-");
        try
        {
            var copy = Path.Combine(away.FullName, "report.html");
            File.Copy(Path.Combine(folder, "report.html"), copy);
            var dom = Chromium(FindChromium(), "--dump-dom", new Uri(copy).AbsoluteUri);
            var ids = Regex.Matches(dom, "\\sid=\"([^\"]+)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToHashSet();
            var hrefs = Regex.Matches(dom, "\\shref=\"([^\"]*)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
            Assert.True(hrefs.Count >= 20, $"only {hrefs.Count} links in the rendered report");
            var broken = hrefs.Where(h => !h.StartsWith('#') || !ids.Contains(h[1..])).Distinct().ToList();
            Assert.True(broken.Count == 0, "links that are not in-page anchors of the report: " + string.Join(", ", broken));
            Assert.All(Regex.Matches(dom, "\\ssrc=\"([^\"]*)\"").Select(m => m.Groups[1].Value), src => Assert.StartsWith("data:", src));
            Assert.Contains("data-images=\"decoded\"", dom);
        }
        finally { away.Delete(recursive: true); }
        Assert.DoesNotContain("](", File.ReadAllText(Path.Combine(folder, "summary.md")));
    }

    static string FindChromium() =>
        new[] { "chromium", "chromium-browser" }.Select(Which).FirstOrDefault(p => p is not null)
        ?? throw new InvalidOperationException("chromium is not installed: the browser tests need Debian's chromium (apt-get install -y chromium; ./test installs it)");

    static string Chromium(string chromium, string mode, string url)
    {
        var profile = Directory.CreateTempSubdirectory("genaudit-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.FullName}", "--window-size=1280,2000", "--virtual-time-budget=5000", mode, url })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000)) { process.Kill(entireProcessTree: true); throw new TimeoutException($"chromium {mode} did not finish in 60 s"); }
            Assert.True(process.ExitCode == 0, $"chromium {mode} exited with {process.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
        finally { profile.Delete(recursive: true); }
    }

    static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
