using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

public class SequenceTrainingTests
{
    static TokenTrainingData TinyOracleData(out TokenOracle oracle, int count = 2000)
    {
        oracle = new TokenOracle(3, vocabularySize: 20, embeddingSize: 8, hiddenSize: 16);
        return new TokenTrainingData(oracle.Dataset(DataSplit.Train, count, 8));
    }

    static TrainingConfig Tiny(ModelFamily family, long steps) => new()
    {
        Data = "tiny-oracle",
        Model = new ModelConfig { Family = family, EmbeddingSize = 8, Width = 32, Depth = 1 },
        Sequence = new SequenceOptions { OracleEvaluationSamples = 200, PretrainGeneratorSteps = 6, PretrainDiscriminatorSteps = 4, Rollouts = 2 },
        Steps = steps,
        BatchSize = 32,
        LearningRateG = 1e-2,
        LearningRateD = 1e-3,
        Beta1 = 0.9,
        Seed = 5,
        LogEvery = 2,
        CheckpointEvery = 1000,
        TensorBoard = false,
        Threads = 1,
    };

    [Fact]
    public void ThePolicyGradientLossAndItsGradientAreTheClosedForm()
    {
        using var scope = NewDisposeScope();
        // Two sequences of two tokens over three tokens; rewards Q.
        double[] logitValues = [0.5, -1.0, 2.0, 0.0, 0.3, -0.2, 1.5, 1.5, -0.5, -2.0, 0.1, 0.7];
        long[] tokens = [2, 0, 1, 2];
        double[] q = [0.9, 0.4, 0.1, 0.6];
        var logits = tensor(logitValues, [2, 2, 3], requires_grad: true);
        var logProbabilities = logits.log_softmax(2).gather(2, tensor(tokens, [2, 2, 1])).squeeze(2);
        var loss = SequenceLosses.PolicyGradient(logProbabilities, tensor(q, [2, 2]));
        loss.backward();

        double expectedLoss = 0;
        var expectedGradient = new double[12];
        for (int position = 0; position < 4; position++)
        {
            var z = logitValues.AsSpan(position * 3, 3).ToArray();
            double logSum = Math.Log(z.Sum(Math.Exp));
            expectedLoss -= q[position] * (z[tokens[position]] - logSum) / 2;
            for (int k = 0; k < 3; k++)
                expectedGradient[position * 3 + k] = q[position] / 2 * (Math.Exp(z[k] - logSum) - (k == tokens[position] ? 1 : 0));
        }
        Assert.Equal(expectedLoss, loss.item<double>(), 12);
        var gradient = logits.grad!.data<double>().ToArray();
        for (int i = 0; i < 12; i++) Assert.Equal(expectedGradient[i], gradient[i], 12);
        // A positive reward raises the probability of the token taken: its logit's gradient is negative.
        Assert.True(gradient[2] < 0 && gradient[3] < 0);
    }

    [Fact]
    public void MaximumLikelihoodLowersNllOracleOnATinyOracle()
    {
        using var temp = new TempRun();
        using var data = TinyOracleData(out var oracle);
        var config = Tiny(ModelFamily.Mle, 150) with { LogEvery = 150 };
        using var trainer = new Trainer(config, data, temp.Sub("mle"));
        var generator = ((ITokenRecipe)trainer.Recipe).Generator;
        using var random = new Generator(99);
        double before = NllOracle(oracle, generator, random);
        Assert.Equal(TrainingOutcome.Completed, trainer.Run().Outcome);
        double after = NllOracle(oracle, generator, random);
        double floor;
        using (var heldOut = tensor(oracle.Sample(10_000, 2000, 8), [2000, 8])) floor = oracle.NegativeLogLikelihoodPerToken(heldOut);
        // The untrained model samples nearly uniformly; MLE must close most of the gap to the oracle's own samples.
        Assert.True(after < before - 0.5 * (before - floor), $"NLL-oracle before {before:F3}, after {after:F3}, floor {floor:F3}");
        var history = HistoryFile.Read(new RunDirectory(temp.Sub("mle")).History);
        Assert.NotNull(history.Single().NllOracle);
        Assert.Equal(32, File.ReadAllLines(Path.Combine(Checkpoint.FindLatest(new RunDirectory(temp.Sub("mle")))!.Value.Folder, "samples.txt")).Length);
    }

    [Theory]
    [InlineData(RecurrentCell.Lstm, 0)]
    [InlineData(RecurrentCell.Gru, 3)]
    public void AnInterruptedSeqGanRunResumesBitIdentically(RecurrentCell cell, int stateLatent)
    {
        using var temp = new TempRun();
        using var data = TinyOracleData(out _, count: 256);
        // 6 MLE steps, 4 discriminator steps, 6 adversarial steps; interrupted in the adversarial phase.
        var config = Tiny(ModelFamily.SeqGan, 16);
        config = config with { Model = config.Model with { Cell = cell, StateLatentSize = stateLatent } };
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) straight.Run();
        using (var first = new Trainer(config, data, temp.Sub("resumed"))) Assert.Equal(13, first.Run(stopAtStep: 13).Step);
        using (var second = new Trainer(config, data, temp.Sub("resumed"), resume: true)) Assert.Equal(TrainingOutcome.Completed, second.Run().Outcome);

        var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub("straight")))!.Value;
        var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub("resumed")))!.Value;
        var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["discriminator.safetensors", "generator.safetensors", "rollout.safetensors"], files);
        foreach (var file in files)
        {
            var left = TrainingFixtures.StateBytes(Path.Combine(a.Folder, file!));
            var right = TrainingFixtures.StateBytes(Path.Combine(b.Folder, file!));
            foreach (var key in left.Keys) Assert.True(left[key].AsSpan().SequenceEqual(right[key]), $"{file}: {key} differs");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(a.Folder, "samples.txt")), File.ReadAllText(Path.Combine(b.Folder, "samples.txt")));
        var historyA = HistoryFile.Read(new RunDirectory(temp.Sub("straight")).History);
        var historyB = HistoryFile.Read(new RunDirectory(temp.Sub("resumed")).History);
        Assert.Equal(historyA.Select(h => (h.Step, h.Loss, h.LossD, h.LossG, h.Reward, h.Entropy, h.NllOracle)),
                     historyB.Select(h => (h.Step, h.Loss, h.LossD, h.LossG, h.Reward, h.Entropy, h.NllOracle)));
        // Each phase logs its own keys.
        Assert.NotNull(historyA.First(h => h.Step == 6).Loss);
        Assert.NotNull(historyA.First(h => h.Step == 10).DAccuracy);
        Assert.NotNull(historyA.Last().Reward);
    }

    [Fact]
    public void TokenModelsRefuseDataThatIsNotTokens()
    {
        using var temp = new TempRun();
        using var images = TrainingFixtures.TinyImages(32);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(Tiny(ModelFamily.Mle, 10), images, temp.Sub("x")));
        Assert.Contains("--model mle trains on token sequences", error.Message);
    }

    static double NllOracle(TokenOracle oracle, TokenGenerator generator, Generator random)
    {
        using var scope = NewDisposeScope();
        return oracle.NegativeLogLikelihoodPerToken(generator.Sample(2000, random));
    }
}
