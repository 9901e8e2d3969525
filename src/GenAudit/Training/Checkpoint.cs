using System.Security.Cryptography;
using GenAudit.Core;
using TorchSharp;

namespace GenAudit.Training;

/// <summary>checkpoints/latest.json: the newest complete checkpoint.</summary>
public sealed record LatestCheckpoint(long Step, string Folder);

/// <summary>state.json inside a checkpoint folder: the step and a SHA-256 per file, checked on load.</summary>
public sealed record CheckpointState(long Step, IReadOnlyDictionary<string, string> Files);

/// <summary>
/// Writes and reads checkpoints atomically: files go into a hidden temporary folder (each written
/// with fsync), the folder is renamed into place, and only then is latest.json replaced. A crash at
/// any point leaves the previous checkpoint intact and pointed to.
/// </summary>
public static class Checkpoint
{
    /// <summary>Writes a checkpoint of <paramref name="step"/>: <paramref name="writers"/> maps file names to writers.</summary>
    public static string Write(RunDirectory run, long step, IReadOnlyDictionary<string, Action<string>> writers, int keep)
    {
        Directory.CreateDirectory(run.Checkpoints);
        var final = run.CheckpointFolder(step);
        var temp = Path.Combine(run.Checkpoints, $".{RunDirectory.CheckpointName(step)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (file, write) in writers)
            {
                var path = Path.Combine(temp, file);
                write(path);
                hashes[file] = Sha256(path);
            }
            Json.WriteFile(Path.Combine(temp, "state.json"), new CheckpointState(step, hashes));
            // Re-writing a step (a stop right after a periodic checkpoint) must never leave latest.json
            // pointing at nothing: the old folder is set aside under a name FindLatest also accepts,
            // and deleted only once its replacement is in place.
            var replaced = Replaced(final);
            if (Directory.Exists(replaced)) Directory.Delete(replaced, recursive: true);
            if (Directory.Exists(final)) Directory.Move(final, replaced);
            Directory.Move(temp, final);
            if (Directory.Exists(replaced)) Directory.Delete(replaced, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        Json.WriteFile(run.Latest, new LatestCheckpoint(step, RunDirectory.CheckpointName(step)));
        Prune(run, keep, step);
        return final;
    }

    /// <summary>The newest complete checkpoint, verified against its hashes; null when the run has none.</summary>
    public static (LatestCheckpoint Latest, string Folder)? FindLatest(RunDirectory run)
    {
        if (!File.Exists(run.Latest)) return null;
        var latest = Json.ReadFile<LatestCheckpoint>(run.Latest);
        var folder = run.Confine(latest.Folder, run.Checkpoints, run.Latest);
        if (!Directory.Exists(folder) && Directory.Exists(Replaced(folder))) folder = Replaced(folder);
        if (!Directory.Exists(folder))
            throw new InvalidDataException($"{run.Latest}: points at {latest.Folder}, which does not exist; the run directory was modified by hand");
        Verify(run, folder);
        return (latest, folder);
    }

    /// <summary>The steps of the run's complete checkpoints (folders step-NNNNNNNN with a state.json), oldest first.</summary>
    public static IReadOnlyList<long> Steps(RunDirectory run) =>
        !Directory.Exists(run.Checkpoints) ? []
        : Directory.GetDirectories(run.Checkpoints, "step-*")
            .Where(f => File.Exists(Path.Combine(f, "state.json")))
            .Select(Path.GetFileName)
            .Select(n => long.TryParse(n.AsSpan(5), out var step) && n == RunDirectory.CheckpointName(step) ? step : -1)
            .Where(step => step >= 0)
            .Order()
            .ToList();

    /// <summary>The checkpoint of <paramref name="step"/>, verified against its hashes.</summary>
    public static (LatestCheckpoint Latest, string Folder) Find(RunDirectory run, long step)
    {
        var folder = run.CheckpointFolder(step);
        if (!Directory.Exists(folder))
            throw new InvalidDataException($"{run.Root}: no checkpoint of step {step} (the run has {string.Join(", ", Steps(run).DefaultIfEmpty(-1).Select(s => s < 0 ? "none" : s.ToString(System.Globalization.CultureInfo.InvariantCulture)))})");
        Verify(run, folder);
        return (new LatestCheckpoint(step, RunDirectory.CheckpointName(step)), folder);
    }

    // Every file state.json lists is present, inside the folder and unchanged.
    static void Verify(RunDirectory run, string folder)
    {
        var stateFile = Path.Combine(folder, "state.json");
        var state = Json.ReadFile<CheckpointState>(stateFile);
        if (state.Files is null) throw new InvalidDataException($"{stateFile}: \"files\" is missing; the checkpoint is corrupt");
        foreach (var (file, hash) in state.Files)
        {
            var path = run.Confine(file, folder, stateFile);
            if (!File.Exists(path)) throw new InvalidDataException($"{folder}: {file} is missing");
            if (Sha256(path) != hash) throw new InvalidDataException($"{path}: content does not match the hash in state.json; the checkpoint is corrupt");
        }
    }

    /// <summary>Where a checkpoint folder waits while a new checkpoint of the same step replaces it.</summary>
    static string Replaced(string folder) => Path.Combine(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".replaced");

    static void Prune(RunDirectory run, int keep, long newest)
    {
        var folders = Directory.GetDirectories(run.Checkpoints, "step-*")
            .Select(Path.GetFileName)
            .Where(n => n is not null && long.TryParse(n.AsSpan(5), out _))
            .Select(n => (Name: n!, Step: long.Parse(n!.AsSpan(5))))
            .Where(f => f.Step != newest)
            .OrderByDescending(f => f.Step)
            .Skip(keep - 1);
        foreach (var folder in folders) Directory.Delete(Path.Combine(run.Checkpoints, folder.Name), recursive: true);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Saves an optimiser's state (TorchSharp's own format) atomically.</summary>
    public static void SaveOptimizer(TorchSharp.Modules.OptimizerHelper optimizer, string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
        AtomicFile.WriteAllBytes(path, buffer.ToArray());
    }

    /// <summary>Restores an optimiser's state.</summary>
    public static void LoadOptimizer(TorchSharp.Modules.OptimizerHelper optimizer, string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        optimizer.load_state_dict(reader);
    }
}
