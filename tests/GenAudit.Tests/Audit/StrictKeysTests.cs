using System.Text.Json;
using GenAudit.Audit;
using GenAudit.Cli.Commands;
using GenAudit.Metrics;
using GenAudit.Runs;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Audit;

/// <summary>Policy keys the run can produce are measured; a failing measurement exits 3; --strict fails uncertain verdicts.</summary>
[Collection("audit runs")]
public class StrictKeysTests(AuditRunsFixture runs)
{
    /// <summary>Throws from inside one stage, through the progress the stage reports: a measurement failure without a hook in production code.</summary>
    sealed class FailingObserver(string failingStage) : IAuditObserver
    {
        public void StageStarted(string stage) { }
        public void Report(string stage, string message)
        {
            if (stage == failingStage) throw new InvalidOperationException("injected failure for the test");
        }
        public void StageFinished(string stage, TimeSpan elapsed) { }
    }

    [Fact]
    public void KeysTheRunCanProduceAreMeasuredAndOthersSayWhyNot()
    {
        var policy = Path.Combine(runs.Out("strict-keys"), "policy.json");
        Directory.CreateDirectory(Path.GetDirectoryName(policy)!);
        // The quick preset measures ε 0.03 and 0.3 with ig and kernelshap: ε 0.05 and saliency must be added.
        File.WriteAllText(policy, """
            {"local.0.05.normalizedL2": {"min": 0}, "saliency.faithfulness": {"min": 0},
             "local.0.05.ssim": {"min": 0.5}, "seeds.fid.std": {"max": 1}, "fid": {"maxRatio": 1000}}
            """);
        var folder = runs.Out("strict-keys-report");
        var (code, output) = AuditFixtures.Cli("audit", "--run", runs.Healthy, "--policy", policy, "--out", folder, "--quick", "--n", "200", "--strict");
        Assert.True(code == 0, output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var verdicts = summary.RootElement.GetProperty("verdicts").EnumerateArray().ToDictionary(v => v.GetProperty("key").GetString()!);
        foreach (var measured in new[] { "local.0.05.normalizedL2", "saliency.faithfulness" })
        {
            Assert.Equal("pass", verdicts[measured].GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Number, verdicts[measured].GetProperty("value").ValueKind);
        }
        Assert.Equal(JsonValueKind.Array, verdicts["local.0.05.normalizedL2"].GetProperty("interval").ValueKind);
        Assert.Equal("notApplicable", verdicts["local.0.05.ssim"].GetProperty("status").GetString());
        Assert.Contains("ssim is not measured", verdicts["local.0.05.ssim"].GetProperty("reason").GetString());
        Assert.Equal("notApplicable", verdicts["seeds.fid.std"].GetProperty("status").GetString());
        // ring8's test split is drawn with its own seed: a held-out split, so the real row exists and the ratio is judged.
        var real = summary.RootElement.GetProperty("real");
        var realFid = real.GetProperty("values").GetProperty("fid").GetDouble();
        Assert.Equal(realFid, verdicts["fid"].GetProperty("real").GetDouble());
        Assert.Equal("pass", verdicts["fid"].GetProperty("status").GetString());
        Assert.Equal(1000 * realFid - verdicts["fid"].GetProperty("value").GetDouble(), verdicts["fid"].GetProperty("margin").GetDouble(), 9);
        Assert.Equal(200, real.GetProperty("candidates").GetInt32()); // the same n as the generated samples
        Assert.Contains(summary.RootElement.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("ε = 0.05 added"));
        Assert.Equal("identity (the raw values, D = 2)", summary.RootElement.GetProperty("featureSpace").GetProperty("name").GetString());
        Assert.True(summary.RootElement.GetProperty("strict").GetBoolean());
    }

    [Fact]
    public void ForcedMeasurementFailureExitsThreeWithTheStageAndStrictFailsUncertainVerdicts()
    {
        var folder = runs.Out("failing-stage");
        var policy = Policy.Parse("""{"repeat": {"min": 1}, "coverage": {"min": 0.1}, "local.0.03.normalizedL2": {"min": 0.5}}""", "test");
        AuditResult result;
        using (var subject = AuditSubject.Open(runs.Healthy))
            result = new AuditRunner(AuditOptions.Quick()).Run(subject, runs.Healthy, policy, folder, new FailingObserver("quality"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("injected failure", result.FailedStages["quality"]);
        Assert.Equal(VerdictStatus.StageFailed, result.Verdicts[1].Status);
        Assert.Contains("the quality stage failed", result.Verdicts[1].Reason);
        Assert.Equal(VerdictStatus.Pass, result.Verdicts[0].Status); // the later stages still ran
        Assert.Equal(VerdictStatus.Pass, result.Verdicts[2].Status);
        Assert.True(result.Intervals.ContainsKey("local.0.03.normalizedL2"));

        AuditReport.Write(result, folder);
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))))
        {
            Assert.Equal(3, summary.RootElement.GetProperty("exitCode").GetInt32());
            Assert.Equal("stageFailed", summary.RootElement.GetProperty("verdicts")[1].GetProperty("status").GetString());
        }
        Assert.Contains("Stage quality failed", File.ReadAllText(Path.Combine(folder, "report.html")));
        var console = new TestConsole();
        console.Profile.Width = 200;
        Assert.Equal(3, AuditCommand.Summarise(console, result, folder));
        Assert.Contains("measurement failed in stage quality", console.Output);

        // Hand-made: coverage 0.6 with interval [0.5, 0.7] against min 0.55 passes, uncertain; --strict fails it.
        var uncertain = Policy.Parse("""{"coverage": {"min": 0.55}}""", "test").Evaluate(new Measurements
        {
            Values = new Dictionary<string, double> { ["coverage"] = 0.6 },
            Intervals = new Dictionary<string, ConfidenceInterval> { ["coverage"] = new(0.5, 0.7, 0.95, 200, "test") },
        });
        var lenient = result with { FailedStages = new Dictionary<string, string>(), Verdicts = uncertain };
        Assert.Equal(0, AuditCommand.Summarise(new TestConsole(), lenient, folder));
        var strictConsole = new TestConsole();
        strictConsole.Profile.Width = 200;
        Assert.Equal(1, AuditCommand.Summarise(strictConsole, lenient with { Options = lenient.Options with { Strict = true } }, folder));
        Assert.Contains("uncertain (fails: --strict)", strictConsole.Output);
    }
}
