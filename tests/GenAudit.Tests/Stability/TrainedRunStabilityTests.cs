using GenAudit.Application;
using GenAudit.Models;
using GenAudit.Stability;
using GenAudit.Tests.Training;
using GenAudit.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

/// <summary>Acceptance 2 and 4 of issue 4 on real networks and real training runs.</summary>
[Collection(TorchThreadsCollection.Name)]
public class TrainedRunStabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void RepeatPairsOfAnEvalModeDcganAreExactlyOne()
    {
        manual_seed(3);
        using var generator = new GanGenerator(TrainingFixtures.TinyConvGan(1, ModelFamily.Gan).Model with { DataShape = [1, 8, 8] });
        generator.eval();
        using var rng = new Generator(5);
        var repeat = PairStability.Repeat(generator, 300, 64, rng);

        Assert.Equal(1.0, repeat.Similarity);
        Assert.True(repeat.Identical);
        Assert.Null(repeat.Failure);
    }

    [Fact]
    public void AnUnstableNetworkIsCaughtByTheRepeatPairs()
    {
        manual_seed(3);
        using var inner = new GanGenerator(TrainingFixtures.TinyConvGan(1, ModelFamily.Gan).Model with { DataShape = [1, 8, 8] });
        inner.eval();
        using var rng = new Generator(5);
        var repeat = PairStability.Repeat(new NoisyGenerator(inner), 100, 64, rng);

        Assert.False(repeat.Identical);
        Assert.True(repeat.Similarity < 1);
        Assert.Contains("determinism failure", repeat.Failure);
    }

    [Fact]
    public void ADivergingRunIsFlaggedAndAHealthyRunIsNot()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(256);

        var healthy = TrainingFixtures.TinyConvGan(300, ModelFamily.Gan) with { LogEvery = 1 };
        using (var trainer = new Trainer(healthy, data, temp.Sub("healthy"))) trainer.Run();
        var healthyFlags = Analyse(temp.Sub("healthy"), healthy);
        Assert.True(healthyFlags.Count == 0, "healthy run flagged: " + string.Join("; ", healthyFlags));

        var diverging = TrainingFixtures.TinyConvGan(60, ModelFamily.Gan) with
        {
            LogEvery = 1, LearningRateG = 10, LearningRateD = 10, R1Gamma = 0, EmaDecay = 0, LearningRateDecay = 1,
            Model = healthy.Model with { SpectralNorm = false },
        };
        using (var trainer = new Trainer(diverging, data, temp.Sub("diverging")))
        {
            try { trainer.Run(); }
            catch (TrainingDivergedException e) { output.WriteLine("trainer: " + e.Message); }
        }
        var divergingFlags = Analyse(temp.Sub("diverging"), diverging);
        Assert.Contains(divergingFlags, f => f.Kind is "divergence" or "gradientSpike" or "saturation");
    }

    List<DynamicsFlag> Analyse(string run, TrainingConfig config)
    {
        var history = HistoryReader.Read(new RunDirectory(run).History);
        var options = new TrainingDynamicsOptions { DiscriminatorOutput = StabilityAudit.DiscriminatorOutputFor(config) };
        var flags = TrainingDynamics.Analyse(history, options).ToList();
        output.WriteLine($"{run}: {history.Count} entries, flags: {string.Join("; ", flags)}");
        return flags;
    }
}
