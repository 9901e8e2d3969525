using System.Diagnostics;
using GenAudit.Runs;
using GenAudit.Tests.Training;
using GenAudit.Training;

namespace GenAudit.Tests.Hardening;

/// <summary>Issue #18: a full disk stops training with a clear error and leaves the last good checkpoint loadable.</summary>
public class FullDiskTests
{
    [Fact]
    public void AFullDiskStopsTrainingClearlyAndTheLastCheckpointStaysLoadable()
    {
        // A real size-limited file system: a 2 MB tmpfs. Mounting needs root (the CI container runs as root).
        // Without root the test cannot make a small file system and passes vacuously; docs/security.md says so.
        if (Environment.UserName != "root" || !OperatingSystem.IsLinux()) return;
        using var temp = new TempRun();
        var mount = temp.Sub("small");
        Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount);
        try
        {
            var run = new RunDirectory(Path.Combine(mount, "run"));
            using var data = TrainingFixtures.TinyImages(64);
            var config = TrainingFixtures.TinyConvGan(40) with { CheckpointEvery = 5, LogEvery = 1, TensorBoard = false };
            using (var trainer = new Trainer(config, data, run.Root)) trainer.Run(stopAtStep: 10, checkpointAtStop: false);
            Assert.Equal(10, Checkpoint.FindLatest(run)!.Value.Latest.Step);

            var filler = Path.Combine(mount, "filler");
            using (var trainer = new Trainer(config, data, run.Root, resume: true))
            {
                // The disk fills while the run trains.
                using (var stream = new FileStream(filler, FileMode.CreateNew))
                {
                    var block = new byte[4096];
                    try
                    {
                        while (true) stream.Write(block);
                    }
                    catch (IOException)
                    {
                        // The file system is full.
                    }
                }
                var error = Assert.Throws<CheckpointWriteException>(() => trainer.Run());
                Assert.Contains("could not be written", error.Message);
                Assert.Contains(run.CheckpointFolder(10) + ", is untouched", error.Message);
                Assert.Contains("--resume", error.Message);
            }
            Assert.Equal(10, Checkpoint.FindLatest(run)!.Value.Latest.Step);
            using (var loaded = RunLoader.Load(run.Root)) Assert.Equal(10, loaded.Step);
            Assert.Empty(Directory.GetDirectories(run.Checkpoints, ".*.tmp"));

            // With space again the run continues to the end.
            File.Delete(filler);
            using (var trainer = new Trainer(config, data, run.Root, resume: true)) Assert.Equal(TrainingOutcome.Completed, trainer.Run().Outcome);
        }
        finally
        {
            Run("umount", mount);
        }
    }

    static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {error}");
    }
}
