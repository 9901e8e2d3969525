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
            builder.ConfigureSilo((_, silo) => SiloSetup.AddWork(silo, new SiloOptions { Artifacts = artifacts }));
            await using var cluster = builder.Build();
            await cluster.DeployAsync();
            var workers = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<ClusterExecutor>()).ToList();

            // Hold the first item that reaches a secondary silo until that silo is stopped (as a killed
            // process would leave it), then stop it; the sweep must not notice.
            var held = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            for (var i = 1; i < workers.Count; i++)
            {
                var silo = i;
                workers[i].BeforeRun = async (_, stopping) =>
                {
                    if (held.TrySetResult(silo)) await Task.Delay(Timeout.Infinite, stopping);
                };
            }
            var output = Path.Combine(root, "cluster");
            var sweep = ClusterSweep.RunAsync(cluster.Client, spec, output, pollInterval: TimeSpan.FromMilliseconds(200));
            var arrived = await Task.WhenAny(held.Task, sweep);
            Assert.True(arrived == held.Task, "every item was placed on the primary silo; no secondary silo had an item to lose");
            var victim = cluster.Silos[await held.Task];
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
}
