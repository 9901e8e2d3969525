using GenAudit.Models;
using GenAudit.Training;

namespace GenAudit.Tests.Training;

public class ResumeTests
{
    [Theory]
    [InlineData(ModelFamily.Cgan)]
    [InlineData(ModelFamily.Cvae)]
    public void InterruptedAndResumedRunIsBitIdenticalToAStraightRun(ModelFamily family)
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages();
        var config = TrainingFixtures.TinyConvGan(200, family);
        if (family == ModelFamily.Cvae) config = config with { R1Gamma = 0, EmaDecay = 0, Model = config.Model with { SpectralNorm = false } };

        using (var straight = new Trainer(config, data, temp.Sub("straight"))) straight.Run();

        using (var first = new Trainer(config, data, temp.Sub("resumed")))
        {
            var half = first.Run(stopAtStep: 100);
            Assert.Equal(TrainingOutcome.Interrupted, half.Outcome);
            Assert.Equal(100, half.Step);
        }
        using (var second = new Trainer(config, data, temp.Sub("resumed"), resume: true))
        {
            Assert.Equal(100, second.Step);
            Assert.Equal(TrainingOutcome.Completed, second.Run().Outcome);
        }

        var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub("straight")))!.Value;
        var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub("resumed")))!.Value;
        Assert.Equal(200, a.Latest.Step);
        Assert.Equal(200, b.Latest.Step);
        var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var left = TrainingFixtures.StateBytes(Path.Combine(a.Folder, file!));
            var right = TrainingFixtures.StateBytes(Path.Combine(b.Folder, file!));
            Assert.Equal(left.Keys.Order(), right.Keys.Order());
            foreach (var key in left.Keys) Assert.True(left[key].AsSpan().SequenceEqual(right[key]), $"{file}: {key} differs");
        }
        var historyA = HistoryFile.Read(new RunDirectory(temp.Sub("straight")).History);
        var historyB = HistoryFile.Read(new RunDirectory(temp.Sub("resumed")).History);
        Assert.Equal(historyA.Select(h => (h.Step, h.LossD, h.LossG, h.Loss)), historyB.Select(h => (h.Step, h.LossD, h.LossG, h.Loss)));
    }

    [Fact]
    public void ResumeRefusesChangedSettings()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(20);
        using (var first = new Trainer(config, data, temp.Sub("run"))) first.Run(stopAtStep: 10);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(config with { R1Gamma = 1 }, data, temp.Sub("run"), resume: true));
        Assert.Contains("only --steps may change", error.Message);
        var exists = Assert.Throws<ArgumentException>(() => new Trainer(config, data, temp.Sub("run")));
        Assert.Contains("--resume", exists.Message);
    }
}
