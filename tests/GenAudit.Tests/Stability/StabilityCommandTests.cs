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
        double Value(string key) => json.GetProperty(key).GetDouble();
        // The search for the least similar neighbour must find pairs no more similar than random ones at
        // the same radius, and a ten times larger radius must move the outputs further.
        foreach (var eps in new[] { "0.03", "0.3" })
            foreach (var similarity in new[] { "cosine", "normalizedL2" })
                Assert.True(Value($"worstCase.{eps}.{similarity}") <= Value($"local.{eps}.{similarity}"),
                    $"worst case {Value($"worstCase.{eps}.{similarity}")} above the random-direction mean {Value($"local.{eps}.{similarity}")} at ε {eps} ({similarity})");
        Assert.True(Value("local.0.3.normalizedL2") < Value("local.0.03.normalizedL2"));
        Assert.Equal("pga", json.GetProperty("worstCase.method").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("conditionConsistency").ValueKind);
        // The Jacobian's spectral norm bounds the finite-difference ratio along any direction: the largest
        // one over samples (power iteration) must exceed the mean ratio along random directions.
        Assert.True(Value("lipschitz.worst") >= Value("lipschitz.mean"), $"lipschitz.worst {Value("lipschitz.worst")} < lipschitz.mean {Value("lipschitz.mean")}");
        Assert.True(Value("ppl") > 0, "a trained generator's outputs move along latent paths");
        Assert.True(Value("determinism.threads.maxAbsDiff") <= 1e-5, $"threads max |diff| {Value("determinism.threads.maxAbsDiff")}");
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
        foreach (var metric in new[] { "fid", "coverage" })
            Assert.True(json.GetProperty($"seeds.{metric}.mean").GetDouble() is var mean && double.IsFinite(mean), metric);
        // Run a's own value is one of the two: with b = 2·mean − a, the sample standard deviation of
        // {a, b} is |a − b| / √2 = √2 |a − mean|, and cv = std / |mean|.
        foreach (var metric in new[] { "local.0.1.normalizedL2", "worstCase.0.1.cosine", "ppl", "lipschitz.mean" })
        {
            var own = json.GetProperty(metric).GetDouble();
            var mean = json.GetProperty($"seeds.{metric}.mean").GetDouble();
            var std = json.GetProperty($"seeds.{metric}.std").GetDouble();
            Assert.Equal(Math.Sqrt(2) * Math.Abs(own - mean), std, 1e-9 * Math.Max(1, Math.Abs(mean)));
            Assert.True(std > 0, $"{metric}: two differently seeded runs gave the same value");
            Assert.Equal(std / Math.Abs(mean), json.GetProperty($"seeds.{metric}.cv").GetDouble(), 1e-9);
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
