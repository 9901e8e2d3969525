using GenAudit.Application;
using GenAudit.Metrics;
using GenAudit.Stability;

namespace GenAudit.Audit;

/// <summary>
/// Every setting of <c>genaudit audit</c> with its default in one place (timings behind the defaults
/// in docs/audit.md#budget). The defaults finish within 5 minutes on 2 cores for the MNIST DCGAN;
/// <see cref="Quick"/> within 1 minute.
/// </summary>
public sealed record AuditOptions
{
    /// <summary>Seed of every stage (latent draws, subsets, perturbations). Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Generated samples for quality and coverage (FID, PRDC, classes, modes). Default <see cref="QualityEvaluationOptions.DefaultSampleCount"/> (5000), the same as <c>evaluate</c>.</summary>
    public int QualitySamples { get; init; } = QualityEvaluationOptions.DefaultSampleCount;

    /// <summary>When true (<c>--strict</c>), a verdict whose bootstrap interval straddles its bound counts as failed. Default false: it passes and is shown as uncertain.</summary>
    public bool Strict { get; init; }

    /// <summary>Token runs: temperature and top-k of every sequence the audit draws (<c>--temperature</c>, <c>--top-k</c>). Default null: the model's own distribution.</summary>
    public GenAudit.Models.TokenSampling? Sampling { get; init; }

    /// <summary>Pairs per ε for repeat, local pairs, path length and Lipschitz. Default 500.</summary>
    public int StabilitySamples { get; init; } = 500;

    /// <summary>Samples of the worst-case search per ε and similarity. Default 50.</summary>
    public int WorstCaseSamples { get; init; } = 50;

    /// <summary>Projected-gradient steps per restart of the worst-case search (one restart). Default 10.</summary>
    public int WorstCaseSteps { get; init; } = 10;

    /// <summary>Noise levels ε of the stability curve. Default 0.01, 0.03, 0.1, 0.3 (the issue's).</summary>
    public IReadOnlyList<double> Epsilons { get; init; } = [0.01, 0.03, 0.1, 0.3];

    /// <summary>Attribution methods compared (the random control is always added). Default ig, smoothgrad, kernelshap, lime.</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["ig", "smoothgrad", "kernelshap", "lime"];

    /// <summary>Generated samples whose explanations are evaluated. Default 8.</summary>
    public int ExplainSamples { get; init; } = 8;

    /// <summary>
    /// Method budgets and evaluation settings of the explanation stage: those of <c>explain --compare</c>, so the
    /// audit and the verb give the same Explainability(G) for the same run, target, n and seed.
    /// </summary>
    public ComparisonOptions Explanation { get; init; } = new();

    /// <summary>Latent directions shown as traversals (GANSpace on the generator's output). Default 6.</summary>
    public int TraversalDirections { get; init; } = 6;

    /// <summary>Traversal strengths in units of the latent standard deviation. Default −3 … 3 in 7 steps.</summary>
    public IReadOnlyList<double> TraversalStrengths { get; init; } = [-3, -2, -1, 0, 1, 2, 3];

    /// <summary>The options the audit flags give: <c>--quick</c>, <c>--seed</c>, <c>-n</c> (quality samples) and <c>--strict</c>.</summary>
    public static AuditOptions For(bool quick, long seed, int? qualitySamples, bool strict)
    {
        var options = quick ? Quick(seed) : new AuditOptions { Seed = seed };
        if (qualitySamples is { } n) options = options with { QualitySamples = n };
        return options with { Strict = strict };
    }

    /// <summary>The fast preset of <c>--quick</c>: fewer samples everywhere, same stages.</summary>
    public static AuditOptions Quick(long seed = 0) => new()
    {
        Seed = seed,
        QualitySamples = 1000,
        StabilitySamples = 100,
        WorstCaseSamples = 10,
        WorstCaseSteps = 5,
        Epsilons = [0.03, 0.3],
        Methods = ["ig", "kernelshap"],
        ExplainSamples = 3,
        Explanation = new ComparisonOptions { IntegratedGradientsSteps = 16, SmoothGradSamples = 8, PerturbationSamples = 128 },
        TraversalDirections = 4,
        TraversalStrengths = [-2, 0, 2],
    };

    /// <summary>Quality-stage options derived from these settings.</summary>
    public QualityEvaluationOptions QualityOptions => QualityEvaluationOptions.For(QualitySamples, Seed);

    /// <summary>
    /// These settings extended so that every key <paramref name="policy"/> names that an audit can produce is
    /// measured: an ε named by local.&lt;ε&gt;.* or worstCase.&lt;ε&gt;.* joins <see cref="Epsilons"/>, an attribution
    /// method named by &lt;method&gt;.* joins <see cref="Methods"/>. Returns the settings and one note per addition.
    /// </summary>
    public (AuditOptions Options, IReadOnlyList<string> Notes) Cover(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var epsilons = Epsilons.ToList();
        var methods = Methods.ToList();
        var notes = new List<string>();
        foreach (var key in policy.Thresholds.Select(t => t.Key))
        {
            var parts = key.Split('.');
            if (parts.Length >= 3 && parts[0] is "local" or "worstCase")
            {
                var text = string.Join('.', parts[1..^1]);
                if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var epsilon) || !(epsilon > 0) || !double.IsFinite(epsilon))
                    throw new PolicyException($"{policy.Source}: key '{key}': '{text}' is not a noise level ε (a positive number such as 0.03)", key);
                if (!epsilons.Any(e => StabilityReport.FormatEpsilon(e) == StabilityReport.FormatEpsilon(epsilon)))
                {
                    epsilons.Add(epsilon);
                    notes.Add($"ε = {StabilityReport.FormatEpsilon(epsilon)} added to the stability settings: the policy names {key}");
                }
            }
            else if (AuditStages.KnownMethods.Contains(parts[0]) && !methods.Contains(parts[0]))
            {
                methods.Add(parts[0]);
                notes.Add($"attribution method {parts[0]} added to the explanation stage: the policy names {key}");
            }
        }
        epsilons.Sort();
        return (this with { Epsilons = epsilons, Methods = methods }, notes);
    }

    /// <summary>Stability-stage options derived from these settings.</summary>
    public StabilityOptions StabilityOptions => new()
    {
        Seed = Seed,
        SampleCount = StabilitySamples,
        Epsilons = Epsilons,
        WorstCaseSampleCount = WorstCaseSamples,
        WorstCaseSteps = WorstCaseSteps,
        WorstCaseRestarts = 1,
        ConditionSampleCount = StabilitySamples,
        PathLengthSampleCount = StabilitySamples,
        LipschitzSampleCount = StabilitySamples,
        LipschitzWorstSampleCount = WorstCaseSamples,
        LipschitzPowerIterations = 10,
        DeterminismSampleCount = Math.Min(StabilitySamples, 100),
    };

    /// <summary>Throws naming the setting when a value cannot work.</summary>
    public void Validate()
    {
        if (QualitySamples < 10) throw new ArgumentOutOfRangeException(nameof(QualitySamples), QualitySamples, "--n must be at least 10");
        if (ExplainSamples < 1) throw new ArgumentOutOfRangeException(nameof(ExplainSamples), ExplainSamples, "ExplainSamples must be positive");
        foreach (var m in Methods)
            if (!AuditStages.KnownMethods.Contains(m))
                throw new ArgumentException($"audit: unknown attribution method '{m}'; known: {string.Join(", ", AuditStages.KnownMethods)}");
        StabilityOptions.Validate();
        Sampling?.Validate();
    }
}
