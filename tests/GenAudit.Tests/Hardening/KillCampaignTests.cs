using System.Diagnostics;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Tests.Training;
using GenAudit.Training;

namespace GenAudit.Tests.Hardening;

/// <summary>
/// Issue #18 item 7: a tiny CLI training run is killed with SIGKILL at 20 random points (half of them
/// while a checkpoint folder is being written) and resumed each time; every checkpoint the killed
/// chain leaves, and its end, must be bit-identical to a straight run's.
/// </summary>
public class KillCampaignTests
{
    const int Kills = 20;

    [Fact]
    public void TwentyKillsIncludingMidCheckpointEachResumeBitIdenticalToAStraightRun()
    {
        using var temp = new TempRun();
        var chain = new RunDirectory(temp.Sub("chain"));
        var straight = new RunDirectory(temp.Sub("straight"));
        var random = new Random(18);
        var killedMidCheckpoint = 0;
        TensorTrainingData? data = null;
        RunManifest? manifest = null;
        Trainer? reference = null;
        try
        {
            for (var kill = 0; kill < Kills; kill++)
            {
                var startStep = LatestStep(chain);
                var errors = new System.Text.StringBuilder();
                using var process = StartTrain(chain.Root, resume: kill > 0, errors);
                var deadline = Stopwatch.StartNew();
                // Wait until this process trains (a newer checkpoint appears), then kill it at a random moment or mid-write.
                while (!process.HasExited && LatestStep(chain) <= startStep && deadline.Elapsed < TimeSpan.FromSeconds(60))
                    Thread.Sleep(2);
                if (kill % 2 == 1)
                {
                    while (!process.HasExited && !Directory.EnumerateDirectories(chain.Checkpoints, ".step-*.tmp").Any() && deadline.Elapsed < TimeSpan.FromSeconds(60))
                        Thread.SpinWait(50);
                    if (!process.HasExited) killedMidCheckpoint++;
                }
                else
                {
                    Thread.Sleep(random.Next(0, 100));
                }
                Assert.False(process.HasExited, $"kill {kill}: the run ended before it was killed (exit {(process.HasExited ? process.ExitCode : 0)}): {errors}");
                process.Kill();
                process.WaitForExit();

                var latest = Checkpoint.FindLatest(chain);
                Assert.NotNull(latest);
                if (manifest is null)
                {
                    // The straight run, in this process, with the chain's own configuration and every
                    // checkpoint kept; it is advanced to each step the chain reaches, never further.
                    manifest = Json.ReadFile<RunManifest>(chain.Manifest);
                    data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve(manifest.Config.Data, manifest.Config.DataOptions()));
                    reference = new Trainer(manifest.Config with { KeepCheckpoints = 100_000 }, data, straight.Root);
                }
                if (reference!.Step < latest.Value.Latest.Step) reference.Run(stopAtStep: latest.Value.Latest.Step, checkpointAtStop: false);
                AssertSameCheckpoint(straight, latest.Value.Folder, latest.Value.Latest.Step);
            }
            Assert.True(killedMidCheckpoint >= Kills / 4, $"only {killedMidCheckpoint} kills landed during a checkpoint write");

            // One last resume, in this process, a few checkpoints further; its history must match the straight run's too.
            long end;
            using (var resumed = new Trainer(manifest!.Config, data!, chain.Root, resume: true))
            {
                end = resumed.Step + 3 * manifest.Config.CheckpointEvery;
                resumed.Run(stopAtStep: end, checkpointAtStop: false);
            }
            reference!.Run(stopAtStep: end, checkpointAtStop: false);
            var last = Checkpoint.FindLatest(chain)!.Value;
            Assert.Equal(end, last.Latest.Step);
            AssertSameCheckpoint(straight, last.Folder, end);
            Assert.Equal(HistoryFile.Read(straight.History).Select(h => (h.Step, h.LossD, h.LossG)),
                         HistoryFile.Read(chain.History).Select(h => (h.Step, h.LossD, h.LossG)));
        }
        finally
        {
            reference?.Dispose();
            data?.Dispose();
        }
    }

    /// <summary>The step latest.json names, or -1; read without verifying, as the child may be pruning.</summary>
    static long LatestStep(RunDirectory run)
    {
        try
        {
            return File.Exists(run.Latest) ? Json.ReadFile<LatestCheckpoint>(run.Latest).Step : -1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return -1;
        }
    }

    /// <summary>Every file of the chain's checkpoint has the SHA-256 of the straight run's file of that step.</summary>
    static void AssertSameCheckpoint(RunDirectory straight, string chainFolder, long step)
    {
        var expected = Json.ReadFile<CheckpointState>(Path.Combine(straight.CheckpointFolder(step), "state.json")).Files;
        var actual = Json.ReadFile<CheckpointState>(Path.Combine(chainFolder, "state.json")).Files;
        Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
    }

    static Process StartTrain(string run, bool resume, System.Text.StringBuilder errors)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "GenAudit.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = resume
            ? [cli, "train", "--out", run, "--resume"]
            : [cli, "train", "--data", "ring8", "--width", "16", "--batch", "32", "--steps", "5000", "--checkpoint-every", "5",
               "--log-every", "5", "--threads", "1", "--seed", "18", "--no-tensorboard", "--out", run];
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        var process = Process.Start(start)!;
        // Drain the pipes so a full pipe never blocks the child.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
