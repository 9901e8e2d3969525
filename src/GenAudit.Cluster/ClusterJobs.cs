using GenAudit.Application;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace GenAudit.Cluster;

/// <summary>One item submitted to the cluster: its grain key, its JSON and a description for progress lines.</summary>
public sealed record ClusterJob(string Key, string ItemJson, string Description);

/// <summary>What the cluster returned: the result JSON of each finished key, the error of each failed key, how many were done before this call, and the client's calls.</summary>
/// <param name="Results">Result JSON by key.</param>
/// <param name="Failures">Error by key.</param>
/// <param name="AlreadyDone">Items done before this call (found finished by the first round).</param>
/// <param name="Calls">Grain calls the client made (starts and polls, retried ones included).</param>
/// <param name="CallSeconds">Their total round-trip time in seconds: the coordinator's load, docs/scaling.md#scaling-model.</param>
public sealed record ClusterJobsOutcome(IReadOnlyDictionary<string, string> Results, IReadOnlyDictionary<string, string> Failures, int AlreadyDone,
    int Calls, double CallSeconds);

/// <summary>
/// The client's side of cluster work of any kind: one grain per distinct key, started and then polled
/// until every item is done or failed. Calls that fail because a silo died are retried on the next round
/// (the grain comes back on another silo and restarts its item), so nothing is lost to a dead silo.
/// </summary>
public static class ClusterJobs
{
    /// <summary>Builds a client host for a cluster: localhost gateways, or Redis membership at HOST:PORT.</summary>
    public static IHost BuildClient(string? redis, IReadOnlyList<int> gatewayPorts)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            if (redis is not null)
            {
                client.UseRedisClustering(SiloOptions.ParseRedis(redis));
                client.Configure<ClusterOptions>(o => { o.ClusterId = SiloSetup.ClusterId; o.ServiceId = SiloSetup.ServiceId; });
            }
            else client.UseLocalhostClustering(gatewayPorts.ToArray(), SiloSetup.ServiceId, SiloSetup.ClusterId);
        });
        return builder.Build();
    }

    /// <summary>Runs <paramref name="jobs"/> (duplicates by key run once) as items of <paramref name="kind"/>.</summary>
    public static async Task<ClusterJobsOutcome> RunAsync(IGrainFactory grains, string kind, IReadOnlyList<ClusterJob> jobs, IProgress<string>? progress = null,
        TimeSpan? pollInterval = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var interval = pollInterval ?? TimeSpan.FromSeconds(1);
        var distinct = jobs.DistinctBy(j => j.Key).ToList();
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var alreadyDone = -1;
        var first = true;
        var calls = 0;
        var clock = new System.Diagnostics.Stopwatch();
        while (results.Count + failures.Count < distinct.Count)
        {
            cancel.ThrowIfCancellationRequested();
            if (!first) await Task.Delay(interval, cancel);
            foreach (var job in distinct.Where(j => !results.ContainsKey(j.Key) && !failures.ContainsKey(j.Key)))
            {
                var grain = grains.GetGrain<IWorkItemGrain>(job.Key);
                WorkItemStatus status;
                clock.Start();
                try
                {
                    calls++;
                    status = first ? await grain.Start(kind, job.ItemJson) : await grain.Poll();
                    if (status.Phase == WorkItemPhase.Unknown)
                    {
                        calls++;
                        status = await grain.Start(kind, job.ItemJson);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    progress?.Report($"{job.Key}: {e.GetType().Name}: {e.Message.Split('\n')[0]} (retrying)");
                    continue;
                }
                finally { clock.Stop(); }
                switch (status.Phase)
                {
                    case WorkItemPhase.Done:
                        results[job.Key] = status.ResultJson!;
                        progress?.Report($"done {job.Key}: {job.Description} ({results.Count}/{distinct.Count})");
                        break;
                    case WorkItemPhase.Failed:
                        failures[job.Key] = status.Error ?? "failed without a message";
                        progress?.Report($"failed {job.Key}: {job.Description}: {failures[job.Key]}");
                        break;
                }
            }
            if (first) alreadyDone = results.Count;
            first = false;
        }
        return new ClusterJobsOutcome(results, failures, alreadyDone, calls, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>
/// Audit-many on a cluster (<c>genaudit audit --runs/--checkpoints --cluster</c>): each prepared model folder
/// becomes an <see cref="AuditJob"/> of this call's submission, audited by a silo into that folder. The
/// folders (under --out) and the audited runs must be on a file system every silo can reach.
/// </summary>
/// <param name="grains">The cluster client.</param>
/// <param name="pollInterval">Time between polls. Default: 1 s.</param>
public sealed class ClusterAuditJobs(IGrainFactory grains, TimeSpan? pollInterval = null) : IJobExecutor
{
    readonly string _submission = Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public IReadOnlyList<string> Run(IReadOnlyList<WorkerJob> jobs, Func<WorkerJob, bool> done, IProgress<string>? progress = null,
        int alreadyDone = 0, CancellationToken cancel = default)
    {
        var submitted = jobs.Select(j => (Job: j, Audit: new AuditJob(Path.GetFullPath(j.Folder), _submission))).ToList();
        var outcome = ClusterJobs.RunAsync(grains, AuditWork.Name,
                submitted.Select(s => new ClusterJob(s.Audit.Key, s.Audit.ToJson(), $"{s.Job.Name} ({s.Job.Description})")).ToList(),
                progress, pollInterval, cancel)
            .GetAwaiter().GetResult();
        var failures = new List<string>();
        foreach (var (job, audit) in submitted)
        {
            if (outcome.Failures.TryGetValue(audit.Key, out var error))
                failures.Add($"{job.Name} ({job.Description}): {error}");
            else if (!done(job))
                failures.Add($"{job.Name} ({job.Description}): a silo finished it, but its result is not in {job.Folder}; is --out on a file system every silo can reach?");
        }
        return failures;
    }
}
