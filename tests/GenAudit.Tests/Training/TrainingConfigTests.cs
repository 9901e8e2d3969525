using GenAudit.Cli;
using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Training;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Training;

/// <summary>Adam's defaults per objective, as the library, the CLI and the manifest read them.</summary>
public class TrainingConfigTests
{
    static (double G, double D, double Beta1, double Beta2) Adam(TrainingConfig c) => (c.LearningRateG, c.LearningRateD, c.Beta1, c.Beta2);

    [Fact]
    public void WganGpDefaultsToGulrajaniAdamAndOtherLossesToDcganAdam()
    {
        Assert.Equal((1e-4, 1e-4, 0.0, 0.9), Adam(new TrainingConfig { Loss = GanLoss.WganGp }));
        Assert.Equal((2e-4, 2e-4, 0.5, 0.999), Adam(new TrainingConfig { Loss = GanLoss.Ns }));
        Assert.Equal((2e-4, 2e-4, 0.5, 0.999), Adam(new TrainingConfig { Loss = GanLoss.Hinge }));
        // The loss is ignored by VAEs, and so are its defaults.
        Assert.Equal((2e-4, 2e-4, 0.5, 0.999), Adam(new TrainingConfig { Loss = GanLoss.WganGp, Model = new ModelConfig { Family = ModelFamily.Vae } }));
    }

    [Fact]
    public void SettingsGivenByTheCallerWinOverTheLossDefaults()
    {
        var config = new TrainingConfig { Loss = GanLoss.WganGp, LearningRateG = 3e-4, Beta1 = 0.5 };
        Assert.Equal((3e-4, 1e-4, 0.5, 0.9), Adam(config));
        Assert.Equal((3e-4, 2e-4, 0.5, 0.999), Adam(config with { Loss = GanLoss.Ns }));
    }

    [Fact]
    public void MixtureDefaultsKeepTheirTunedRateExceptForWganGp()
    {
        Assert.Equal((2e-3, 2e-3, 0.5, 0.999), Adam(TrainingConfig.DefaultsFor("ring8")));
        Assert.Equal((2e-3, 2e-3, 0.5, 0.999), Adam(TrainingConfig.DefaultsFor("grid25", GanLoss.Hinge)));
        var wgan = TrainingConfig.DefaultsFor("ring8", GanLoss.WganGp);
        Assert.Equal((1e-4, 1e-4, 0.0, 0.9), Adam(wgan));
        Assert.Equal(GanLoss.WganGp, wgan.Loss);
        Assert.Equal((10.0, 5), (wgan.EffectiveGradientPenalty, wgan.EffectiveDiscriminatorSteps));
        Assert.Equal((1e-4, 1e-4, 0.0, 0.9), Adam(TrainingConfig.DefaultsFor("mnist", GanLoss.WganGp)));
    }

    [Fact]
    public void TheManifestRecordsTheValuesUsedSoALaterDefaultCannotChangeARun()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new TrainingConfig { Loss = GanLoss.WganGp }, Json.Options);
        Assert.Contains("\"learningRateG\": 0.0001", json);
        Assert.Contains("\"beta1\": 0", json);
        Assert.Contains("\"beta2\": 0.9", json);
        var read = System.Text.Json.JsonSerializer.Deserialize<TrainingConfig>(json, Json.Options)!;
        Assert.Equal((1e-4, 1e-4, 0.0, 0.9), Adam(read with { Loss = GanLoss.Ns }));
    }

    [Theory]
    [InlineData(new[] { "--loss", "wgan-gp" }, 1e-4, 1e-4, 0.0, 0.9)]
    [InlineData(new[] { "--loss", "wgan-gp", "--lr", "5e-4" }, 5e-4, 5e-4, 0.0, 0.9)]
    [InlineData(new[] { "--loss", "wgan-gp", "--lr-d", "3e-4" }, 1e-4, 3e-4, 0.0, 0.9)]
    [InlineData(new[] { "--loss", "hinge" }, 2e-3, 2e-3, 0.5, 0.999)]
    public void TrainCommandWritesTheAdamSettingsItUsedIntoTheManifest(string[] options, double g, double d, double beta1, double beta2)
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        var console = new TestConsole();
        console.Profile.Width = 200;
        string[] args = ["train", "--data", "ring8", "--steps", "1", "--batch", "8", "--width", "8", "--d-steps", "1", "--out", run, .. options];
        Assert.True(GenAuditApp.Run(args, console) == 0, console.Output);
        var manifest = Json.ReadFile<RunManifest>(new RunDirectory(run).Manifest);
        Assert.Equal((g, d, beta1, beta2), Adam(manifest.Config));
    }
}
