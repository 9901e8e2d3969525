using GenAudit.Stability;

namespace GenAudit.Tests.Stability;

public class TrainingDynamicsTests
{
    // 500 logged entries every 10 steps: losses near their typical ns-GAN values with small noise.
    static List<TrainingLogEntry> Healthy(int seed = 1)
    {
        var random = new Random(seed);
        var history = new List<TrainingLogEntry>();
        for (var i = 0; i < 500; i++)
            history.Add(new TrainingLogEntry(
                Step: i * 10,
                Losses: new Dictionary<string, double> { ["lossD"] = 1.3 + 0.1 * (random.NextDouble() - 0.5), ["lossG"] = 0.8 + 0.2 * (random.NextDouble() - 0.5) },
                GradNormG: 1 + 0.4 * random.NextDouble(),
                GradNormD: 2 + 0.8 * random.NextDouble(),
                DRealMean: 0.6 + 0.05 * random.NextDouble(),
                DFakeMean: 0.4 - 0.05 * random.NextDouble()));
        return history;
    }

    // The healthy run, then: a gradient spike at entry 200, lossD growing e-fold every 20 entries from
    // entry 300, the discriminator saturated from entry 350, lossG NaN and gradNormD ∞ from entry 450.
    static List<TrainingLogEntry> Diverging()
    {
        var history = Healthy();
        for (var i = 0; i < history.Count; i++)
        {
            var entry = history[i];
            var losses = new Dictionary<string, double>(entry.Losses);
            if (i >= 300) losses["lossD"] = 1.3 * Math.Exp((i - 300) / 20.0);
            if (i >= 450) losses["lossG"] = double.NaN;
            history[i] = entry with
            {
                Losses = losses,
                GradNormG = i == 200 ? 50 : entry.GradNormG,
                GradNormD = i >= 450 ? double.PositiveInfinity : entry.GradNormD,
                DRealMean = i >= 350 ? 0.999 : entry.DRealMean,
                DFakeMean = i >= 350 ? 0.001 : entry.DFakeMean,
            };
        }
        return history;
    }

    [Fact]
    public void AHealthyRunRaisesNoFlag()
    {
        Assert.Empty(TrainingDynamics.Analyse(Healthy()));
    }

    [Fact]
    public void ADivergingRunIsFlaggedWithTheSteps()
    {
        var flags = TrainingDynamics.Analyse(Diverging());

        var spike = Assert.Single(flags, f => f.Kind == "gradientSpike");
        Assert.Equal((2000L, "gradNormG"), (spike.Step, spike.Series));
        var saturation = Assert.Single(flags, f => f.Kind == "saturation");
        Assert.Equal(3540, saturation.Step);                       // entry 350 plus a patience of 5 entries
        Assert.Contains(flags, f => f is { Kind: "divergence", Series: "lossG", Step: 4500 } && f.Message.Contains("NaN"));
        Assert.Contains(flags, f => f is { Kind: "divergence", Series: "gradNormD", Step: 4500 });
        // 1.3·e^((i−300)/20) passes 10 × 1.3 at i = 300 + 20·ln 10 ≈ 346.
        Assert.Contains(flags, f => f is { Kind: "divergence", Series: "lossD", Step: >= 3450 and <= 3480 });
        Assert.Contains(flags, f => f is { Kind: "oscillation", Series: "lossD" });
        Assert.Equal(flags.OrderBy(f => f.Step).Select(f => f.Step), flags.Select(f => f.Step));
    }

    [Fact]
    public void ScoresModeFlagsALargeRealFakeGap()
    {
        var options = new TrainingDynamicsOptions { DiscriminatorOutput = DiscriminatorOutputKind.Scores };
        var healthy = Healthy().Select(e => e with { DRealMean = 1.0, DFakeMean = -1.0 }).ToList();
        Assert.Empty(TrainingDynamics.Analyse(healthy, options));
        var saturated = healthy.Select((e, i) => i >= 100 ? e with { DRealMean = 6.0, DFakeMean = -6.0 } : e).ToList();
        var flag = Assert.Single(TrainingDynamics.Analyse(saturated, options));
        Assert.Equal(("saturation", 1040L), (flag.Kind, flag.Step));
    }

    [Fact]
    public void OscillatingLossesAreFlagged()
    {
        var history = Healthy().Select((e, i) => e with
        {
            Losses = new Dictionary<string, double>(e.Losses) { ["lossG"] = i % 2 == 0 ? 0.1 : 3.0 },
        }).ToList();
        var flag = Assert.Single(TrainingDynamics.Analyse(history));
        Assert.Equal(("oscillation", "lossG", 4000L), (flag.Kind, flag.Series, flag.Step));
    }
}
