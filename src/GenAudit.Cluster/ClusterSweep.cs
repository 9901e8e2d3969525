using System.Text.Json;
using GenAudit.Application;
using GenAudit.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace GenAudit.Cluster;

/// <summary>
/// Submits a sweep to a cluster: one grain per distinct item, started and then polled until every item
/// is done. Calls that fail because a silo died are retried on the next round (the grain comes back on
/// another silo and restarts its item), so the table equals a run with no failure.
/// </summary>
public static class ClusterSweep
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

    /// <summary>Runs every item of <paramref name="spec"/> on the cluster and writes the table into <paramref name="outFolder"/>.</summary>
    public static async Task<SweepOutcome> RunAsync(IGrainFactory grains, SweepSpec spec, string outFolder, IProgress<string>? progress = null,
        TimeSpan? pollInterval = null, CancellationToken cancel = default)
    {
        var interval = pollInterval ?? TimeSpan.FromSeconds(1);
        var items = spec.Items();
        var distinct = items.DistinctBy(i => i.Key).ToList();
        var results = new Dictionary<string, SweepResult>();
        var failures = new Dictionary<string, string>();
        var alreadyDone = -1;
        var first = true;
        while (results.Count + failures.Count < distinct.Count)
        {
            cancel.ThrowIfCancellationRequested();
            if (!first) await Task.Delay(interval, cancel);
            foreach (var item in distinct.Where(i => !results.ContainsKey(i.Key) && !failures.ContainsKey(i.Key)))
            {
                var grain = grains.GetGrain<ISweepItemGrain>(item.Key);
                SweepItemStatus status;
                try
                {
                    status = first ? await grain.Start(JsonSerializer.Serialize(item, Json.Compact)) : await grain.Poll();
                    if (status.Phase == SweepItemPhase.Unknown) status = await grain.Start(JsonSerializer.Serialize(item, Json.Compact));
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    progress?.Report($"{item.Key}: {e.GetType().Name}: {e.Message.Split('\n')[0]} (retrying)");
                    continue;
                }
                switch (status.Phase)
                {
                    case SweepItemPhase.Done:
                        results[item.Key] = JsonSerializer.Deserialize<SweepResult>(status.ResultJson!, Json.Options)!;
                        progress?.Report($"done {item.Key}: {item.Data}, {item.Recipe}, seed {item.Seed} ({results.Count}/{distinct.Count})");
                        break;
                    case SweepItemPhase.Failed:
                        failures[item.Key] = $"{item.Key} ({item.Data}, {item.Recipe}, seed {item.Seed}): {status.Error}";
                        break;
                }
            }
            if (first) alreadyDone = results.Count;
            first = false;
        }
        if (failures.Count > 0) throw new SweepFailedException(failures.Values.ToList());
        var (markdown, json) = SweepTable.Write(spec, items, results, outFolder);
        return new SweepOutcome(distinct.Count - alreadyDone, alreadyDone, markdown, json);
    }
}
