using System.Text.Json;
using GenAudit.Cli;
using GenAudit.Cli.Commands;
using GenAudit.Cli.Infrastructure;
using GenAudit.Interop;
using GenAudit.Rendering;
using GenAudit.Stability;
using GenAudit.Tests.Interop;
using GenAudit.Tests.Training;
using GenAudit.Models;
using GenAudit.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Testing;
using Xunit.Abstractions;

namespace GenAudit.Tests.Stability;

/// <summary>The stability verb end to end on tiny real runs, and the plots of a report.</summary>
[Collection(TorchThreadsCollection.Name)]
public class StabilityCommandTests(ITestOutputHelper output)
{
    /// <summary>The app exactly as the genaudit executable builds it.</summary>
    static int Run(TestConsole console, params string[] args) => GenAuditApp.Run(args, console);

    // A small ring8 GAN trained for a few steps with the real trainer.
    static void TrainRing8(string folder, long seed)
    {
        using var data = TrainingFixtures.Ring8();
        var config = TrainingConfig.DefaultsFor("ring8") with
        {
            Model = new ModelConfig { LatentSize = 8, Width = 16 },
            Steps = 40, BatchSize = 64, LogEvery = 2, CheckpointEvery = 40, Seed = seed,
        };
        using var trainer = new Trainer(config, data, folder);
        trainer.Run();
    }

    static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void TheVerbWritesTheIssueKeysAndThePlots()
    {
        using var temp = new TempRun();
        TrainRing8(temp.Sub("run"), 1);
        var console = new TestConsole().Width(300);
        var code = Run(console, "stability", "--run", temp.Sub("run"), "--quick", "--eps", "0.03,0.3", "--json", temp.Sub("s.json"), "--out", temp.Sub("plots"));
        output.WriteLine(console.Output);
        Assert.Equal(0, code);

        var json = ReadJson(temp.Sub("s.json"));
        Assert.Equal(1.0, json.GetProperty("repeat").GetDouble());
        foreach (var family in new[] { "local", "worstCase" })
            foreach (var eps in new[] { "0.03", "0.3" })
                foreach (var similarity in new[] { "cosine", "normalizedL2" })
                    Assert.InRange(json.GetProperty($"{family}.{eps}.{similarity}").GetDouble(), -1, 1);
        Assert.Equal("pga", json.GetProperty("worstCase.method").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("conditionConsistency").ValueKind);
        foreach (var key in new[] { "ppl", "lipschitz.mean", "lipschitz.worst", "determinism.threads.maxAbsDiff" })
            Assert.True(json.GetProperty(key).GetDouble() >= 0, key);
        var flags = json.GetProperty("dynamics.flags");
        Assert.Equal(JsonValueKind.Array, flags.ValueKind);
        foreach (var flag in flags.EnumerateArray())
            foreach (var field in new[] { "kind", "step", "series", "message" }) Assert.True(flag.TryGetProperty(field, out _), field);

        Assert.True(File.Exists(temp.Sub("plots/" + StabilityCharts.EpsilonFile)));
        Assert.True(File.Exists(temp.Sub("plots/" + StabilityCharts.LossesFile)));
        Assert.True(File.Exists(temp.Sub("plots/" + StabilityCharts.GradientNormsFile)));
        Assert.False(File.Exists(temp.Sub("plots/" + StabilityCharts.WorstCasePairsFile)), "2D points have no worst-case images");
    }

    [Fact]
    public void TwoSeedsGiveSeedVarianceWithFidAndCoverage()
    {
        using var temp = new TempRun();
        TrainRing8(temp.Sub("a"), 1);
        TrainRing8(temp.Sub("b"), 2);
        var console = new TestConsole().Width(300);
        var code = Run(console, "stability", "--run", temp.Sub("a"), "--runs", temp.Sub("b"), "--quick", "--eps", "0.1", "--json", temp.Sub("s.json"));
        Assert.True(code == 0, console.Output);

        var json = ReadJson(temp.Sub("s.json"));
        foreach (var metric in new[] { "local.0.1.normalizedL2", "worstCase.0.1.cosine", "ppl", "lipschitz.mean", "fid", "coverage" })
        {
            Assert.True(json.GetProperty($"seeds.{metric}.mean").GetDouble() is var mean && double.IsFinite(mean), metric);
            Assert.True(json.GetProperty($"seeds.{metric}.std").GetDouble() >= 0, metric);
            Assert.True(json.TryGetProperty($"seeds.{metric}.cv", out _), metric);
        }
        Assert.Equal(2, json.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public void AnOnnxRunGetsTheGradientFreeWorstCase()
    {
        using var temp = new TempRun();
        ModelImport.ImportOnnx(InteropFixtures.Path("mlp2d.onnx"), new OnnxGeneratorOptions { LatentSize = 4 }, temp.Sub("onnx"), "ring8");
        var console = new TestConsole().Width(300);
        var code = Run(console, "stability", "--run", temp.Sub("onnx"), "--quick", "--eps", "0.1", "--json", temp.Sub("s.json"));
        Assert.True(code == 0, console.Output);

        var json = ReadJson(temp.Sub("s.json"));
        Assert.Equal("randomSearch", json.GetProperty("worstCase.method").GetString());
        Assert.True(json.GetProperty("worstCase.0.1.normalizedL2").GetDouble() <= json.GetProperty("local.0.1.normalizedL2").GetDouble());
        Assert.Equal(1.0, json.GetProperty("repeat").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("dynamics.flags").ValueKind);
    }

    [Fact]
    public void AnImageReportGetsEveryPlot()
    {
        using var temp = new TempRun();
        var options = StabilityOptions.Quick() with { Epsilons = [0.03, 0.3], CheckThreads = false };
        var history = Enumerable.Range(0, 50).Select(i => new TrainingLogEntry(i,
            new Dictionary<string, double> { ["lossD"] = 1.3 + 0.01 * Math.Sin(i), ["lossG"] = i == 40 ? double.NaN : 0.7 },
            GradNormG: i == 30 ? 100 : 1, GradNormD: 1, DRealMean: 0.6, DFakeMean: 0.4)).ToArray();
        var report = new StabilityAuditor(options).Run(new LinearGenerator(Matrices.Random(144, 8, 17), [1, 12, 12], sigmoid: true), history: history);

        var written = StabilityCharts.Write(report, temp.Sub("plots"));
        Assert.Equal([StabilityCharts.EpsilonFile, StabilityCharts.WorstCasePairsFile, StabilityCharts.LossesFile, StabilityCharts.GradientNormsFile],
            written.Select(Path.GetFileName));
        Assert.All(written, p => Assert.True(new FileInfo(p).Length > 1000, p));
        Assert.Equal(2 * options.WorstCaseExampleCount, report.WorstCasePairs.Count);
        Assert.Contains(report.DynamicsFlags!, f => f.Kind == "gradientSpike" && f.Step == 30);
    }
}
