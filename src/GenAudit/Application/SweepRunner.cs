using System.Diagnostics;
using GenAudit.Core;

namespace GenAudit.Application;

/// <summary>How a sweep ended: items run now, items skipped because an earlier run finished them, and the table files.</summary>
/// <param name="Ran">Items run by this call.</param>
/// <param name="Skipped">Items whose result.json already existed.</param>
/// <param name="Markdown">Path of sweep.md.</param>
/// <param name="Json">Path of sweep.json.</param>
public sealed record SweepOutcome(int Ran, int Skipped, string Markdown, string Json);

/// <summary>
/// The output folder of a sweep: items/&lt;key&gt;/ holds each item's description, run and result.
/// Done means result.json exists; everything is written atomically, so a sweep killed at any point
/// resumes by running only the items without a result.
/// </summary>
public sealed class SweepFolder(string root)
{
    /// <summary>The folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>An item's folder.</summary>
    public string ItemFolder(string key) => Path.Combine(Root, "items", key);

    /// <summary>Writes every item's item.json (unchanged items keep theirs) and returns the distinct items, first occurrence first.</summary>
    public IReadOnlyList<SweepItem> Prepare(IReadOnlyList<SweepItem> items)
    {
        var distinct = items.DistinctBy(i => i.Key).ToList();
        foreach (var item in distinct)
        {
            var path = Path.Combine(ItemFolder(item.Key), SweepItemRunner.ItemFile);
            if (File.Exists(path)) continue;
            Directory.CreateDirectory(ItemFolder(item.Key));
            Json.WriteFile(path, item);
        }
        return distinct;
    }

    /// <summary>The result of an item, or null when it has none yet.</summary>
    public SweepResult? Result(string key)
    {
        var path = Path.Combine(ItemFolder(key), SweepItemRunner.ResultFile);
        return File.Exists(path) ? Json.ReadFile<SweepResult>(path) : null;
    }

    /// <summary>Reads the item in <paramref name="itemFolder"/> and checks that its key matches its fields.</summary>
    public static SweepItem ReadItem(string itemFolder) => Json.ReadFile<SweepItem>(Path.Combine(itemFolder, SweepItemRunner.ItemFile)).Verified();
}

/// <summary>
/// Runs a sweep on this machine in <c>workers</c> child processes, one item per process (libtorch's
/// thread pool is per process, and each item sets its own thread count), and writes the table.
/// </summary>
/// <param name="workers">Worker processes at once.</param>
/// <param name="worker">The command line of a worker for an item folder: program and arguments.</param>
public sealed class LocalSweepRunner(int workers, Func<string, ProcessStartInfo> worker)
{
    /// <summary>Runs every item of <paramref name="spec"/> that <paramref name="folder"/> has no result for, then writes the table.</summary>
    public SweepOutcome Run(SweepSpec spec, SweepFolder folder, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), $"--workers is {workers}; it must be at least 1");
        var items = spec.Items();
        var distinct = folder.Prepare(items);
        var pending = distinct.Where(i => folder.Result(i.Key) is null)
            .Select(i => new WorkerJob(i.Key, folder.ItemFolder(i.Key), $"{i.Data}, {i.Recipe}, seed {i.Seed}")).ToList();
        var skipped = distinct.Count - pending.Count;
        if (skipped > 0) progress?.Report($"{skipped} of {distinct.Count} items already have a result; running the other {pending.Count}");
        var failures = new WorkerPool(workers, worker).Run(pending, job => folder.Result(job.Name) is not null, progress, skipped, cancel);
        if (failures.Count > 0) throw new SweepFailedException(failures);
        var results = distinct.ToDictionary(i => i.Key, i => folder.Result(i.Key)!);
        var (markdown, json) = SweepTable.Write(spec, items, results, folder.Root);
        return new SweepOutcome(pending.Count, skipped, markdown, json);
    }
}

/// <summary>Some sweep items failed; the completed ones keep their results and a rerun skips them.</summary>
public sealed class SweepFailedException(IReadOnlyList<string> failures)
    : Exception($"{failures.Count} sweep item(s) failed; rerun the same command to retry them (finished items are skipped):\n" + string.Join("\n", failures))
{
    /// <summary>One line per failed item.</summary>
    public IReadOnlyList<string> Failures { get; } = failures;
}
