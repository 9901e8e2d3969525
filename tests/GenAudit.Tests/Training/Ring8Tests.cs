using GenAudit.Data;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

[Trait(TestLane.Trait, TestLane.Second)]
public class Ring8Tests
{
    [Fact]
    public void DefaultSettingsCoverTheRingWithHighQualitySamples()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.Ring8();
        var config = TrainingConfig.DefaultsFor("ring8");
        using var trainer = new Trainer(config, data, temp.Sub("run"));
        var result = trainer.Run();
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var generator = new Generator(2024);
        var points = trainer.Sampler.Generate(torch.randn([2500, config.Model.LatentSize], generator: generator));
        var coverage = Mixture2D.Ring8.Evaluate(points);
        // The defaults (docs/benchmarks.md) reach 8 modes and about 97% high quality over ten seeds.
        Assert.True(coverage.ModesCaptured == 8, $"modes captured {coverage.ModesCaptured}");
        Assert.True(coverage.HighQualityFraction >= 0.90, $"high-quality fraction {coverage.HighQualityFraction:P1}");
    }
}
