using GenAudit.Data;
using GenAudit.Metrics;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

public class TimeSeriesScoresTests
{
    static readonly TimeSeriesScoreOptions Fast = new() { DiscriminatorIterations = 150, PredictorIterations = 150, BatchSize = 32, LearningRate = 1e-2 };

    static Tensor SinesTensor(long seed, int count) => Sines.Generate(seed, count).ToTensor(); // (N, 24, 5)

    [Fact]
    public void TheDiscriminativeScoreIsNearZeroForRealAgainstRealAndNearHalfForRealAgainstNoise()
    {
        using var scope = NewDisposeScope();
        var real = SinesTensor(0, 400);
        var otherReal = SinesTensor(1, 400);
        var noise = rand([400, 24, 5], generator: new TorchSharp.torch.Generator(7));
        // 80 + 80 held-out sequences: a coin-flip classifier's accuracy has a standard error of 0.04.
        var same = TimeSeriesScores.Discriminative(real, otherReal, Fast);
        var different = TimeSeriesScores.Discriminative(real, noise, Fast);
        Assert.InRange(same, 0, 0.12);
        Assert.InRange(different, 0.45, 0.5);
        Assert.Equal(same, TimeSeriesScores.Discriminative(real, otherReal, Fast));
    }

    [Fact]
    public void ThePredictiveScoreOfRealTrainingBeatsNoiseTrainingAndTheConstantGuess()
    {
        using var scope = NewDisposeScope();
        var real = SinesTensor(0, 400);
        var test = SinesTensor(1, 200);
        var noise = rand([400, 24, 5], generator: new TorchSharp.torch.Generator(7));
        double fromReal = TimeSeriesScores.Predictive(real, test, Fast);
        double fromNoise = TimeSeriesScores.Predictive(noise, test, Fast);
        // The best constant guess of each feature at steps 1..23 is its median; that guess's MAE is worked out directly.
        double constant = 0;
        for (int k = 0; k < 5; k++)
        {
            var targets = test.narrow(1, 1, 23).select(2, k).flatten().data<float>().ToArray().Select(v => (double)v).Order().ToArray();
            double median = targets[targets.Length / 2];
            constant += targets.Average(v => Math.Abs(v - median)) / 5;
        }
        Assert.True(fromReal < 0.75 * constant, $"trained on real: {fromReal:F4}, constant guess: {constant:F4}");
        Assert.True(fromReal < fromNoise, $"trained on real: {fromReal:F4}, on noise: {fromNoise:F4}");
    }
}
