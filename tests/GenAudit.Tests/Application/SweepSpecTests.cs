using GenAudit.Application;
using GenAudit.Training;

namespace GenAudit.Tests.Application;

public class SweepSpecTests
{
    static string Example(string name) => Path.Combine(Build.Layering.Root(), "docs", "examples", name);

    const string Minimal = """
        { "name": "m", "data": ["ring8"], "seeds": [0, 1], "recipes": [{ "name": "a" }, { "name": "b", "config": { "steps": 10 } }], "run": { "modes": {} } }
        """;

    [Fact]
    public void ModeCollapseSweepExpandsToTheBenchmarksSixtyRuns()
    {
        // The benchmark (benchmarks/GenAudit.Benchmarks/ModeCollapseBenchmark.cs) applies each recipe to
        // TrainingConfig.DefaultsFor(data) with the seed; the sweep must give the same configurations.
        var spec = SweepSpec.Load(Example("mode-collapse.sweep.json"));
        var items = spec.Items();
        Assert.Equal(60, items.Count);
        Assert.Equal(60, items.Select(i => i.Key).Distinct().Count());
        var wgan = items.Single(i => i.Data == "grid25" && i.Recipe == "WGAN-GP" && i.Seed == 7).TrainingConfig();
        var defaults = TrainingConfig.DefaultsFor("grid25");
        Assert.Equal(GanLoss.WganGp, wgan.Loss);
        Assert.Equal(defaults.Steps / 5, wgan.Steps);
        Assert.Equal((1e-4, 1e-4, 0.5, 0.9, 0.0, 0.0, 1.0), (wgan.LearningRateG, wgan.LearningRateD, wgan.Beta1, wgan.Beta2, wgan.R1Gamma, wgan.EmaDecay, wgan.LearningRateDecay));
        Assert.Equal(7, wgan.Seed);
        Assert.Equal(5, wgan.EffectiveDiscriminatorSteps);
        var standard = items.Single(i => i.Data == "ring8" && i.Recipe == "ns + R1 (GenAudit default)" && i.Seed == 3).TrainingConfig();
        var expected = TrainingConfig.DefaultsFor("ring8") with { Seed = 3, CheckpointEvery = 1_000_000, TensorBoard = false };
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(expected, GenAudit.Core.Json.Options), System.Text.Json.JsonSerializer.Serialize(standard, GenAudit.Core.Json.Options));
        var ns = items.Single(i => i.Data == "ring8" && i.Recipe == "GAN (ns)" && i.Seed == 0).TrainingConfig();
        Assert.Equal((1e-3, 1e-3, 0.0, 0.0, 1.0, 0.5, 0.999), (ns.LearningRateG, ns.LearningRateD, ns.R1Gamma, ns.EmaDecay, ns.LearningRateDecay, ns.Beta1, ns.Beta2));
    }

    [Fact]
    public void TheKeyIdentifiesTheWorkNotTheRecipesName()
    {
        var spec = SweepSpec.Parse(Minimal, "m");
        var a = spec.Items().First(i => i.Recipe == "a" && i.Seed == 0);
        var renamed = SweepItem.Create(a.Data, "another name", a.Config, a.Seed, a.Threads, a.Run, a.Policy);
        Assert.Equal(a.Key, renamed.Key);
        Assert.NotEqual(a.Key, SweepItem.Create(a.Data, a.Recipe, a.Config, 1, a.Threads, a.Run, a.Policy).Key);
        Assert.NotEqual(a.Key, SweepItem.Create(a.Data, a.Recipe, a.Config, a.Seed, 2, a.Run, a.Policy).Key);
        Assert.NotEqual(a.Key, SweepItem.Create(a.Data, a.Recipe, a.Config with { Steps = 11 }, a.Seed, a.Threads, a.Run, a.Policy).Key);
        Assert.Throws<InvalidDataException>(() => (a with { Seed = 5 }).Verified());
    }

    [Theory]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0], "recipes": [{ "name": "a" }], "run": { "modes": {} }, "sed": 1 }""", "sed")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0], "recipes": [{ "name": "a", "config": { "learningRate": 1 } }], "run": { "modes": {} } }""", "learningRate")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "recipes": [{ "name": "a" }], "run": { "modes": {} } }""", "seeds")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": ["x"], "recipes": [{ "name": "a" }], "run": { "modes": {} } }""", "seeds")]
    [InlineData("""{ "name": "m", "data": ["mnist"], "seeds": [0], "recipes": [{ "name": "a" }], "run": { "modes": {} } }""", "mnist")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0, 0], "recipes": [{ "name": "a" }], "run": { "modes": {} } }""", "twice")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0], "recipes": [{ "name": "a" }], "run": {} }""", "no step")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0], "recipes": [{ "name": "a", "config": { "emaDecay": 1.5 } }], "run": { "modes": {} } }""", "--ema")]
    [InlineData("""{ "name": "m", "data": ["ring8"], "seeds": [0], "recipes": [{ "name": "a" }], "run": { "modes": {} }, "columns": [{ "key": "k", "label": "l", "format": "Q%" }] }""", "format")]
    public void MalformedSweepsAreErrorsNamingTheField(string json, string expected)
    {
        var error = Assert.Throws<SweepSpecException>(() => SweepSpec.Parse(json, "bad.sweep.json"));
        Assert.StartsWith("bad.sweep.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TheTableIsTheMeanAndStandardErrorOverSeeds()
    {
        var spec = SweepSpec.Parse(Minimal, "m") with { Columns = [new SweepColumn { Key = "modes.highQuality", Label = "hq (%)", Scale = 100, Format = "F1" }, new SweepColumn { Key = "modes.reverseKl", Label = "kl" }] };
        var items = spec.Items();
        SweepResult Result(SweepItem item, double hq, double? kl) =>
            new(item.Key, item.Data, item.Recipe, item.Seed, 3000, new SortedDictionary<string, double?> { ["modes.highQuality"] = hq, ["modes.reverseKl"] = kl }, 1);
        var results = new Dictionary<string, SweepResult>
        {
            [items[0].Key] = Result(items[0], 0.90, 0.2),
            [items[1].Key] = Result(items[1], 0.96, null),
            [items[2].Key] = Result(items[2], 0.50, 0.1),
            [items[3].Key] = Result(items[3], 0.70, 0.3),
        };
        var (markdown, _) = SweepTable.Build(spec, items, results);
        // a: mean 93, sample sd √((3² + 3²)/1) = 4.243, se 3.0; kl one defined value 0.2, se 0.
        Assert.Contains("| ring8 | a | 3,000 | 93.0 ± 3.0 | 0.200 ± 0.000 (1 undefined) |", markdown);
        // b: mean 60, se 10; kl mean 0.2, se 0.1.
        Assert.Contains("| ring8 | b | 3,000 | 60.0 ± 10.0 | 0.200 ± 0.100 |", markdown);
        results.Remove(items[3].Key);
        Assert.Throws<InvalidOperationException>(() => SweepTable.Build(spec, items, results));
    }
}
