using System.Text.Json;
using GenAudit.Application;
using GenAudit.Core;
using Orleans;

namespace GenAudit.Cluster;

/// <summary>
/// Submits a sweep to a cluster (<see cref="ClusterJobs"/>: one grain per distinct item, started and polled
/// until every item is done; a dead silo's items are rerun elsewhere), so the table equals a run with no
/// failure.
/// </summary>
public static class ClusterSweep
{
    /// <summary>Runs every item of <paramref name="spec"/> on the cluster and writes the table into <paramref name="outFolder"/>.</summary>
    public static async Task<SweepOutcome> RunAsync(IGrainFactory grains, SweepSpec spec, string outFolder, IProgress<string>? progress = null,
        TimeSpan? pollInterval = null, CancellationToken cancel = default)
    {
        var items = spec.Items();
        var distinct = items.DistinctBy(i => i.Key).ToList();
        var jobs = distinct.Select(i => new ClusterJob(i.Key, JsonSerializer.Serialize(i, Json.Compact), $"{i.Data}, {i.Recipe}, seed {i.Seed}")).ToList();
        var outcome = await ClusterJobs.RunAsync(grains, SweepWork.Name, jobs, progress, pollInterval, cancel);
        if (outcome.Failures.Count > 0)
            throw new SweepFailedException(jobs.Where(j => outcome.Failures.ContainsKey(j.Key)).Select(j => $"{j.Key} ({j.Description}): {outcome.Failures[j.Key]}").ToList());
        var results = outcome.Results.ToDictionary(kv => kv.Key, kv => JsonSerializer.Deserialize<SweepResult>(kv.Value, Json.Options)!);
        var (markdown, json) = SweepTable.Write(spec, items, results, outFolder);
        progress?.Report($"cluster calls: {outcome.Calls} (starts and polls), {1000 * outcome.CallSeconds / Math.Max(1, outcome.Calls):F2} ms each on average");
        return new SweepOutcome(distinct.Count - outcome.AlreadyDone, outcome.AlreadyDone, markdown, json);
    }
}
