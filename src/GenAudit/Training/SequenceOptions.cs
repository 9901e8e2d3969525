namespace GenAudit.Training;

/// <summary>
/// Settings of token-sequence runs (<c>--model mle|seqgan</c>), with SeqGAN's defaults (Yu et al. 2017)
/// where it has one. Saved in the manifest with the rest of <see cref="TrainingConfig"/>.
/// </summary>
public sealed record SequenceOptions
{
    /// <summary>Tokens per synthetic sequence (<c>--length</c>). Default: 20, as SeqGAN; 40 is LeakGAN's long variant.</summary>
    public int Length { get; init; } = GenAudit.Data.TokenOracle.DefaultLength;

    /// <summary>Seed of the synthetic oracle (<c>--oracle-seed</c>). Default: 0.</summary>
    public long OracleSeed { get; init; }

    /// <summary>Sequences drawn at every logged step to measure NLL-oracle on synthetic data (<c>--oracle-samples</c>); 0 turns it off. Default: 1,000.</summary>
    public int OracleEvaluationSamples { get; init; } = 1000;

    /// <summary>Largest L2 norm of the gradient of every network; larger gradients are scaled down. Default: 5, as SeqGAN's code.</summary>
    public double GradientClip { get; init; } = 5.0;

    /// <summary>SeqGAN: steps of MLE pre-training of the generator, the first steps of the run (<c>--pretrain-g</c>). Default: 2,500.</summary>
    public long PretrainGeneratorSteps { get; init; } = 2500;

    /// <summary>SeqGAN: discriminator pre-training steps after those (<c>--pretrain-d</c>), each one batch of real and one of generated sequences. Default: 400.</summary>
    public long PretrainDiscriminatorSteps { get; init; } = 400;

    /// <summary>SeqGAN: Monte-Carlo roll-outs per prefix that estimate a token's reward (<c>--rollouts</c>). Default: 16.</summary>
    public int Rollouts { get; init; } = 16;

    /// <summary>SeqGAN: the roll-out network follows the generator as θ_roll ← r·θ_roll + (1 − r)·θ_G after every generator update. Default: r = 0.8.</summary>
    public double RolloutUpdateRate { get; init; } = 0.8;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(Length is >= 1 and <= 1000, $"--length must be 1 to 1,000 tokens, got {Length}");
        Check(OracleEvaluationSamples is >= 0 and <= 1_000_000, $"--oracle-samples must be 0 to 1,000,000, got {OracleEvaluationSamples}");
        Check(GradientClip > 0 && double.IsFinite(GradientClip), $"the gradient clip must be a positive number, got {GradientClip}");
        Check(PretrainGeneratorSteps >= 0, $"--pretrain-g must be ≥ 0, got {PretrainGeneratorSteps}");
        Check(PretrainDiscriminatorSteps >= 0, $"--pretrain-d must be ≥ 0, got {PretrainDiscriminatorSteps}");
        Check(Rollouts is >= 1 and <= 1024, $"--rollouts must be 1 to 1,024, got {Rollouts}");
        Check(RolloutUpdateRate is >= 0 and < 1, $"the roll-out update rate must be in [0, 1), got {RolloutUpdateRate}");
    }
}
