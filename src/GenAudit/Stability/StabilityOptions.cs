namespace GenAudit.Stability;

/// <summary>How PPL interpolates between two latent vectors.</summary>
public enum LatentInterpolation
{
    /// <summary>Spherical interpolation (Shoemake 1985), the default for Gaussian latents.</summary>
    Slerp,

    /// <summary>Linear interpolation z0 + t·(z1 − z0).</summary>
    Lerp,
}

/// <summary>
/// Every setting of a stability audit with its default in one place, so that a CLI flag, a policy
/// file and a library call mean the same thing. Definitions: docs/metrics-stability.md.
/// </summary>
public sealed record StabilityOptions
{
    /// <summary>Seed of every random draw; each measurement derives its own generator from it. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Samples evaluated per model call; bounds memory. Default 250.</summary>
    public int BatchSize { get; init; } = 250;

    /// <summary>Pairs per family and ε for repeat and local pairs. Default 1000.</summary>
    public int SampleCount { get; init; } = 1000;

    /// <summary>Noise levels ε; a perturbation has norm ε·√d, d the latent size. Default 0.01, 0.03, 0.1, 0.3.</summary>
    public IReadOnlyList<double> Epsilons { get; init; } = [0.01, 0.03, 0.1, 0.3];

    /// <summary>Similarities to report; null means all that apply to the output shape (SSIM needs images of at least 11×11). Default null.</summary>
    public IReadOnlyList<SimilarityKind>? Similarities { get; init; }

    /// <summary>Samples per ε in the worst-case search (each costs steps × restarts forward and backward passes). Default 250.</summary>
    public int WorstCaseSampleCount { get; init; } = 250;

    /// <summary>Projected-gradient steps per restart of the worst-case search. Default 20.</summary>
    public int WorstCaseSteps { get; init; } = 20;

    /// <summary>Random restarts of the worst-case search; each starts on the sphere of radius ε·√d. Default 2.</summary>
    public int WorstCaseRestarts { get; init; } = 2;

    /// <summary>
    /// Step length of the ascent as a multiple of radius / steps. Default 4: the search can travel an arc of
    /// 4 radians along the sphere, more than the π/2 that separates a random start from the worst
    /// direction in high dimensions (Madry et al. 2018 use 2.5 for a search that need not move along the sphere).
    /// </summary>
    public double WorstCaseStepFactor { get; init; } = 4;

    /// <summary>
    /// The similarity the worst-case search minimises; every other similarity is scored at each δ the
    /// search visits, so one search per ε serves them all. Default <see cref="SimilarityKind.NormalizedL2"/>:
    /// defined for every output, and its gradient needs no feature extractor or SSIM window.
    /// </summary>
    public SimilarityKind WorstCaseSearchSimilarity { get; init; } = SimilarityKind.NormalizedL2;

    /// <summary>Worst pairs per ε kept for display (the worst-case plot). Default 4.</summary>
    public int WorstCaseExampleCount { get; init; } = 4;

    /// <summary>Candidates per sample of the gradient-free search used for non-differentiable models; null means steps × restarts. Default null.</summary>
    public int? RandomSearchBudget { get; init; }

    /// <summary>Samples for condition consistency (conditional models). Default 1000.</summary>
    public int ConditionSampleCount { get; init; } = 1000;

    /// <summary>Path samples for perceptual path length; split evenly over the conditions of a conditional model. Default 1000.</summary>
    public int PathLengthSampleCount { get; init; } = 1000;

    /// <summary>Step ε of the path-length finite difference (Karras et al. 2019). Default 1e-4.</summary>
    public double PathLengthEpsilon { get; init; } = 1e-4;

    /// <summary>Interpolation of the path. Default <see cref="LatentInterpolation.Slerp"/>.</summary>
    public LatentInterpolation PathLengthInterpolation { get; init; } = LatentInterpolation.Slerp;

    /// <summary>Samples for the local Lipschitz estimate. Default 1000.</summary>
    public int LipschitzSampleCount { get; init; } = 1000;

    /// <summary>Perturbation norm of the random-direction Lipschitz estimate as ε·√d. Default 1e-3.</summary>
    public double LipschitzEpsilon { get; init; } = 1e-3;

    /// <summary>Power iterations on JᵀJ for the worst-case Lipschitz estimate. Default 20.</summary>
    public int LipschitzPowerIterations { get; init; } = 20;

    /// <summary>Samples for the worst-case Lipschitz estimate (each costs a double backward per iteration). Default 250.</summary>
    public int LipschitzWorstSampleCount { get; init; } = 250;

    /// <summary>Samples compared between one thread and all threads. Default 250.</summary>
    public int DeterminismSampleCount { get; init; } = 250;

    /// <summary>Whether to compare one thread with all threads (changes torch's thread count temporarily). Default true.</summary>
    public bool CheckThreads { get; init; } = true;

    /// <summary>Settings of the training-dynamics flags.</summary>
    public TrainingDynamicsOptions Dynamics { get; init; } = new();

    /// <summary>
    /// Settings for a fast look (about a fifth of the default cost): fewer pairs and path samples, a
    /// shorter worst-case search, fewer power iterations. The numbers are noisier, not different in kind.
    /// </summary>
    public static StabilityOptions Quick() => new()
    {
        SampleCount = 250,
        WorstCaseSampleCount = 64,
        WorstCaseSteps = 10,
        WorstCaseRestarts = 1,
        ConditionSampleCount = 250,
        PathLengthSampleCount = 250,
        LipschitzSampleCount = 250,
        LipschitzWorstSampleCount = 32,
        LipschitzPowerIterations = 10,
        DeterminismSampleCount = 64,
    };

    /// <summary>Throws with the name of the offending setting when a value cannot work.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"StabilityOptions.{name} must be positive.");
        }

        Positive(BatchSize, nameof(BatchSize));
        Positive(SampleCount, nameof(SampleCount));
        Positive(WorstCaseSampleCount, nameof(WorstCaseSampleCount));
        Positive(WorstCaseSteps, nameof(WorstCaseSteps));
        Positive(WorstCaseRestarts, nameof(WorstCaseRestarts));
        Positive(ConditionSampleCount, nameof(ConditionSampleCount));
        Positive(PathLengthSampleCount, nameof(PathLengthSampleCount));
        Positive(LipschitzSampleCount, nameof(LipschitzSampleCount));
        Positive(LipschitzPowerIterations, nameof(LipschitzPowerIterations));
        Positive(LipschitzWorstSampleCount, nameof(LipschitzWorstSampleCount));
        Positive(DeterminismSampleCount, nameof(DeterminismSampleCount));
        if (WorstCaseExampleCount < 0) throw new ArgumentOutOfRangeException(nameof(WorstCaseExampleCount), WorstCaseExampleCount, "StabilityOptions.WorstCaseExampleCount must be zero or positive.");
        if (RandomSearchBudget is <= 0) throw new ArgumentOutOfRangeException(nameof(RandomSearchBudget), RandomSearchBudget, "StabilityOptions.RandomSearchBudget must be positive or null.");
        if (Epsilons.Count == 0 || Epsilons.Any(e => !(e > 0) || double.IsInfinity(e)))
            throw new ArgumentException($"StabilityOptions.Epsilons must be positive finite numbers; got [{string.Join(", ", Epsilons)}].", nameof(Epsilons));
        if (!(PathLengthEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(PathLengthEpsilon), PathLengthEpsilon, "StabilityOptions.PathLengthEpsilon must be positive.");
        if (!(LipschitzEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(LipschitzEpsilon), LipschitzEpsilon, "StabilityOptions.LipschitzEpsilon must be positive.");
        if (!(WorstCaseStepFactor > 0)) throw new ArgumentOutOfRangeException(nameof(WorstCaseStepFactor), WorstCaseStepFactor, "StabilityOptions.WorstCaseStepFactor must be positive.");
    }
}
