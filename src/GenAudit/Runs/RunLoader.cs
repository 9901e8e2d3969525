using GenAudit.Core;
using GenAudit.Interop;
using GenAudit.Models;
using GenAudit.Training;

namespace GenAudit.Runs;

/// <summary>A trained run, rebuilt from its manifest and newest checkpoint, in eval mode.</summary>
public sealed class LoadedRun : IDisposable
{
    internal LoadedRun(RunDirectory directory, RunManifest manifest, long step, string checkpoint,
                       IGenerativeModel generator, GanDiscriminator? discriminator, bool usesEma)
    {
        Directory = directory;
        Manifest = manifest;
        Step = step;
        CheckpointFolder = checkpoint;
        Generator = generator;
        Discriminator = discriminator;
        UsesEma = usesEma;
    }

    /// <summary>The run's paths.</summary>
    public RunDirectory Directory { get; }
    /// <summary>The manifest.</summary>
    public RunManifest Manifest { get; }
    /// <summary>Step of the loaded checkpoint.</summary>
    public long Step { get; }
    /// <summary>Folder of the loaded checkpoint.</summary>
    public string CheckpointFolder { get; }
    /// <summary>The generator (GAN generator, its EMA copy, or the VAE).</summary>
    public IGenerativeModel Generator { get; }
    /// <summary>The discriminator of a GAN run; null for VAEs.</summary>
    public GanDiscriminator? Discriminator { get; }
    /// <summary>True when <see cref="Generator"/> holds the EMA weights.</summary>
    public bool UsesEma { get; }

    /// <summary>
    /// A generator held in memory (the calibration's), presented as a run without checkpoint or history:
    /// <paramref name="folder"/> stands for its run directory and holds no loss plot or history.
    /// </summary>
    public static LoadedRun InMemory(IGenerativeModel generator, RunManifest manifest, string folder) =>
        new(new RunDirectory(folder), manifest, 0, folder, generator, null, false);

    /// <inheritdoc />
    public void Dispose()
    {
        (Generator as IDisposable)?.Dispose();
        Discriminator?.Dispose();
    }
}

/// <summary>Opens run directories written by <see cref="Trainer"/>.</summary>
public static class RunLoader
{
    /// <summary>
    /// Loads the newest checkpoint of the run at <paramref name="path"/>, or the one of <paramref name="step"/>.
    /// The EMA generator is used when the run has one and <paramref name="preferEma"/> is true (it is what the run samples with).
    /// </summary>
    public static LoadedRun Load(string path, bool preferEma = true, long? step = null)
    {
        TorchRuntime.EnsureLoaded();
        var run = new RunDirectory(path);
        if (!System.IO.Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"{run.Root}: no such run directory");
        var manifest = Json.ReadFile<RunManifest>(run.Manifest);
        if (manifest.Source == ModelImport.OnnxSource)
            return step is null ? LoadOnnx(run, manifest) : throw new InvalidDataException($"{run.Root}: an imported ONNX run has no checkpoints to choose from");
        var latest = step is { } chosen ? Checkpoint.Find(run, chosen)
            : Checkpoint.FindLatest(run) ?? throw new InvalidDataException($"{run.Root}: the run has no checkpoint yet");
        var model = manifest.Config.Model;
        if (model.IsTokenSequence) return LoadTokens(run, manifest, latest.Latest.Step, latest.Folder);
        if (model.IsSeries)
        {
            // The recurrent discriminator scores steps, not samples, so the run exposes the generator only.
            var generator = new RecurrentGenerator(model);
            bool ema = preferEma && File.Exists(Path.Combine(latest.Folder, "generator_ema.safetensors"));
            ModuleWeights.Load(generator, Path.Combine(latest.Folder, ema ? "generator_ema.safetensors" : "generator.safetensors"));
            generator.eval();
            return new LoadedRun(run, manifest, latest.Latest.Step, latest.Folder, generator, null, ema);
        }
        if (model.IsGan)
        {
            var generator = new GanGenerator(model);
            bool ema = preferEma && File.Exists(Path.Combine(latest.Folder, "generator_ema.safetensors"));
            ModuleWeights.Load(generator, Path.Combine(latest.Folder, ema ? "generator_ema.safetensors" : "generator.safetensors"));
            // Imported PyTorch generators may come without their discriminator; state.json has
            // already checked that every file the checkpoint lists is present.
            var discriminatorFile = Path.Combine(latest.Folder, "discriminator.safetensors");
            GanDiscriminator? discriminator = null;
            if (File.Exists(discriminatorFile))
            {
                discriminator = new GanDiscriminator(model);
                ModuleWeights.Load(discriminator, discriminatorFile);
                discriminator.eval();
            }
            generator.eval();
            return new LoadedRun(run, manifest, latest.Latest.Step, latest.Folder, generator, discriminator, ema);
        }
        var vae = new Vae(model);
        ModuleWeights.Load(vae, Path.Combine(latest.Folder, "vae.safetensors"));
        vae.eval();
        return new LoadedRun(run, manifest, latest.Latest.Step, latest.Folder, vae, null, false);
    }

    /// <summary>Opens a token language model (mle, seqgan) as a <see cref="TokenSampler"/> over its data's vocabulary.</summary>
    static LoadedRun LoadTokens(RunDirectory run, RunManifest manifest, long step, string folder)
    {
        var vocabulary = GenAudit.Data.DatasetRegistry.Vocabulary(manifest.Config.Data, manifest.Config.DataOptions());
        var generator = new TokenGenerator(manifest.Config.Model);
        try
        {
            ModuleWeights.Load(generator, Path.Combine(folder, "generator.safetensors"));
            generator.eval();
            return new LoadedRun(run, manifest, step, folder, new TokenSampler(generator, vocabulary), null, false);
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    /// <summary>Opens an imported ONNX run: verifies the copy against the manifest's SHA-256 and re-checks the graph.</summary>
    static LoadedRun LoadOnnx(RunDirectory run, RunManifest manifest)
    {
        var record = manifest.Import ?? throw new InvalidDataException($"{run.Manifest}: source is \"onnx\" but the \"import\" section is missing");
        var path = run.Confine(record.ModelFile ?? ModelImport.OnnxModelFile, run.Root, run.Manifest);
        if (!File.Exists(path)) throw new InvalidDataException($"{run.Root}: {Path.GetFileName(path)} is missing; re-run 'genaudit import --onnx'");
        if (Checkpoint.Sha256(path) != record.Sha256)
            throw new InvalidDataException($"{path}: content does not match the SHA-256 in manifest.json ({record.Sha256}); the model was changed after import");
        var generator = OnnxGenerator.Load(path, new OnnxGeneratorOptions
        {
            LatentSize = manifest.Config.Model.LatentSize,
            ConditionCount = manifest.Config.Model.ConditionCount,
            InputNames = record.InputNames,
            OutputName = record.OutputName,
        });
        return new LoadedRun(run, manifest, 0, run.Root, generator, null, false);
    }
}
