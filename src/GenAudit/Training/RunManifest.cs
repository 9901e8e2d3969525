using GenAudit.Core;
using System.Runtime.InteropServices;
using GenAudit.Models;

namespace GenAudit.Training;

/// <summary>What a run's data was: enough to check that an evaluation uses the same data.</summary>
public sealed record DataRecord(string Name, string Fingerprint, long Count, long[] SampleShape, int ClassCount);

/// <summary>Versions of everything that can change a result.</summary>
public sealed record VersionRecord(string GenAudit, string TorchSharp, string LibTorch, string DotNet, string Os, int Threads)
{
    /// <summary>The CPU, its ISA, how libtorch's convolutions were configured and the numerics self-check; null in manifests written before it existed.</summary>
    public NumericsRecord? Numerics { get; init; }

    /// <summary>The versions of this process.</summary>
    public static VersionRecord Current() => new(
        typeof(VersionRecord).Assembly.GetName().Version?.ToString(3) ?? "unknown",
        typeof(global::TorchSharp.torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
        global::TorchSharp.torch.__version__,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        global::TorchSharp.torch.get_num_threads())
    {
        Numerics = TorchRuntime.Numerics,
    };
}

/// <summary>
/// manifest.json of a run directory: the full configuration, seed, data fingerprint, versions and a
/// description of each network sufficient to rebuild it in PyTorch.
/// </summary>
public sealed record RunManifest
{
    /// <summary>Schema identifier of this file.</summary>
    public string Schema { get; init; } = "genaudit.run/1";
    /// <summary>Where the model came from: "genaudit" for trained runs, "onnx" or "pytorch" for imported ones.</summary>
    public string Source { get; init; } = "genaudit";
    /// <summary>When the run was created (UTC, ISO 8601).</summary>
    public DateTimeOffset Created { get; init; }
    /// <summary>The full training configuration (model config included).</summary>
    public required TrainingConfig Config { get; init; }
    /// <summary>The training data.</summary>
    public required DataRecord Data { get; init; }
    /// <summary>Versions at creation.</summary>
    public required VersionRecord Versions { get; init; }
    /// <summary>The networks, one entry per weights file.</summary>
    public required IReadOnlyList<NetworkDescription> Networks { get; init; }
    /// <summary>How the weights are stored.</summary>
    public string WeightsFormat { get; init; } = "safetensors; PyTorch state-dict names; spectral-norm layers as weight_orig/weight_u/weight_v (torch.nn.utils.spectral_norm)";
    /// <summary>For imported runs: the imported file and how it was read; absent for trained runs.</summary>
    public ImportRecord? Import { get; init; }
}

/// <summary>How an imported model was read (<c>genaudit import</c>); see docs/interop.md.</summary>
public sealed record ImportRecord
{
    /// <summary>"onnx", "torch.save" or "safetensors".</summary>
    public required string Format { get; init; }
    /// <summary>File name of the imported file as given.</summary>
    public required string OriginalFile { get; init; }
    /// <summary>Lower-case hex SHA-256 of the imported file.</summary>
    public required string Sha256 { get; init; }
    /// <summary>ONNX: name of the copy inside the run directory, checked against <see cref="Sha256"/> on every load.</summary>
    public string? ModelFile { get; init; }
    /// <summary>ONNX: graph inputs, the latent input first, then the condition input.</summary>
    public IReadOnlyList<string>? InputNames { get; init; }
    /// <summary>ONNX: the graph output used as the sample.</summary>
    public string? OutputName { get; init; }
    /// <summary>ONNX: how the condition is fed to the graph.</summary>
    public ConditionEncoding? ConditionEncoding { get; init; }
    /// <summary>PyTorch: the --arch spec the weights were loaded into, in canonical form.</summary>
    public string? Architecture { get; init; }
    /// <summary>PyTorch: the checkpoint entry that held the state dict (--key), if any.</summary>
    public string? Key { get; init; }
    /// <summary>PyTorch: the prefix removed from every key ("module." of nn.DataParallel / DistributedDataParallel), if any.</summary>
    public string? StrippedPrefix { get; init; }
}

/// <summary>Paths inside a run directory.</summary>
public sealed class RunDirectory(string root)
{
    /// <summary>The run directory.</summary>
    public string Root { get; } = Path.GetFullPath(root);
    /// <summary>manifest.json.</summary>
    public string Manifest => Path.Combine(Root, "manifest.json");
    /// <summary>history.jsonl.</summary>
    public string History => Path.Combine(Root, "history.jsonl");
    /// <summary>checkpoints/.</summary>
    public string Checkpoints => Path.Combine(Root, "checkpoints");
    /// <summary>checkpoints/latest.json, the pointer to the newest complete checkpoint.</summary>
    public string Latest => Path.Combine(Checkpoints, "latest.json");
    /// <summary>samples/ (a grid per checkpoint).</summary>
    public string Samples => Path.Combine(Root, "samples");
    /// <summary>loss.png.</summary>
    public string LossPlot => Path.Combine(Root, "loss.png");
    /// <summary>The folder of the checkpoint at <paramref name="step"/>.</summary>
    public string CheckpointFolder(long step) => Path.Combine(Checkpoints, CheckpointName(step));
    /// <summary>Folder name of the checkpoint at <paramref name="step"/>.</summary>
    public static string CheckpointName(long step) => $"step-{step:D8}";

    /// <summary>
    /// Resolves <paramref name="relative"/>, a path read from one of the run's own files
    /// (<paramref name="source"/>), against <paramref name="folder"/> inside the run, and refuses it
    /// unless it stays inside that folder: a run directory someone else wrote must not make GenAudit
    /// read (or trust hashes for) files elsewhere. The check is lexical; see docs/security.md.
    /// </summary>
    public string Confine(string relative, string folder, string source)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!root.StartsWith(Root, StringComparison.Ordinal))
            throw new InvalidOperationException($"{folder} is not inside the run directory {Root}");
        if (string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative) || relative.Contains('\0'))
            throw new InvalidDataException($"{source}: the path '{relative}' must be relative to {root}; the run directory was modified by hand or comes from an untrusted source");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: the path '{relative}' leads outside {root}; the run directory was modified by hand or comes from an untrusted source");
        return full;
    }
}
