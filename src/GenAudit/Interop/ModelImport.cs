using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Interop;

/// <summary>
/// Turns models GenAudit did not train into run directories that <c>Runs.RunLoader</c> opens like
/// trained runs: an ONNX generator (black box, copied with its SHA-256) or a PyTorch state dict
/// loaded into a built-in architecture (white box, converted to the standard safetensors checkpoint).
/// </summary>
public static class ModelImport
{
    /// <summary><see cref="RunManifest.Source"/> of an imported ONNX generator.</summary>
    public const string OnnxSource = "onnx";

    /// <summary><see cref="RunManifest.Source"/> of an imported PyTorch state dict.</summary>
    public const string PyTorchSource = "pytorch";

    /// <summary>Name of the ONNX model's copy inside the run directory.</summary>
    public const string OnnxModelFile = "model.onnx";

    /// <summary>
    /// Checks <paramref name="onnxPath"/> against <paramref name="options"/> (inputs, output, a probe
    /// batch), then creates the run directory <paramref name="outDirectory"/> with the model copied
    /// in and a manifest of Source "onnx". <paramref name="data"/> (a <c>--data</c> spec) records the
    /// data the model should be compared with; its sample shape must match the model's output.
    /// </summary>
    public static RunDirectory ImportOnnx(string onnxPath, OnnxGeneratorOptions options, string outDirectory, string? data = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        TorchRuntime.EnsureLoaded();
        var run = NewRun(outDirectory);
        using var generator = OnnxGenerator.Load(onnxPath, options);
        var model = new ModelConfig
        {
            Family = generator.ConditionCount > 0 ? ModelFamily.Cgan : ModelFamily.Gan,
            LatentSize = generator.LatentSize,
            ConditionCount = generator.ConditionCount,
            DataShape = generator.OutputShape,
        };
        var dataRecord = DescribeData(data, generator.OutputShape, generator.ConditionCount);
        var sha = Checkpoint.Sha256(onnxPath);
        Directory.CreateDirectory(run.Root);
        AtomicFile.WriteAllBytes(Path.Combine(run.Root, OnnxModelFile), File.ReadAllBytes(onnxPath));
        Json.WriteFile(run.Manifest, new RunManifest
        {
            Source = OnnxSource,
            Created = DateTimeOffset.UtcNow,
            Config = new TrainingConfig { Data = data ?? "none", Model = model, Steps = 0 },
            Data = dataRecord,
            Versions = VersionRecord.Current(),
            Networks = [],
            WeightsFormat = "onnx (black box: forward passes through ONNX Runtime only)",
            Import = new ImportRecord
            {
                Format = "onnx",
                OriginalFile = Path.GetFileName(onnxPath),
                Sha256 = sha,
                ModelFile = OnnxModelFile,
                InputNames = generator.ConditionInputName is null ? [generator.LatentInputName] : [generator.LatentInputName, generator.ConditionInputName],
                OutputName = generator.OutputName,
                ConditionEncoding = generator.ConditionEncoding,
            },
        });
        return run;
    }

    /// <summary>
    /// Loads the state dict in <paramref name="weightsPath"/> (.pt/.pth/.bin from torch.save, or
    /// .safetensors; <paramref name="key"/> picks an entry of a checkpoint dict) into the built-in
    /// architecture <paramref name="architecture"/> (<see cref="ArchitectureSpec"/>) with strict name
    /// and shape checks, and writes it as step 0 of a new run directory of Source "pytorch". A GAN
    /// state dict is the generator's; the run then has no discriminator.
    /// </summary>
    public static RunDirectory ImportPyTorch(string weightsPath, string architecture, string outDirectory, string? key = null, string? data = null)
    {
        TorchRuntime.EnsureLoaded();
        var config = ArchitectureSpec.Parse(architecture);
        var run = NewRun(outDirectory);
        var dataRecord = DescribeData(data, config.DataShape, config.ConditionCount);
        var tensors = PyTorchStateDict.Load(weightsPath, key);
        var strippedPrefix = StripWrapperPrefix(tensors);
        ToFloat32(tensors);
        using var network = config.IsGan ? (nn.Module)new GanGenerator(config) : new Vae(config);
        try
        {
            ModuleWeights.LoadInto(network, tensors, Path.GetFileName(weightsPath));
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
        var description = ((IDescribedNetwork)network).Describe();
        var file = config.IsGan ? "generator.safetensors" : "vae.safetensors";
        // The checkpoint goes first so that a failure leaves no manifest claiming a complete run.
        Checkpoint.Write(run, 0, new Dictionary<string, Action<string>> { [file] = path => ModuleWeights.Save(network, path) }, keep: 1);
        Json.WriteFile(run.Manifest, new RunManifest
        {
            Source = PyTorchSource,
            Created = DateTimeOffset.UtcNow,
            Config = new TrainingConfig { Data = data ?? "none", Model = config, Steps = 0 },
            Data = dataRecord,
            Versions = VersionRecord.Current(),
            Networks = [description],
            Import = new ImportRecord
            {
                Format = Path.GetExtension(weightsPath).Equals(".safetensors", StringComparison.OrdinalIgnoreCase) ? "safetensors" : "torch.save",
                OriginalFile = Path.GetFileName(weightsPath),
                Sha256 = Checkpoint.Sha256(weightsPath),
                Architecture = ArchitectureSpec.Format(config),
                Key = key,
                StrippedPrefix = strippedPrefix,
            },
        });
        return run;
    }

    /// <summary>
    /// nn.DataParallel and DistributedDataParallel save their wrapped module's weights as "module.&lt;name&gt;".
    /// When every key carries that prefix, removes it in place and returns it; otherwise returns null.
    /// </summary>
    /// <summary>
    /// GenAudit's networks are float32; float16, bfloat16 and float64 weights are converted here, on
    /// purpose, because <see cref="ModuleWeights.LoadInto"/> refuses any dtype that differs.
    /// </summary>
    static void ToFloat32(Dictionary<string, Tensor> tensors)
    {
        foreach (var key in tensors.Keys.ToList())
        {
            var tensor = tensors[key];
            if (tensor.dtype is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64)) continue;
            tensors[key] = tensor.to_type(ScalarType.Float32).DetachFromDisposeScope();
            tensor.Dispose();
        }
    }

    internal static string? StripWrapperPrefix(Dictionary<string, Tensor> tensors)
    {
        const string prefix = "module.";
        if (tensors.Count == 0 || !tensors.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal))) return null;
        foreach (var name in tensors.Keys.ToList())
        {
            tensors[name[prefix.Length..]] = tensors[name];
            tensors.Remove(name);
        }
        return prefix;
    }

    static RunDirectory NewRun(string outDirectory)
    {
        if (string.IsNullOrWhiteSpace(outDirectory)) throw new ArgumentException("--out DIR is required");
        var run = new RunDirectory(outDirectory);
        if (File.Exists(run.Manifest)) throw new ArgumentException($"{run.Root} already holds a run; choose another --out");
        return run;
    }

    static DataRecord DescribeData(string? spec, long[] outputShape, int conditionCount)
    {
        if (spec is null) return new DataRecord("none", "", 0, outputShape, conditionCount);
        var options = outputShape.Length == 3 ? new DatasetOptions { ImageSize = (int)outputShape[2], Color = outputShape[0] == 3 ? ColorMode.Rgb : ColorMode.Grayscale } : null;
        var dataset = DatasetRegistry.Resolve(spec, options);
        if (!dataset.SampleShape.SequenceEqual(outputShape))
            throw new ArgumentException($"--data {spec}: its samples are [{string.Join(", ", dataset.SampleShape)}] but the model produces [{string.Join(", ", outputShape)}]");
        if (conditionCount > 0 && dataset.ClassNames.Count != conditionCount)
            throw new ArgumentException($"--data {spec}: it has {dataset.ClassNames.Count} classes but the model is conditioned on {conditionCount}");
        return new DataRecord(dataset.Name, dataset.Fingerprint, dataset.Count, dataset.SampleShape, dataset.ClassNames.Count);
    }
}
