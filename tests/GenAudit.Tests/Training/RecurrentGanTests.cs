using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

public class RecurrentGanTests
{
    static ModelConfig Model(ModelFamily family) => new() { Family = family, DataShape = [6, 2], LatentSize = 18, Width = 8, Depth = 1 };

    static TrainingConfig Tiny(ModelFamily family, long steps) => new()
    {
        Data = "tiny-sines",
        Model = Model(family),
        Series = new SeriesOptions(),
        Steps = steps,
        BatchSize = 16,
        LearningRateG = 1e-3,
        LearningRateD = 1e-3,
        Seed = 3,
        LogEvery = 2,
        CheckpointEvery = 1000,
        TensorBoard = false,
        Threads = 1,
    };

    [Theory]
    [InlineData(ModelFamily.Rcgan)]
    [InlineData(ModelFamily.CrnnGan)]
    public void TheGeneratorIsCausalInItsNoiseAndOnlyTheBidirectionalDiscriminatorLooksAhead(ModelFamily family)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(1);
        using var generator = new RecurrentGenerator(Model(family));
        using var discriminator = new RecurrentDiscriminator(Model(family));
        generator.eval();
        Assert.Equal(3, generator.NoiseSize);
        var z = randn(4, 18);
        var changed = z.clone();
        changed.narrow(1, 3 * 3, 3).add_(1.0);                     // the noise of step 3 only
        var x = generator.Generate(z);                               // (4, 6, 2)
        var y = generator.Generate(changed);
        Assert.Equal([4L, 6, 2], x.shape);
        Assert.True(x.min().item<float>() >= 0 && x.max().item<float>() <= 1);
        var stepChange = (x - y).abs().amax([0, 2]).data<float>().ToArray();   // (6,)
        for (int t = 0; t < 3; t++) Assert.Equal(0f, stepChange[t]);
        for (int t = 3; t < 6; t++) Assert.True(stepChange[t] > 0, $"step {t} ignores the noise of step 3");

        var sequences = rand(4, 6, 2);
        var edited = sequences.clone();
        edited.narrow(1, 4, 1).add_(0.5);                            // step 4 of the input only
        var scores = discriminator.call(sequences);                  // (4, 6): one score per step
        Assert.Equal([4L, 6], scores.shape);
        var scoreChange = (scores - discriminator.call(edited)).abs().amax([0]).data<float>().ToArray();
        // The unidirectional LSTM's score at step t sees steps ≤ t; the bidirectional one sees all.
        for (int t = 0; t < 4; t++) Assert.True(family == ModelFamily.CrnnGan ? scoreChange[t] > 0 : scoreChange[t] == 0, $"step {t}: change {scoreChange[t]}");
        Assert.True(scoreChange[4] > 0 && scoreChange[5] > 0);
        Assert.Equal(scores.mean([1]).data<float>().ToArray(), discriminator.Score(sequences).data<float>().ToArray());
    }

    [Theory]
    [InlineData(ModelFamily.Rcgan, "ns")]
    [InlineData(ModelFamily.CrnnGan, "wgan")]
    public void AnInterruptedRunResumesBitIdentically(ModelFamily family, string objective)
    {
        using var temp = new TempRun();
        using var data = TrainingDataLoader.From(Sines.Generate(0, 64, 6, 2));
        // RCGAN with R1, spectral norm, EMA and L2; C-RNN-GAN as a WGAN-GP (2 critic steps with the gradient penalty, to stay fast).
        var config = objective == "ns"
            ? Tiny(family, 6) with { R1Gamma = 1, EmaDecay = 0.9, L2Weight = 1e-4, Model = Model(family) with { SpectralNorm = true } }
            : Tiny(family, 6) with { Loss = GanLoss.WganGp, DiscriminatorSteps = 2, BatchSize = 8 };
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) Assert.Equal(TrainingOutcome.Completed, straight.Run().Outcome);
        using (var first = new Trainer(config, data, temp.Sub("resumed"))) Assert.Equal(3, first.Run(stopAtStep: 3).Step);
        using (var second = new Trainer(config, data, temp.Sub("resumed"), resume: true)) Assert.Equal(TrainingOutcome.Completed, second.Run().Outcome);

        var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub("straight")))!.Value;
        var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub("resumed")))!.Value;
        var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(objective == "ns" ? ["discriminator.safetensors", "generator.safetensors", "generator_ema.safetensors"] : ["discriminator.safetensors", "generator.safetensors"], files);
        foreach (var file in files)
        {
            var left = TrainingFixtures.StateBytes(Path.Combine(a.Folder, file!));
            var right = TrainingFixtures.StateBytes(Path.Combine(b.Folder, file!));
            Assert.Equal(left.Keys.Order(), right.Keys.Order());
            foreach (var key in left.Keys) Assert.True(left[key].AsSpan().SequenceEqual(right[key]), $"{file}: {key} differs");
        }
        var historyA = HistoryFile.Read(new RunDirectory(temp.Sub("straight")).History);
        var historyB = HistoryFile.Read(new RunDirectory(temp.Sub("resumed")).History);
        Assert.Equal(3, historyA.Count);
        Assert.Equal(historyA.Select(h => (h.Step, h.LossD, h.LossG, h.Penalty, h.GradNormD)), historyB.Select(h => (h.Step, h.LossD, h.LossG, h.Penalty, h.GradNormD)));
        Assert.All(historyA, h => Assert.True(h.Penalty > 0));
        Assert.True(File.Exists(Path.Combine(temp.Sub("straight"), "manifest.json")));
    }

    [Fact]
    public void ANonFiniteLossStopsTheRun()
    {
        using var temp = new TempRun();
        var values = rand(32, 6, 2);
        values[5, 2, 1] = tensor(float.NaN);
        using var data = new TensorTrainingData("poisoned", values, null, 0, "nan");
        using var trainer = new Trainer(Tiny(ModelFamily.Rcgan, 10) with { BatchSize = 32 }, data, temp.Sub("nan"));
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Contains("step 1: lossD is NaN", error.Message);
    }
}
