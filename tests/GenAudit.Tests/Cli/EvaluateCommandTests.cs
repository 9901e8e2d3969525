using System.Text.Json;
using GenAudit.Cli;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
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
        MoveOutputsNearMode(temp.Sub("run"), mode: 1, scale: 0.1f);

        var (code, output) = Run("evaluate", "--run", temp.Sub("run"), "--n", "500", "--seed", "4", "--json", temp.Sub("q.json"), "--dump-features", temp.Sub("features"));
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(File.ReadAllText(temp.Sub("q.json")));
        var root = json.RootElement;
        foreach (var key in new[] { "fid", "kid.mean", "kid.std", "precision", "recall", "density", "coverage", "modes.captured", "modes.highQuality", "copies.fraction", "samples.generated", "seed" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(key).ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("classes.covered").ValueKind);
        Assert.Equal(500, root.GetProperty("samples.generated").GetInt32());
        Assert.Equal(4, root.GetProperty("seed").GetInt32());
        // For 2D data the dumped features are the generated points: recount the ring's modes from them
        // (PacGAN's rule: nearest of the means (cos 2πk/8, sin 2πk/8), high quality within 3σ, σ = 0.01).
        var fake = Npy.Read(Path.Combine(temp.Sub("features"), "fake.npy"));
        Assert.Equal(new long[] { 500, 2 }, fake.Shape);
        var hits = new int[8];
        for (var i = 0; i < 500; i++)
        {
            double x = fake.Float32![2 * i], y = fake.Float32[2 * i + 1];
            var distances = Enumerable.Range(0, 8).Select(k => Math.Sqrt(Math.Pow(x - Math.Cos(2 * Math.PI * k / 8), 2) + Math.Pow(y - Math.Sin(2 * Math.PI * k / 8), 2))).ToArray();
            var nearest = Array.IndexOf(distances, distances.Min());
            if (distances[nearest] < 3 * 0.01) hits[nearest]++;
        }
        Assert.True(hits.Sum() is > 0 and < 500, $"{hits.Sum()} of 500 samples within 3σ: the recount must see both kinds");
        Assert.Equal(hits.Count(h => h > 0), root.GetProperty("modes.captured").GetDouble());
        Assert.Equal(hits.Sum() / 500.0, root.GetProperty("modes.highQuality").GetDouble(), 1e-12);
        Assert.Contains("modes.highQuality", output);

        var (again, _) = Run("evaluate", "--run", temp.Sub("run"), "--n", "500", "--seed", "4", "--json", temp.Sub("q2.json"));
        Assert.Equal(0, again);
        Assert.Equal(File.ReadAllText(temp.Sub("q.json")), File.ReadAllText(temp.Sub("q2.json")));
    }

    /// <summary>
    /// Edits the latest checkpoint's generators so their output is mode <paramref name="mode"/> of ring8
    /// plus the trained output times <paramref name="scale"/>: some samples land within 3σ of the mode,
    /// some do not (a 300-step run lands none; scale 0.1 splits this run's 500 samples).
    /// </summary>
    static void MoveOutputsNearMode(string runFolder, int mode, float scale)
    {
        var run = new RunDirectory(runFolder);
        var folder = run.CheckpointFolder(Json.ReadFile<LatestCheckpoint>(run.Latest).Step);
        var statePath = Path.Combine(folder, "state.json");
        var state = Json.ReadFile<CheckpointState>(statePath);
        var files = new Dictionary<string, string>(state.Files);
        foreach (var name in new[] { "generator.safetensors", "generator_ema.safetensors" })
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var path = Path.Combine(folder, name);
            var tensors = SafeTensors.Load(path, out var metadata);
            var last = tensors.Keys.Where(k => k.EndsWith(".weight")).OrderBy(k => int.Parse(k.Split('.')[1])).Last(); // the output layer
            var bias = last.Replace(".weight", ".bias");
            var outputBias = tensors[bias].mul(scale).add(TorchSharp.torch.tensor(new[] { (float)Math.Cos(2 * Math.PI * mode / 8), (float)Math.Sin(2 * Math.PI * mode / 8) }));
            (tensors[last], tensors[bias]) = (tensors[last].mul(scale), outputBias);
            SafeTensors.Save(path, tensors.Select(kv => (kv.Key, kv.Value)), metadata);
            files[name] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        }
        Json.WriteFile(statePath, state with { Files = files });
    }

    [Fact]
    public void EvaluateRefusesAMissingRun()
    {
        var (code, output) = Run("evaluate", "--run", "/no/such/run");
        Assert.Equal(2, code);
        Assert.Contains("/no/such/run", output);
    }
}
