using System.Diagnostics;
using GenAudit.Core;
using GenAudit.Tests.Training;
using GenAudit.Training;

namespace GenAudit.Tests.Core;

/// <summary>
/// Issue #18, item 6: libtorch's OpenMP wait policy (passive by default, set before libtorch loads)
/// and the settings that look process-wide (the thread count, which libtorch in fact keeps per
/// thread, and the global random generator) under concurrent library calls: made safe, not refused.
/// </summary>
public sealed class ProcessWideSettingsTests
{
    [Theory]
    [InlineData(null, "0")]                   // GenAudit's default: passive, libgomp never spins
    [InlineData("ACTIVE", "30000000000")]     // the user's choice is kept
    public async Task TheWaitPolicyReachesLibgompInAFreshProcess(string? userPolicy, string expectedSpinCount)
    {
        // libgomp reads OMP_WAIT_POLICY once, when libtorch loads, and prints what it uses when
        // OMP_DISPLAY_ENV=verbose: GOMP_SPINCOUNT is 0 under PASSIVE, 300000 when nothing was set,
        // 3e10 under ACTIVE. Only a fresh process shows whether the setenv came before the load.
        var cli = Path.Combine(AppContext.BaseDirectory, "GenAudit.Cli.dll");
        using var run = new TempRun();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "train", "--data", "ring8", "--steps", "2", "--out", run.Sub("r") })
            start.ArgumentList.Add(a);
        start.Environment.Remove("OMP_WAIT_POLICY");
        start.Environment.Remove("GOMP_SPINCOUNT");
        if (userPolicy is not null) start.Environment["OMP_WAIT_POLICY"] = userPolicy;
        start.Environment["OMP_DISPLAY_ENV"] = "verbose";
        start.Environment["GENAUDIT_CACHE"] = run.Sub("cache");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        var spin = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("GOMP_SPINCOUNT = ", StringComparison.Ordinal));
        Assert.Equal($"GOMP_SPINCOUNT = '{expectedSpinCount}'", spin);
        Assert.Contains($"OMP_WAIT_POLICY = '{userPolicy ?? "PASSIVE"}'", output);
    }

    [Fact]
    public void InThisProcessGenAuditChoseThePassivePolicyUnlessTheUserChoseOne()
    {
        if (CpuKernels.OpenMpWaitPolicySetBy == "user") return; // the test runner's environment set it
        Assert.Equal("genaudit", CpuKernels.OpenMpWaitPolicySetBy);
        Assert.Equal("PASSIVE", CpuKernels.OpenMpWaitPolicy);
    }

    [Fact]
    public void NestedLeasesChangeTheThreadCountAndRestoreIt()
    {
        var before = TorchSharp.torch.get_num_threads();
        using (TorchThreads.Use(1))
        {
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
            using (TorchThreads.Use(2)) Assert.Equal(2, TorchSharp.torch.get_num_threads());
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
    }

    [Fact]
    public void TheThreadCountIsHeldPerThreadSoConcurrentLeasesAtDifferentCountsDoNotDisturbEachOther()
    {
        // libtorch keeps the count in OpenMP's per-thread state: a lease on one thread must not change
        // what another thread computes with, in either direction.
        using var bothHold = new Barrier(2);
        using var bothLooked = new Barrier(2);
        var seen = new int[2, 2];
        var threads = new[] { 1, 2 }.Select((count, i) => new Thread(() =>
        {
            TorchSharp.torch.set_num_threads(3 - count); // whatever ran on this thread before left the other count
            seen[i, 0] = TorchSharp.torch.get_num_threads();
            using (TorchThreads.Use(count))
            {
                bothHold.SignalAndWait();
                seen[i, 1] = TorchSharp.torch.get_num_threads();
                bothLooked.SignalAndWait();
            }
            Assert.Equal(3 - count, TorchSharp.torch.get_num_threads());
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Equal(new[,] { { 2, 1 }, { 1, 2 } }, seen);
    }

    [Fact]
    public async Task ALeaseEndedOnAnotherThreadIsAnError()
    {
        var lease = TorchThreads.Use(1);
        Task<Exception?> other;
        using (ExecutionContext.SuppressFlow()) other = Task.Factory.StartNew(() => Record(lease.Dispose), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var error = Assert.IsType<InvalidOperationException>(await other);
        Assert.Contains("end the lease on that thread", error.Message);
        lease.Dispose();
    }

    [Fact]
    public void TwoTrainersOnTwoThreadsEndWithTheWeightsOfTheSameTrainersRunOneAfterTheOther()
    {
        // Different thread counts (1 and 2), on threads that last ran torch code at the other count,
        // side by side: the networks are built under GlobalRandom.Lock, every draw during training
        // comes from the trainer's own generator, and each run sets its count on its own thread, so
        // no bit may change against the same two runs one after the other.
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(128);
        var configs = new[] { (Seed: 7L, Threads: 1), (Seed: 8L, Threads: 2) }
            .Select(c => TrainingFixtures.TinyConvGan(40) with { Seed = c.Seed, Threads = c.Threads }).ToArray();
        foreach (var config in configs)
        {
            using var trainer = new Trainer(config, data, temp.Sub($"serial-{config.Seed}"));
            trainer.Run();
        }
        using var start = new Barrier(configs.Length);
        var errors = new Exception?[configs.Length];
        var threads = configs.Select((config, i) => new Thread(() =>
        {
            TorchSharp.torch.set_num_threads(3 - config.Threads);
            errors[i] = Record(() =>
            {
                using var trainer = new Trainer(config, data, temp.Sub($"concurrent-{config.Seed}"));
                start.SignalAndWait();
                trainer.Run();
            });
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(errors, Assert.Null);
        foreach (var config in configs)
        {
            var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub($"serial-{config.Seed}")))!.Value;
            var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub($"concurrent-{config.Seed}")))!.Value;
            var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).ToList();
            Assert.NotEmpty(files);
            foreach (var file in files)
            {
                var left = TrainingFixtures.StateBytes(Path.Combine(a.Folder, file!));
                var right = TrainingFixtures.StateBytes(Path.Combine(b.Folder, file!));
                Assert.Equal(left.Keys.Order(), right.Keys.Order());
                foreach (var key in left.Keys) Assert.True(left[key].AsSpan().SequenceEqual(right[key]), $"seed {config.Seed}: {file}/{key} differs");
            }
        }
    }

    static Exception? Record(Action action)
    {
        try { action(); return null; }
        catch (Exception e) { return e; }
    }
}
