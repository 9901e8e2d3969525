using GenAudit.Core;
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
        var scores = discriminator.call(sequences, null);            // (4, 6): one score per step
        Assert.Equal([4L, 6], scores.shape);
        var scoreChange = (scores - discriminator.call(edited, null)).abs().amax([0]).data<float>().ToArray();
        // The unidirectional LSTM's score at step t sees steps ≤ t; the bidirectional one sees all.
        for (int t = 0; t < 4; t++) Assert.True(family == ModelFamily.CrnnGan ? scoreChange[t] > 0 : scoreChange[t] == 0, $"step {t}: change {scoreChange[t]}");
        Assert.True(scoreChange[4] > 0 && scoreChange[5] > 0);
        Assert.Equal(scores.mean([1]).data<float>().ToArray(), discriminator.Score(sequences, null).data<float>().ToArray());
    }

    [Theory]
    [InlineData(ModelFamily.Rcgan)]
    [InlineData(ModelFamily.CrnnGan)]
    public void AConditionalNetworkReadsTheClassOneHotAtEveryStep(ModelFamily family)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(2);
        var model = Model(family) with { ConditionalSeries = true, ConditionCount = 3 };
        using var generator = new RecurrentGenerator(model);
        using var discriminator = new RecurrentDiscriminator(model);
        generator.eval();
        Assert.Equal(3, generator.ConditionCount);
        // The class enters the first LSTM layer through C columns of its input weights: right after the noise
        // in the generator (before the fed-back output of C-RNN-GAN), after the values in the discriminator.
        // Zero all but class 1's column: then classes 0 and 2 must give the same sequences and class 1
        // different ones, at every step.
        var columns = generator.NoiseSize;
        foreach (var (name, weights) in new (string, nn.Module)[] { ("g", generator), ("d", discriminator) }.SelectMany(m => m.Item2.named_parameters().Where(p => p.name == "lstm.weight_ih_l0" || p.name == "lstm.weight_ih_l0_reverse").Select(p => (m.Item1, p.parameter))))
        {
            var start = name == "g" ? columns : 2;
            Assert.Equal(name == "g" && family == ModelFamily.CrnnGan ? start + 3 + 2 : start + 3, weights.shape[1]);
            weights.narrow(1, start, 1).zero_();
            weights.narrow(1, start + 2, 1).zero_();
        }
        var z = randn(2, 18).repeat(3, 1);                                                   // (6, 18): two latents for each class
        var labels = tensor(new long[] { 0, 0, 1, 1, 2, 2 });
        var x = generator.Generate(z, labels).view(3, 2, 6, 2);                              // (class, latent, T, F)
        Assert.True((x[0] - x[2]).abs().max().item<float>() == 0, "classes 0 and 2 differ though their columns are zero");
        var perStep = (x[1] - x[0]).abs().amax([0, 2]).data<float>().ToArray();              // (T,)
        Assert.All(perStep, change => Assert.True(change > 0, "a step ignores the class"));
        var sequences = rand(2, 6, 2).repeat(3, 1, 1);
        var scores = discriminator.call(sequences, labels).view(3, 2, 6);
        Assert.True((scores[0] - scores[2]).abs().max().item<float>() == 0);
        Assert.True((scores[1] - scores[0]).abs().min().item<float>() > 0);

        Assert.Contains("pass the labels", Assert.Throws<ArgumentException>(() => generator.Generate(z)).Message);
        using var unconditional = new RecurrentGenerator(Model(family));
        Assert.Contains("unconditional", Assert.Throws<ArgumentException>(() => unconditional.Generate(z, labels)).Message);
        Assert.Contains("--conditional applies to the recurrent GANs",
            Assert.Throws<ArgumentException>(() => new ModelConfig { Family = ModelFamily.Gan, ConditionalSeries = true, ConditionCount = 3 }.Validate()).Message);
    }

    [Fact]
    public void AConditionalRunNeedsLabelledSequences()
    {
        using var temp = new TempRun();
        using var data = TrainingDataLoader.From(Sines.Generate(0, 32, 6, 2));
        var config = Tiny(ModelFamily.Rcgan, 2) with { Model = Model(ModelFamily.Rcgan) with { ConditionalSeries = true } };
        Assert.Contains("needs labelled data", Assert.Throws<ArgumentException>(() => new Trainer(config, data, temp.Sub("run"))).Message);
    }

    /// <summary>64 labelled sequences (6 × 2): class 0 rises, class 1 falls, with a little seeded noise.</summary>
    static TensorTrainingData TwoClassSequences()
    {
        using var scope = NewDisposeScope();
        var ramp = linspace(0.1, 0.9, 6).view(1, 6, 1).expand(32, 6, 2);
        using var seeded = new Generator(4);
        var noise = rand([64, 6, 2], generator: seeded) * 0.05;
        var values = (cat([ramp, 1 - ramp], 0) + noise).contiguous();
        var labels = cat([zeros(32, ScalarType.Int64), ones(32, ScalarType.Int64)]);
        return new TensorTrainingData("two-ramps", values.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), 2, "two-ramps-4");
    }

    [Theory]
    [InlineData(ModelFamily.Rcgan, "ns")]
    [InlineData(ModelFamily.CrnnGan, "wgan")]
    [InlineData(ModelFamily.Rcgan, "conditional")]
    public void AnInterruptedRunResumesBitIdentically(ModelFamily family, string objective)
    {
        using var temp = new TempRun();
        using var data = objective == "conditional" ? TwoClassSequences() : TrainingDataLoader.From(Sines.Generate(0, 64, 6, 2));
        // RCGAN with R1, spectral norm, EMA and L2; C-RNN-GAN as a WGAN-GP (2 critic steps with the gradient penalty, to stay fast);
        // a conditional RCGAN with R1 and EMA on two labelled classes.
        var config = objective switch
        {
            "ns" => Tiny(family, 6) with { R1Gamma = 1, EmaDecay = 0.9, L2Weight = 1e-4, Model = Model(family) with { SpectralNorm = true } },
            "conditional" => Tiny(family, 6) with { R1Gamma = 1, EmaDecay = 0.9, Model = Model(family) with { ConditionalSeries = true } },
            _ => Tiny(family, 6) with { Loss = GanLoss.WganGp, DiscriminatorSteps = 2, BatchSize = 8 },
        };
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) Assert.Equal(TrainingOutcome.Completed, straight.Run().Outcome);
        using (var first = new Trainer(config, data, temp.Sub("resumed"))) Assert.Equal(3, first.Run(stopAtStep: 3).Step);
        using (var second = new Trainer(config, data, temp.Sub("resumed"), resume: true)) Assert.Equal(TrainingOutcome.Completed, second.Run().Outcome);

        var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub("straight")))!.Value;
        var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub("resumed")))!.Value;
        var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(objective != "wgan" ? ["discriminator.safetensors", "generator.safetensors", "generator_ema.safetensors"] : ["discriminator.safetensors", "generator.safetensors"], files);
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
        if (objective == "conditional")
        {
            var manifest = Json.ReadFile<RunManifest>(new RunDirectory(temp.Sub("straight")).Manifest);
            Assert.True(manifest.Config.Model.ConditionalSeries);
            Assert.Equal(2, manifest.Config.Model.ConditionCount);
        }
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
