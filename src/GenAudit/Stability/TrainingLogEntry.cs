namespace GenAudit.Stability;

/// <summary>One logged training step, as a line of a run's history.jsonl.</summary>
/// <param name="Step">Optimiser step the values were logged at.</param>
/// <param name="Losses">Losses by name, e.g. <c>lossD</c> and <c>lossG</c>; NaN and ±∞ are kept.</param>
/// <param name="GradNormG">Gradient norm of the generator, or null when not logged.</param>
/// <param name="GradNormD">Gradient norm of the discriminator, or null when not logged.</param>
/// <param name="DRealMean">Mean discriminator output on real data (probability for ns, raw score for hinge/WGAN), or null.</param>
/// <param name="DFakeMean">Mean discriminator output on generated data, or null.</param>
/// <param name="LearningRateG">Generator learning rate, or null.</param>
/// <param name="LearningRateD">Discriminator learning rate, or null.</param>
public sealed record TrainingLogEntry(
    long Step,
    IReadOnlyDictionary<string, double> Losses,
    double? GradNormG = null,
    double? GradNormD = null,
    double? DRealMean = null,
    double? DFakeMean = null,
    double? LearningRateG = null,
    double? LearningRateD = null);
