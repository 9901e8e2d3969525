using System.Text.Json;
using GenAudit.Application;
using GenAudit.Audit;
using GenAudit.Cli;
using GenAudit.Runs;
using GenAudit.Tests.Training;
using GenAudit.Training;
using Spectre.Console.Testing;
using static TorchSharp.torch;

namespace GenAudit.Tests.Audit;

/// <summary>The audit's explanation stage and <c>explain --compare</c> are one code path (issue 16, item 3).</summary>
public class OneExplainPathTests
{
    [Fact]
    public void AuditAndExplainCompareGiveTheSameExplainability()
    {
        using var temp = new TempRun();
        var defaults = TrainingConfig.DefaultsFor("ring8");
        var config = defaults with { Model = defaults.Model with { Depth = 2 }, Steps = 200, CheckpointEvery = 200, LogEvery = 100, Threads = 1 };
        using (var data = TrainingFixtures.Ring8())
        using (var trainer = new Trainer(config, data, temp.Sub("run")))
            trainer.Run();

        const long seed = 4;
        var options = new AuditOptions { Seed = seed };
        using var subject = AuditSubject.Open(temp.Sub("run"));
        Directory.CreateDirectory(temp.Sub("audit"));
        var stage = AuditStages.Explanations(subject, options, temp.Sub("audit"), null);
        var audit = stage.Report.ToDictionary();

        // Every weight layer of the generator is randomised, top down, as explain --compare does.
        var layers = ExplainRunner.LayersTopDown((nn.Module)subject.Generator);
        Assert.True(layers.Count >= 3, $"a depth-2 MLP has three weight layers, found {string.Join(", ", layers)}");
        Assert.All(layers, layer => Assert.Contains("ig.randomisation.spearman." + layer, audit.Keys));

        var library = ExplainRunner.Compare(subject, options.Methods, stage.Target, options.ExplainSamples, seed, options.Explanation).ToDictionary();
        Assert.Equal(audit.OrderBy(kv => kv.Key), library.OrderBy(kv => kv.Key));

        var json = temp.Sub("compare.json");
        var console = new TestConsole();
        var code = GenAuditApp.Run(["explain", "--run", temp.Sub("run"), "--compare", string.Join(",", options.Methods), "--target", stage.Target,
                                    "--n", options.ExplainSamples.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                    "--json", json], console);
        Assert.True(code == 0, console.Output);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(stage.Report.Explainability, document.RootElement.GetProperty("explainability").GetDouble());
        Assert.Equal(stage.Report.BestMethod, document.RootElement.GetProperty("recommended").GetString());
    }
}
