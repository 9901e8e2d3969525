using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenAudit.Audit;
using GenAudit.Cluster;
using GenAudit.Core;
using GenAudit.Training;
using GenAudit.Tests.Training;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace GenAudit.Tests.Audit;

/// <summary>audit --runs / --checkpoints: worker processes, one ranked table, the index page, the exit codes.</summary>
[Collection("audit runs")]
public class AuditManyTests(AuditRunsFixture runs)
{
    [Fact]
    public async Task TwoWorkersAndAClusterWriteTheSameTableAsOneRankedWithTheFailingRunMarked()
    {
        var two = runs.Out("many-2");
        var one = runs.Out("many-1");
        // The collapsed run is listed first: the order of the table must come from the ranking, not from --runs.
        string[] Args(string folder, string workers) => ["audit", "--runs", $"{runs.Collapsed},{runs.Healthy}", "--policy", runs.Policy, "--out", folder, "--quick", "--workers", workers];
        var (codeTwo, outputTwo) = AuditFixtures.Cli(Args(two, "2"));
        Assert.True(codeTwo == 1, outputTwo);
        var (codeOne, outputOne) = AuditFixtures.Cli(Args(one, "1"));
        Assert.True(codeOne == 1, outputOne);
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, AuditManyTable.JsonFile)), File.ReadAllBytes(Path.Combine(two, AuditManyTable.JsonFile)));
        Assert.Equal(File.ReadAllText(Path.Combine(one, AuditManyTable.MarkdownFile)), File.ReadAllText(Path.Combine(two, AuditManyTable.MarkdownFile)));

        // The same models audited by the silos of an in-process cluster (audit --cluster): the same bytes,
        // and each model's report under the client's --out, written there by the silo that audited it.
        var clustered = runs.Out("many-cluster");
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => SiloSetup.AddWork(silo, new SiloOptions { Artifacts = runs.Out("artifacts") }));
        await using (var cluster = builder.Build())
        {
            await cluster.DeployAsync();
            var settings = new AuditManySettings(File.ReadAllText(runs.Policy), runs.Policy, 0, Quick: true, Count: null, Strict: false, Threads: 1);
            var names = AuditManyRunner.NamesOf([runs.Collapsed, runs.Healthy]);
            var items = new[] { runs.Collapsed, runs.Healthy }.Select((r, i) => new AuditManyItem(names[i], Path.GetFullPath(r), null, settings)).ToList();
            var outcome = new AuditManyRunner(new ClusterAuditJobs(cluster.Client, TimeSpan.FromMilliseconds(200))).Run(items, clustered);
            Assert.Equal(1, outcome.ExitCode);
            Assert.Equal(2, cluster.Silos.Sum(silo => silo.ServiceProvider.GetRequiredService<ClusterExecutor>().Executions));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, AuditManyTable.JsonFile)), File.ReadAllBytes(Path.Combine(clustered, AuditManyTable.JsonFile)));
        Assert.Equal(File.ReadAllText(Path.Combine(one, AuditManyTable.MarkdownFile)), File.ReadAllText(Path.Combine(clustered, AuditManyTable.MarkdownFile)));
        foreach (var name in new[] { "collapsed", "script>" })
            Assert.True(File.Exists(Path.Combine(clustered, name, "report.html")), name);

        using var table = JsonDocument.Parse(File.ReadAllText(Path.Combine(two, AuditManyTable.JsonFile)));
        Assert.Equal(AuditManyTable.Schema, table.RootElement.GetProperty("schema").GetString());
        Assert.Equal(1, table.RootElement.GetProperty("exitCode").GetInt32());
        var models = table.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(2, models.Count);
        // The healthy run (its folder is "<script>alert(1)</script>", so its name is the last folder "script>") passes: no failed key ranks first.
        Assert.Equal("script>", models[0].GetProperty("name").GetString());
        Assert.Equal("PASS", models[0].GetProperty("verdict").GetString());
        Assert.Empty(models[0].GetProperty("failedKeys").EnumerateArray());
        Assert.Equal("collapsed", models[1].GetProperty("name").GetString());
        Assert.Equal("FAIL", models[1].GetProperty("verdict").GetString());
        Assert.False(models[1].GetProperty("passed").GetBoolean());
        Assert.Contains("modes.captured", models[1].GetProperty("failedKeys").EnumerateArray().Select(k => k.GetString()));
        // Each row is its model's own audit: the single audit's verdict, written under --out/<name>/.
        foreach (var model in models)
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(two, model.GetProperty("name").GetString()!, "summary.json")));
            Assert.Equal(model.GetProperty("exitCode").GetInt32(), summary.RootElement.GetProperty("exitCode").GetInt32());
        }
        var markdown = File.ReadAllText(Path.Combine(two, AuditManyTable.MarkdownFile));
        Assert.Matches(@"\| 1 \| `script>` \| 3000 \| PASS \|", markdown);
        Assert.Matches(@"\| 2 \| `collapsed` \| 3000 \| \*\*FAIL\*\* \|", markdown);

        var html = File.ReadAllText(Path.Combine(two, AuditManyTable.HtmlFile));
        var links = Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Equal(["script%3E/report.html", "collapsed/report.html"], links);
        foreach (var link in links) Assert.True(File.Exists(Path.Combine(two, Uri.UnescapeDataString(link))), link);
        // Self-contained: no scheme, no protocol-relative URL, nothing loaded from elsewhere, the hostile name escaped.
        Assert.DoesNotMatch("(?i)https?:|//[a-z0-9]|src=|<script|<link|@import", html);
        Assert.Contains("<strong>FAIL</strong>", html);
    }

    [Fact]
    public void CheckpointsAuditsEveryCheckpointAsTheGeneratorAtThatStep()
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        var defaults = TrainingConfig.DefaultsFor("ring8");
        using (var data = TensorTrainingData.FromDataset(GenAudit.Data.DatasetRegistry.Resolve("ring8")))
        using (var trainer = new Trainer(defaults with { Model = defaults.Model with { Depth = 2 }, Steps = 200, CheckpointEvery = 100, Threads = 1 }, data, run))
            trainer.Run();
        var policy = temp.Sub("policy.json");
        File.WriteAllText(policy, """{"repeat": {"min": 1}}""");
        var output = temp.Sub("out");
        var (code, text) = AuditFixtures.Cli("audit", "--checkpoints", run, "--policy", policy, "--out", output, "--quick", "--workers", "2");
        Assert.True(code == 0, text);
        var table = Json.ReadFile<JsonElement>(Path.Combine(output, AuditManyTable.JsonFile));
        var models = table.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["step-00000100", "step-00000200"], models.Select(m => m.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        foreach (var model in models)
        {
            var name = model.GetProperty("name").GetString()!;
            var step = long.Parse(name["step-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(step, model.GetProperty("step").GetInt64());
            Assert.Equal("PASS", model.GetProperty("verdict").GetString());
            var summary = Json.ReadFile<JsonElement>(Path.Combine(output, name, "summary.json"));
            Assert.Equal(step, summary.GetProperty("checkpointStep").GetInt64());
        }
        // Different weights, different samples: the two checkpoints really are two generators.
        Assert.NotEqual(models[0].GetProperty("fid").GetDouble(), models[1].GetProperty("fid").GetDouble());
        // An earlier checkpoint's dynamics are judged on the training it had seen.
        using (var early = GenAudit.Runs.RunLoader.Load(run, step: 100))
            Assert.InRange(GenAudit.Application.StabilityAudit.ReadHistory(early)!.Max(e => e.Step), 1, 100);
        using (var late = GenAudit.Runs.RunLoader.Load(run, step: 200))
            Assert.True(GenAudit.Application.StabilityAudit.ReadHistory(late)!.Max(e => e.Step) > 100);
    }

    [Fact]
    public void AModelThatCannotBeMeasuredIsMarkedAndExitsThree()
    {
        using var temp = new TempRun();
        var broken = temp.Sub("broken");
        AuditFixtures.CopyDirectory(runs.Collapsed, broken);
        var latest = Json.ReadFile<LatestCheckpoint>(new RunDirectory(broken).Latest);
        File.AppendAllText(Path.Combine(new RunDirectory(broken).CheckpointFolder(latest.Step), "generator.safetensors"), "tampered");
        var output = temp.Sub("out");
        var (code, text) = AuditFixtures.Cli("audit", "--runs", broken, "--policy", runs.Policy, "--out", output, "--quick");
        Assert.True(code == 3, text);
        var markdown = File.ReadAllText(Path.Combine(output, AuditManyTable.MarkdownFile));
        Assert.Contains("**MEASUREMENT FAILED**", markdown);
        Assert.Contains("worker.log", markdown);
        Assert.DoesNotContain("href=", File.ReadAllText(Path.Combine(output, AuditManyTable.HtmlFile)));
        Assert.Contains("does not match the hash", File.ReadAllText(Path.Combine(output, "broken", "worker.log")));
    }

    [Theory]
    [InlineData("--run", "R", "--runs", "R", "--out", "O", "--run audits one model")]
    [InlineData("--run", "R", "--checkpoints", "R", "--out", "O", "--run audits one model")]
    [InlineData("--runs", "R", "--checkpoints", "R", "--out", "O", "give --runs or --checkpoints, not both")]
    [InlineData("--runs", "R,MISSING", "--out", "O", "", "", "MISSING: no such run directory")]
    [InlineData("--checkpoints", "MISSING", "--out", "O", "", "", "MISSING: no such run directory")]
    [InlineData("--runs", "R", "--workers", "0", "--out", "O", "--workers 0")]
    [InlineData("--runs", "R", "--threads", "0", "--out", "O", "--threads 0")]
    [InlineData("--runs", "R", "", "", "", "", "--out DIR is required with --runs")]
    [InlineData("--run", "R", "--workers", "2", "", "", "--workers and --threads apply with --runs or --checkpoints only")]
    [InlineData("--runs", "R", "--top-k", "5", "--out", "O", "--temperature and --top-k apply to one token run")]
    [InlineData("--runs", "R", "--cluster", "--workers", "2", "", "--workers runs processes on this machine")]
    [InlineData("--runs", "R", "--redis", "127.0.0.1:6379", "--out", "O", "--redis and --gateways apply with --cluster only")]
    [InlineData("--run", "R", "--cluster", "", "", "", "--cluster, --redis and --gateways apply with --runs or --checkpoints only")]
    [InlineData("--runs", "R", "--cluster", "--gateways", "30000,x", "", "--gateways '30000,x'")]
    public void BadCombinationsExitTwoNamingTheProblem(string a, string b, string c, string d, string e, string f, string message)
    {
        string Resolve(string arg) => arg switch { "R" => runs.Collapsed, "R,MISSING" => runs.Collapsed + ",/nonexistent/MISSING", "MISSING" => "/nonexistent/MISSING", "O" => runs.Out("never"), _ => arg };
        var args = new[] { "audit", a, b, c, d, e, f }.Where(x => x.Length > 0).Select(Resolve).ToArray();
        var (code, output) = AuditFixtures.Cli(args);
        Assert.True(code == 2, output);
        Assert.Contains(message, output.Replace("\n", "", StringComparison.Ordinal));
    }

    static AuditManyResult Result(string name, int failed, double? fid, double? realFid) =>
        new(name, "/runs/" + name, 100, failed > 0 ? 1 : 0, Enumerable.Range(0, failed).Select(i => $"key{i}").ToList(), fid, realFid, [], null);

    [Fact]
    public void RankingIsFailedKeysThenFidRatioThenName()
    {
        var ranked = AuditManyTable.Rank([
            Result("e-no-real-row", 0, 0.5, null),
            Result("d-two-failed", 2, 0.1, 1),
            Result("c-ratio-3", 0, 3, 1),
            Result("a-ratio-2", 0, 1, 0.5),
            Result("b-ratio-2", 0, 2, 1),
            Result("f-one-failed", 1, 9, 1),
            Result("g-real-zero", 0, 1, 0),
        ]);
        Assert.Equal(["a-ratio-2", "b-ratio-2", "c-ratio-3", "e-no-real-row", "g-real-zero", "f-one-failed", "d-two-failed"], ranked.Select(r => r.Name));
        Assert.Equal(2, ranked[0].FidRatio);
        Assert.Null(ranked[4].FidRatio);
    }

    [Fact]
    public void NamesAreTheShortestDistinctFolderSuffixes()
    {
        Assert.Equal(["a", "b"], AuditManyRunner.NamesOf(["/x/a", "/y/b/"]));
        Assert.Equal(["k1-run", "k2-run"], AuditManyRunner.NamesOf(["/s/items/k1/run", "/s/items/k2/run"]));
        Assert.Equal(["p-x-run", "q-x-run"], AuditManyRunner.NamesOf(["/p/x/run", "/q/x/run"]));
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => AuditManyRunner.NamesOf(["/x/a", "/x/a/"])).Message);
    }
}
