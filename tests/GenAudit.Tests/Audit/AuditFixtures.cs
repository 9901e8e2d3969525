using System.Security.Cryptography;
using GenAudit.Cli;
using GenAudit.Cli.Commands;
using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Training;
using Spectre.Console.Testing;
using static TorchSharp.torch;

namespace GenAudit.Tests.Audit;

/// <summary>Runs for the audit tests: a short healthy ring8 GAN and a collapsed copy of it.</summary>
static class AuditFixtures
{
    /// <summary>Trains a short ring8 GAN (3000 steps at the ring8 defaults, with 2 hidden layers) into <paramref name="folder"/>.</summary>
    public static void TrainRing8(string folder)
    {
        var defaults = TrainingConfig.DefaultsFor("ring8");
        var config = defaults with
        {
            // Two hidden layers learn the ring in 3,000 steps; the default three need the default 20,000.
            Model = defaults.Model with { Depth = 2 },
            Steps = 3000,
            CheckpointEvery = 3000,
        };
        using var data = TensorTrainingData.FromDataset(GenAudit.Data.DatasetRegistry.Resolve("ring8"));
        using var trainer = new Trainer(config, data, folder);
        trainer.Run();
    }

    /// <summary>
    /// Copies a run and zeroes the weight of the generator's first layer (net.0.weight, the layer
    /// that reads z) in the newest checkpoint: every z then maps to the same output — a fully
    /// collapsed generator. The checkpoint's hashes are rewritten so the run still loads.
    /// </summary>
    public static void CopyCollapsed(string source, string target)
    {
        CopyDirectory(source, target);
        var run = new RunDirectory(target);
        var latest = Json.ReadFile<LatestCheckpoint>(run.Latest);
        var folder = run.CheckpointFolder(latest.Step);
        var statePath = Path.Combine(folder, "state.json");
        var state = Json.ReadFile<CheckpointState>(statePath);
        var files = new Dictionary<string, string>(state.Files);
        foreach (var name in new[] { "generator.safetensors", "generator_ema.safetensors" })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var tensors = SafeTensors.Load(path, out var metadata);
            tensors["net.0.weight"] = zeros_like(tensors["net.0.weight"]);
            SafeTensors.Save(path, tensors.Select(kv => (kv.Key, kv.Value)), metadata);
            foreach (var t in tensors.Values) t.Dispose();
            files[name] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        }
        Json.WriteFile(statePath, state with { Files = files });
    }

    /// <summary>Copies a folder recursively.</summary>
    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>Runs the CLI; returns the exit code and the output.</summary>
    public static (int Code, string Output) Cli(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        var code = GenAuditApp.Run(args, console);
        return (code, console.Output);
    }
}
