using GenAudit.Runs;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

public class RobustnessTests
{
    /// <summary>Serves the real data, then NaN-filled batches from a given gather onwards.</summary>
    sealed class PoisonedData(ITrainingData inner, int healthyGathers) : ITrainingData
    {
        int _gathers;
        public string Name => inner.Name;
        public long Count => inner.Count;
        public long[] SampleShape => inner.SampleShape;
        public int ClassCount => inner.ClassCount;
        public string Fingerprint => inner.Fingerprint;

        public (Tensor X, Tensor? Labels) Gather(Tensor indices)
        {
            var (x, y) = inner.Gather(indices);
            return ++_gathers > healthyGathers ? (torch.full_like(x, double.NaN), y) : (x, y);
        }
    }

    [Fact]
    public void NanStopsTrainingAndKeepsTheLastGoodCheckpoint()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(100) with { CheckpointEvery = 10 };
        using var trainer = new Trainer(config, new PoisonedData(data, healthyGathers: 25), temp.Sub("run"));
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Contains("step 26", error.Message);
        Assert.Contains("step-00000020", error.Message);
        var latest = Checkpoint.FindLatest(new RunDirectory(temp.Sub("run")))!.Value;
        Assert.Equal(20, latest.Latest.Step);
        using var loaded = RunLoader.Load(temp.Sub("run"));
        Assert.Equal(20, loaded.Step);
    }

    [Fact]
    public void CancellationWritesACheckpointThatResumes()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(50);
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(p => { if (p.Step == 17) cancel.Cancel(); });
        using (var trainer = new Trainer(config, data, temp.Sub("run")))
        {
            var result = trainer.Run(progress, cancel.Token);
            Assert.Equal(TrainingOutcome.Interrupted, result.Outcome);
            Assert.Equal(17, result.Step);
        }
        using var resumed = new Trainer(config, data, temp.Sub("run"), resume: true);
        Assert.Equal(17, resumed.Step);
        Assert.Equal(50, resumed.Run().Step);
    }

    [Fact]
    public void ThousandStepsLeaveTheLiveTensorCountFlat()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(1100) with { LogEvery = 100, CheckpointEvery = 500, KeepCheckpoints = 1 };
        using var trainer = new Trainer(config, data, temp.Sub("run"));
        trainer.Run(stopAtStep: 100); // optimiser state and EMA exist from here on
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Run();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(1100, trainer.Step);
        Assert.Equal(before, after);
    }

    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
