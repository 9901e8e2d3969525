using GenAudit.Application;
using GenAudit.Cli.Commands;
using GenAudit.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace GenAudit.Tests.Cluster;

/// <summary>
/// The tiny sweep (docs/examples/tiny.sweep.json: four ring8 runs of 150 steps) run by the local runner in
/// two worker processes, then on an in-process Orleans cluster of three silos, one of which is stopped
/// while it trains an item, then submitted twice more at once. One test, so the runs are paid for once.
/// </summary>
public class ClusterSweepTests
{
    [Fact]
    public async Task ClusterGivesTheLocalTableThroughASiloStopAndRunsDuplicatesOnce()
    {
        var spec = SweepSpec.Load(Path.Combine(Build.Layering.Root(), "docs", "examples", "tiny.sweep.json"));
        var root = Directory.CreateTempSubdirectory("genaudit-sweep-").FullName;
        try
        {
            // Local runner: two worker processes; then a rerun that finds every result and runs nothing.
            var local = Path.Combine(root, "local");
            var first = new LocalSweepRunner(2, SweepCommand.WorkerCommand).Run(spec, new SweepFolder(local));
            Assert.Equal((4, 0), (first.Ran, first.Skipped));
            var localTable = File.ReadAllText(first.Markdown);
            var localJson = File.ReadAllText(first.Json);
            var again = new LocalSweepRunner(2, SweepCommand.WorkerCommand).Run(spec, new SweepFolder(local));
            Assert.Equal((0, 4), (again.Ran, again.Skipped));
            Assert.Equal(localTable, File.ReadAllText(again.Markdown));

            var artifacts = Path.Combine(root, "artifacts");
            var builder = new InProcessTestClusterBuilder(3);
            builder.ConfigureSilo((_, silo) => SiloSetup.AddSweep(silo, new SiloOptions { Artifacts = artifacts }));
            await using var cluster = builder.Build();
            await cluster.DeployAsync();
            var workers = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<SweepWorker>()).ToList();

            // Stop a secondary silo as soon as it is training an item; the sweep must not notice.
            var output = Path.Combine(root, "cluster");
            var sweep = ClusterSweep.RunAsync(cluster.Client, spec, output, pollInterval: TimeSpan.FromMilliseconds(200));
            var victim = await WaitForBusySecondary(cluster, workers, sweep);
            Assert.NotNull(victim);
            await cluster.StopSiloAsync(victim);
            var outcome = await sweep;
            Assert.Equal(localTable, File.ReadAllText(outcome.Markdown));
            Assert.Equal(localJson, File.ReadAllText(outcome.Json));
            var executions = workers.Sum(w => w.Executions);
            Assert.InRange(executions, 4, 5); // the stopped silo's item ran again elsewhere, nothing else did

            // Two more submissions of the same sweep at once: every item is already done, nothing runs.
            var duplicates = await Task.WhenAll(
                ClusterSweep.RunAsync(cluster.Client, spec, Path.Combine(root, "again-1"), pollInterval: TimeSpan.FromMilliseconds(200)),
                ClusterSweep.RunAsync(cluster.Client, spec, Path.Combine(root, "again-2"), pollInterval: TimeSpan.FromMilliseconds(200)));
            Assert.All(duplicates, d => Assert.Equal((0, 4), (d.Ran, d.Skipped)));
            Assert.All(duplicates, d => Assert.Equal(localTable, File.ReadAllText(d.Markdown)));
            Assert.Equal(executions, workers.Sum(w => w.Executions));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    static async Task<InProcessSiloHandle?> WaitForBusySecondary(InProcessTestCluster cluster, List<SweepWorker> workers, Task sweep)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !sweep.IsCompleted)
        {
            for (var i = 1; i < cluster.Silos.Count; i++)
                if (workers[i].Running > 0) return cluster.Silos[i];
            await Task.Delay(50);
        }
        return null;
    }
}
