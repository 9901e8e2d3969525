using System.Text.Json;
using GenAudit.Cli;
using GenAudit.Tests.Training;
using GenAudit.Training;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Cli;

public class EvaluateCommandTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        return (GenAuditApp.Run(args, console), console.Output);
    }

    [Fact]
    public void EvaluateWritesTheDocumentedKeysForA2DRun()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.Ring8();
        var config = TrainingConfig.DefaultsFor("ring8") with { Steps = 300, Model = TrainingConfig.DefaultsFor("ring8").Model with { Width = 32 } };
        using (var trainer = new Trainer(config, data, temp.Sub("run"))) trainer.Run();

        var (code, output) = Run("evaluate", "--run", temp.Sub("run"), "--n", "500", "--seed", "4", "--json", temp.Sub("q.json"), "--dump-features", temp.Sub("features"));
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(File.ReadAllText(temp.Sub("q.json")));
        var root = json.RootElement;
        foreach (var key in new[] { "fid", "kid.mean", "kid.std", "precision", "recall", "density", "coverage", "modes.captured", "modes.highQuality", "copies.fraction", "samples.generated", "seed" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(key).ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("classes.covered").ValueKind);
        Assert.Equal(500, root.GetProperty("samples.generated").GetInt32());
        Assert.Equal(4, root.GetProperty("seed").GetInt32());
        Assert.InRange(root.GetProperty("modes.captured").GetDouble(), 0, 8);
        Assert.True(File.Exists(Path.Combine(temp.Sub("features"), "fake.npy")));
        Assert.Contains("modes.highQuality", output);

        var (again, _) = Run("evaluate", "--run", temp.Sub("run"), "--n", "500", "--seed", "4", "--json", temp.Sub("q2.json"));
        Assert.Equal(0, again);
        Assert.Equal(File.ReadAllText(temp.Sub("q.json")), File.ReadAllText(temp.Sub("q2.json")));
    }

    [Fact]
    public void EvaluateRefusesAMissingRun()
    {
        var (code, output) = Run("evaluate", "--run", "/no/such/run");
        Assert.Equal(2, code);
        Assert.Contains("/no/such/run", output);
    }
}
