using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>The model and layers for the randomisation check, top (output) layer first; names from <c>model.named_modules()</c>.</summary>
/// <param name="Model">The module the target and the explainers read; re-initialised in place and restored.</param>
/// <param name="Layers">Layer names in cascade order, top first.</param>
public sealed record RandomisationSetup(nn.Module Model, IReadOnlyList<string> Layers);

/// <summary>Every metric of one method, per example (index = sample), with its explainability score.</summary>
public sealed record MethodEvaluation
{
    /// <summary>Method name.</summary>
    public required string Method { get; init; }
    /// <summary>Whether the method is a control (scored and shown, never recommended).</summary>
    public ControlKind Control { get; init; }
    /// <summary>True for a control.</summary>
    public bool IsControl => Control != ControlKind.None;
    /// <summary>Normalised deletion AUC per example (lower is better).</summary>
    public required double[] DeletionAuc { get; init; }
    /// <summary>Normalised insertion AUC per example (higher is better).</summary>
    public required double[] InsertionAuc { get; init; }
    /// <summary>The deletion and insertion curves.</summary>
    public required DeletionInsertionResult Curves { get; init; }
    /// <summary>Faithfulness correlation per example, in [−1, 1] (higher is better).</summary>
    public required double[] FaithfulnessCorrelation { get; init; }
    /// <summary>Infidelity per example, raw and normalised (lower is better).</summary>
    public required InfidelityResult Infidelity { get; init; }
    /// <summary>Max- and average-sensitivity per example (lower is better).</summary>
    public required SensitivityResult Sensitivity { get; init; }
    /// <summary>Gini index of |φ| per example, in [0, 1) (higher is sparser).</summary>
    public required double[] Sparseness { get; init; }
    /// <summary>Entropy of |φ| / Σ|φ| per example, in [0, ln M] (lower is simpler).</summary>
    public required double[] Complexity { get; init; }
    /// <summary>The method's completeness error per example; null when it makes no completeness promise.</summary>
    public double[]? CompletenessError { get; init; }
    /// <summary>LIME's surrogate R² per example; null for other methods.</summary>
    public double[]? LimeRSquared { get; init; }
    /// <summary>The randomisation check; null when no <see cref="RandomisationSetup"/> was given.</summary>
    public RandomisationResult? Randomisation { get; init; }
    /// <summary>The score's components per example.</summary>
    public required ExplainabilityComponents[] Components { get; init; }
    /// <summary>explainability_score per example, in [0, 1].</summary>
    public required double[] Scores { get; init; }
    /// <summary>Explainability(G) for this method: the mean score over the samples (NaN scores skipped).</summary>
    public double Explainability => Stats.Mean(Scores);
}

/// <summary>All methods' evaluations on one batch, ranked.</summary>
public sealed record EvaluationReport
{
    /// <summary>Per-method evaluations in the order the methods were given.</summary>
    public required IReadOnlyList<MethodEvaluation> Methods { get; init; }
    /// <summary>Method names by Explainability(G), best first (unmeasurable scores last); controls included.</summary>
    public required IReadOnlyList<string> Ranking { get; init; }
    /// <summary>Number of samples n.</summary>
    public required long N { get; init; }
    /// <summary>Seed of the metrics' random draws.</summary>
    public required long Seed { get; init; }
    /// <summary>The metric options used.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }
    /// <summary>
    /// Spread of the target over the explained inputs relative to its scale: population standard deviation of f(xᵢ)
    /// divided by max(1, RMS of f(xᵢ)). Below <see cref="EvaluationOptions.ConstantTargetTolerance"/> the target is
    /// treated as constant and the explainability is not applicable.
    /// </summary>
    public double TargetSpread { get; init; } = double.NaN;
    /// <summary>Why Explainability(G) is not applicable (a target that barely varies over the inputs); null when it is.</summary>
    public string? NotApplicableReason { get; init; }
    /// <summary>The method to trust for this model: the first method of <see cref="Ranking"/> that is not a control.</summary>
    public string BestMethod => Ranking.First(name => !Methods.First(m => m.Method == name).IsControl);
    /// <summary>The top-level explainability: Explainability(G) of <see cref="BestMethod"/>; NaN when not applicable.</summary>
    public double Explainability => NotApplicableReason is null ? Methods.First(m => m.Method == BestMethod).Explainability : double.NaN;
    /// <summary>The random control's evaluation, when one ran.</summary>
    public MethodEvaluation? RandomControl => Methods.FirstOrDefault(m => m.Control == ControlKind.Random);
    /// <summary>
    /// <see cref="Explainability"/> minus the random control's Explainability(G): how far the recommended method beats an
    /// explainer that ignores the model. NaN without a random control or when not applicable.
    /// </summary>
    public double Margin => RandomControl is { } random ? Explainability - random.Explainability : double.NaN;

    /// <summary>The top-level keys this report does not give, each with the reason (empty when everything applies).</summary>
    public IReadOnlyDictionary<string, string> NotApplicableKeys() => NotApplicableReason is { } reason
        ? new Dictionary<string, string> { ["explainability"] = reason, ["explainability.margin"] = reason }
        : new Dictionary<string, string>();

    /// <summary>
    /// Flat keys for JSON: <c>explainability</c> and <c>explainability.margin</c> (both absent when not applicable, see
    /// <see cref="NotApplicableKeys"/>; the margin also without a random control), <c>explainability.targetSpread</c>,
    /// <c>n</c>, <c>seed</c>, and per method means over the samples of
    /// <c>&lt;method&gt;.explainability</c>, <c>.faithfulness</c>, <c>.robustness</c>, <c>.sanity</c>, <c>.deletionAuc</c>,
    /// <c>.insertionAuc</c>, <c>.faithfulnessCorrelation</c>, <c>.infidelity</c>, <c>.infidelity.normalised</c>,
    /// <c>.infidelity.multipliedByInputs</c> (1 when φ was used as given, 0 when a local gradient was multiplied by (x − b) first),
    /// <c>.maxSensitivity</c>, <c>.avgSensitivity</c>, <c>.sparseness</c>, <c>.complexity</c>, <c>.completenessError</c>
    /// (mean |error|), <c>.lime.r2</c> and <c>.randomisation.spearman.&lt;layer&gt;</c> where measured.
    /// </summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var keys = new Dictionary<string, double> { ["explainability.targetSpread"] = TargetSpread, ["n"] = N, ["seed"] = Seed };
        if (NotApplicableReason is null)
        {
            keys["explainability"] = Explainability;
            if (RandomControl is not null) keys["explainability.margin"] = Margin;
        }
        foreach (var m in Methods)
        {
            var p = m.Method + ".";
            keys[p + "explainability"] = m.Explainability;
            keys[p + "faithfulness"] = Stats.Mean(m.Components.Select(c => c.Faithfulness));
            keys[p + "robustness"] = Stats.Mean(m.Components.Select(c => c.Robustness));
            keys[p + "sanity"] = Stats.Mean(m.Components.Select(c => c.Sanity));
            keys[p + "deletionAuc"] = Stats.Mean(m.DeletionAuc);
            keys[p + "insertionAuc"] = Stats.Mean(m.InsertionAuc);
            keys[p + "faithfulnessCorrelation"] = Stats.Mean(m.FaithfulnessCorrelation);
            keys[p + "infidelity"] = Stats.Mean(m.Infidelity.Raw);
            keys[p + "infidelity.normalised"] = Stats.Mean(m.Infidelity.Normalised);
            keys[p + "infidelity.multipliedByInputs"] = m.Infidelity.MultipliedByInputs ? 1 : 0;
            keys[p + "maxSensitivity"] = Stats.Mean(m.Sensitivity.Max);
            keys[p + "avgSensitivity"] = Stats.Mean(m.Sensitivity.Average);
            keys[p + "sparseness"] = Stats.Mean(m.Sparseness);
            keys[p + "complexity"] = Stats.Mean(m.Complexity);
            if (m.CompletenessError is not null) keys[p + "completenessError"] = Stats.Mean(m.CompletenessError.Select(Math.Abs));
            if (m.LimeRSquared is not null) keys[p + "lime.r2"] = Stats.Mean(m.LimeRSquared);
            if (m.Randomisation is not null)
                foreach (var layer in m.Randomisation.Layers)
                    keys[p + "randomisation.spearman." + layer] = Stats.Mean(m.Randomisation.Spearman[layer]);
        }
        return keys;
    }
}

/// <summary>
/// Runs every explanation metric for a list of named methods over a batch of inputs and computes the
/// explainability score per sample and Explainability(G) per method. Every method sees the same random
/// subsets and perturbations (each metric's generator is re-seeded per method).
/// </summary>
public sealed class ExplanationEvaluator
{
    readonly Func<Tensor, Tensor> target;
    readonly EvaluationOptions options;

    /// <summary>An evaluator of explanations of <paramref name="target"/>, a map (L, ...) → (L,).</summary>
    public ExplanationEvaluator(Func<Tensor, Tensor> target, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        this.target = target;
        this.options = options ?? new EvaluationOptions();
        this.options.Validate();
    }

    /// <summary>
    /// Evaluates each method on <paramref name="inputs"/> (n, ...) against <paramref name="baseline"/> (zeros by default),
    /// over the groups of <paramref name="mask"/> when given (then methods' (n, M) group attributions are used when they
    /// report them), and runs the randomisation check when <paramref name="randomisation"/> is given.
    /// <paramref name="progress"/> hears of each finished stage (attributions, then each metric) of each method.
    /// </summary>
    public EvaluationReport Evaluate(IReadOnlyList<ExplanationMethod> methods, Tensor inputs, Baseline? baseline = null,
                                     FeatureMask? mask = null, RandomisationSetup? randomisation = null, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(inputs);
        if (methods.Count == 0) throw new ArgumentException("explanation evaluation: give at least one method.", nameof(methods));
        if (methods.All(m => m.IsControl))
            throw new ArgumentException($"explanation evaluation: {string.Join(", ", methods.Select(m => m.Name))} are all controls; give at least one method that can be recommended.", nameof(methods));
        var duplicate = methods.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"explanation evaluation: method name '{duplicate.Key}' is used twice; names key the report.", nameof(methods));
        var spread = TargetSpreadOf(inputs);
        int done = 0, total = methods.Count * (randomisation is null ? 5 : 6);
        var evaluations = methods.Select(m => EvaluateMethod(m, inputs, baseline, mask, randomisation,
            stage => progress?.Report(new WorkProgress($"{m.Name}: {stage}", ++done, total)))).ToList();
        var ranking = evaluations.OrderByDescending(e => double.IsNaN(e.Explainability) ? double.NegativeInfinity : e.Explainability)
                                 .Select(e => e.Method).ToList();
        var reason = spread < options.ConstantTargetTolerance
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"the target barely varies over the {inputs.shape[0]} explained inputs (spread {spread:G3} of its scale, below the tolerance {options.ConstantTargetTolerance:G3}): there is nothing for an explanation to explain, so explainability is not applicable")
            : null;
        return new EvaluationReport
        {
            Methods = evaluations, Ranking = ranking, N = inputs.shape[0], Seed = options.Seed, Parameters = options.ToParameters(),
            TargetSpread = spread, NotApplicableReason = reason,
        };
    }

    /// <summary>
    /// Population standard deviation of f over the inputs divided by max(1, RMS of f): relative for large targets, absolute
    /// (in the target's units, pixels in [−1, 1], logits, discriminator scores) for targets of order one or smaller, so a target
    /// near zero is not judged by its rounding noise. 0 for a single input.
    /// </summary>
    double TargetSpreadOf(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = target(inputs.detach()).to(ScalarType.Float64).reshape(-1); // (n,)
        var rms = values.square().mean().sqrt().item<double>();
        var std = values.std(unbiased: false).item<double>();
        return std / Math.Max(1, rms);
    }

    MethodEvaluation EvaluateMethod(ExplanationMethod method, Tensor inputs, Baseline? baseline, FeatureMask? mask, RandomisationSetup? randomisation,
                                    Action<string> finished)
    {
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var (attributions, groups, completeness, rSquared, multipliedByInputs) = method.Explain(x);
        finished("attributions");
        var features = mask is not null && groups is not null && groups.dim() == 2 && groups.shape[0] == x.shape[0] && groups.shape[1] == mask.Count
            ? groups : attributions;
        var curves = DeletionInsertion.Compute(target, x, features, baseline, mask, options);
        finished("deletion and insertion");
        var correlation = Explain.Evaluation.FaithfulnessCorrelation.Compute(target, x, features, baseline, mask, options, Seeded(1));
        finished("faithfulness correlation");
        var infidelity = Explain.Evaluation.Infidelity.Compute(target, x,
            options.InfidelityPerturbation == InfidelityPerturbation.Gaussian || !multipliedByInputs ? attributions : features, baseline, mask, options, Seeded(2), multipliedByInputs);
        finished("infidelity");
        var sensitivity = Explain.Evaluation.Sensitivity.Compute(method.Attribute, x, options, Seeded(3));
        finished("sensitivity");
        var (sparseness, complexity) = AttributionStatistics.Compute(x, features, mask);
        var randomised = randomisation is null ? null
            : ModelRandomisation.Run(randomisation.Model, randomisation.Layers, _ => method.Attribute, x, mask, options, Seeded(4));
        if (randomised is not null) finished("randomisation");

        var n = (int)x.shape[0];
        var components = Enumerable.Range(0, n).Select(i => new ExplainabilityComponents(
            ExplainabilityScore.Faithfulness(curves.InsertionAuc[i], curves.DeletionAuc[i], correlation[i]),
            ExplainabilityScore.Robustness(sensitivity.Max[i]),
            randomised is null ? double.NaN : ExplainabilityScore.Sanity(randomised.Layers.Select(l => randomised.Spearman[l][i])))).ToArray();
        return new MethodEvaluation
        {
            Method = method.Name,
            Control = method.Control,
            DeletionAuc = curves.DeletionAuc,
            InsertionAuc = curves.InsertionAuc,
            Curves = curves,
            FaithfulnessCorrelation = correlation,
            Infidelity = infidelity,
            Sensitivity = sensitivity,
            Sparseness = sparseness,
            Complexity = complexity,
            CompletenessError = completeness,
            LimeRSquared = rSquared,
            Randomisation = randomised,
            Components = components,
            Scores = components.Select(ExplainabilityScore.Combine).ToArray(),
        };
    }

    /// <summary>A generator per metric, seeded from the options so every method sees the same draws.</summary>
    Generator Seeded(int metric) => new(unchecked((ulong)options.Seed * 1_000_003UL + (ulong)metric));
}

/// <summary>Means that skip NaN values.</summary>
internal static class Stats
{
    /// <summary>Mean of the non-NaN values; NaN when there are none.</summary>
    public static double Mean(IEnumerable<double> values)
    {
        double sum = 0;
        var count = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) continue;
            sum += v;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }
}
