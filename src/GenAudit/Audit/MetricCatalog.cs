namespace GenAudit.Audit;

/// <summary>Whether a larger value of a metric is better, worse, or must equal a fixed value.</summary>
public enum MetricDirection
{
    /// <summary>Larger is better.</summary>
    Higher,
    /// <summary>Smaller is better.</summary>
    Lower,
    /// <summary>Informational: no better or worse.</summary>
    None,
}

/// <summary>What the real row (held-out real data measured like a generator, docs/audit.md#real-row) gives a key.</summary>
public enum RealRowUse
{
    /// <summary>No real value: the key is not a property of samples (a count, a seed) or its healthy value is fixed by construction.</summary>
    None,
    /// <summary>A real value is reported next to the key, but it sits at or near 0 by design, so ratios to it are refused.</summary>
    Reported,
    /// <summary>A real value is reported and a policy may bound value / real value ("minRatio", "maxRatio").</summary>
    Ratio,
}

/// <summary>A reported number: its key, direction, range, the section of docs/metrics.md that defines it, and its use of the real row.</summary>
public sealed record MetricInfo(string Key, string Title, MetricDirection Direction, string Range, string Anchor, RealRowUse Real = RealRowUse.None);

/// <summary>
/// Every key GenAudit reports, for tables, reports and policy validation. Keys with a variable part
/// (an ε, a method, a layer) are matched by pattern: "local.*.ssim" matches "local.0.03.ssim".
/// </summary>
public static class MetricCatalog
{
    static readonly MetricInfo[] Entries =
    [
        new("fid", "Fréchet distance in the feature extractor's space (the feature classifier's penultimate layer for labelled images)", MetricDirection.Lower, "[0, ∞)", "fid", RealRowUse.Ratio),
        new("kid.mean", "Kernel distance (unbiased MMD², cubic kernel) in the feature extractor's space, mean over subsets", MetricDirection.Lower, "≈ 0 when matched; may be slightly negative", "kid", RealRowUse.Reported),
        new("kid.std", "Kernel distance, standard deviation over subsets (absent when every subset is the whole sample)", MetricDirection.None, "[0, ∞)", "kid"),
        new("precision", "Precision (Naeem et al. 2020, k = 5)", MetricDirection.Higher, "[0, 1]", "prdc", RealRowUse.Ratio),
        new("recall", "Recall (Naeem et al. 2020, k = 5)", MetricDirection.Higher, "[0, 1]", "prdc", RealRowUse.Ratio),
        new("density", "Density (Naeem et al. 2020)", MetricDirection.Higher, "[0, N/k]; ≈ 1 when matched", "prdc", RealRowUse.Ratio),
        new("coverage", "Coverage (Naeem et al. 2020)", MetricDirection.Higher, "[0, 1]", "prdc", RealRowUse.Ratio),
        new("improvedPrecision", "Improved precision (Kynkäänniemi et al. 2019, k = 3)", MetricDirection.Higher, "[0, 1]", "improved-pr", RealRowUse.Ratio),
        new("improvedRecall", "Improved recall (Kynkäänniemi et al. 2019, k = 3)", MetricDirection.Higher, "[0, 1]", "improved-pr", RealRowUse.Ratio),
        new("isScore", "Inception-style score from the feature classifier's class probabilities (not Inception-v3), mean over splits", MetricDirection.Higher, "[1, K]", "is", RealRowUse.Ratio),
        new("isScore.std", "Inception-style score, standard deviation over splits", MetricDirection.None, "[0, ∞)", "is"),
        new("modes.captured", "Modes with at least one high-quality sample", MetricDirection.Higher, "[0, M]", "modes", RealRowUse.Ratio),
        new("modes.highQuality", "Fraction of samples within 3 std of their nearest mode", MetricDirection.Higher, "[0, 1]", "modes", RealRowUse.Ratio),
        new("modes.reverseKl", "KL(generated mode histogram ‖ uniform)", MetricDirection.Lower, "[0, ln M]", "modes", RealRowUse.Reported),
        new("classes.covered", "Classes with at least 1% of generated samples", MetricDirection.Higher, "[0, K]", "classes", RealRowUse.Ratio),
        new("classes.kl", "KL(generated class histogram ‖ real class distribution)", MetricDirection.Lower, "[0, ∞)", "classes", RealRowUse.Reported),
        new("conditionAccuracy", "Classifier accuracy on the requested class", MetricDirection.Higher, "[0, 1]", "classes", RealRowUse.Ratio),
        new("copies.fraction", "Fraction of generated samples that are likely copies of training samples", MetricDirection.Lower, "[0, 1]", "copies", RealRowUse.Reported),
        new("copies.ct", "Data-copying test C_T (Meehan et al. 2020): ≤ −3 means generated samples sit closer to training samples than held-out data does", MetricDirection.Higher, "(−∞, ∞)", "data-copying"),
        new("series.discriminative", "TimeGAN's discriminative score: abs(accuracy − 0.5) of a post-hoc GRU telling real from generated sequences", MetricDirection.Lower, "[0, 0.5]", "series-scores", RealRowUse.Reported),
        new("series.predictive", "TimeGAN's predictive score: MAE on real sequences of a next-step GRU trained on generated ones", MetricDirection.Lower, "[0, 1] for data in [0, 1]", "series-scores", RealRowUse.Ratio),
        new("series.autocorrelationError", "Mean absolute difference of real and generated autocorrelations over features and lags 1 … 10", MetricDirection.Lower, "[0, 2]", "series-scores", RealRowUse.Reported),
        new("series.crossCorrelationError", "Mean absolute difference of real and generated cross-feature correlations", MetricDirection.Lower, "[0, 2]", "series-scores", RealRowUse.Reported),
        new("authenticity", "Fraction of generated samples farther from their nearest training sample than its own nearest neighbour (Alaa et al. 2022); real data ≈ 0.5", MetricDirection.Higher, "[0, 1]", "authenticity", RealRowUse.Ratio),
        new("classifier.accuracy", "Held-out accuracy of the feature classifier", MetricDirection.Higher, "[0, 1]", "feature-space"),
        new("autoencoder.reconstructionError", "Held-out reconstruction error (MSE per value) of the autoencoder whose code is the feature space of folders without two classes", MetricDirection.Lower, "[0, 1]", "feature-space"),
        new("samples.real", "Real samples used", MetricDirection.None, "count", "feature-space"),
        new("samples.generated", "Generated samples used", MetricDirection.None, "count", "feature-space"),
        new("seed", "Seed", MetricDirection.None, "integer", "feature-space"),

        new("bleu.*", "BLEU-n of generated token sequences against the held-out set (nltk sentence_bleu, smoothing method 1, as Texygen), mean over sequences", MetricDirection.Higher, "[0, 1]", "text-bleu", RealRowUse.Ratio),
        new("selfBleu.*", "Self-BLEU-n: BLEU-n of each generated sequence against the others, mean (higher = less diverse)", MetricDirection.Lower, "[0, 1]", "text-bleu", RealRowUse.Ratio),
        new("distinct.*", "distinct-n: distinct n-grams over all n-grams of the generated sequences", MetricDirection.Higher, "(0, 1]", "text-distinct", RealRowUse.Ratio),
        new("nll.test", "NLL-test: the model's NLL of held-out sequences, nats per token", MetricDirection.Lower, "[0, ∞)", "nll-test"),
        new("nll.oracle", "NLL-oracle: the oracle's NLL of generated sequences, nats per token", MetricDirection.Lower, "[0, ∞)", "nll-test", RealRowUse.Ratio),
        new("copies.verbatim.train", "Share of generated sequences found verbatim in the training set", MetricDirection.Lower, "[0, 1]", "text-copies"),
        new("local.*.edit", "Local-pair stability of token sequences, 1 − normalised edit distance", MetricDirection.Higher, "[0, 1]", "text-stability"),
        new("local.*.jaccard", "Local-pair stability of token sequences, token-set Jaccard", MetricDirection.Higher, "[0, 1]", "text-stability"),
        new("independent.edit", "Similarity of token sequences from independent latents, 1 − normalised edit distance (the floor of local pairs)", MetricDirection.None, "[0, 1]", "text-stability"),
        new("independent.jaccard", "Similarity of token sequences from independent latents, token-set Jaccard (the floor of local pairs)", MetricDirection.None, "[0, 1]", "text-stability"),
        new("copies.verbatim.test", "Share of generated sequences found verbatim in the held-out set", MetricDirection.None, "[0, 1]", "text-copies", RealRowUse.Reported),

        new("repeat", "Repeat-pair stability (must be exactly 1 on CPU)", MetricDirection.Higher, "[0, 1]", "stability-score"),
        new("repeat.maxAbsDiff", "Largest difference between two identical calls", MetricDirection.Lower, "[0, ∞)", "stability-score"),
        new("local.*.ssim", "Local-pair stability, SSIM", MetricDirection.Higher, "[-1, 1]", "stability-score"),
        new("local.*.cosine", "Local-pair stability, feature cosine", MetricDirection.Higher, "[-1, 1]", "stability-score"),
        new("local.*.normalizedL2", "Local-pair stability, normalised L2 similarity", MetricDirection.Higher, "[0, 1]", "stability-score"),
        new("worstCase.*.ssim", "Worst-case stability in the ε-ball, SSIM", MetricDirection.Higher, "[-1, 1]", "stability-score"),
        new("worstCase.*.cosine", "Worst-case stability in the ε-ball, feature cosine", MetricDirection.Higher, "[-1, 1]", "stability-score"),
        new("worstCase.*.normalizedL2", "Worst-case stability in the ε-ball, normalised L2", MetricDirection.Higher, "[0, 1]", "stability-score"),
        new("conditionConsistency", "Classifier agreement with the requested condition", MetricDirection.Higher, "[0, 1]", "stability-score"),
        new("conditionConsistency.*", "Classifier agreement with the requested condition, for one condition", MetricDirection.Higher, "[0, 1]", "stability-score"),
        new("ppl", "Perceptual path length (Karras et al. 2019)", MetricDirection.Lower, "[0, ∞)", "ppl"),
        new("ppl.*", "Perceptual path length for one condition", MetricDirection.Lower, "[0, ∞)", "ppl"),
        new("lipschitz.mean", "Local Lipschitz estimate, mean over samples", MetricDirection.Lower, "[0, ∞)", "lipschitz"),
        new("lipschitz.max", "Local Lipschitz estimate, largest finite-difference ratio", MetricDirection.Lower, "[0, ∞)", "lipschitz"),
        new("lipschitz.worst", "Local Lipschitz estimate, worst case found", MetricDirection.Lower, "[0, ∞)", "lipschitz"),
        new("lipschitz.worstMean", "Local Lipschitz estimate, mean of the per-sample Jacobian spectral norms", MetricDirection.Lower, "[0, ∞)", "lipschitz"),
        new("determinism.seed.maxAbsDiff", "Largest difference between two draws with the same seed (must be 0)", MetricDirection.Lower, "[0, ∞)", "determinism"),
        new("determinism.threads.maxAbsDiff", "Largest difference between 1 thread and all threads", MetricDirection.Lower, "[0, ∞)", "determinism"),
        new("determinism.kernels", "1 when libtorch's convolution kernels passed the start-up numerics self-check on this CPU", MetricDirection.Higher, "{0, 1}", "determinism"),
        new("seeds.*.mean", "Mean of a metric over runs with different seeds", MetricDirection.None, "range of the metric", "seeds"),
        new("seeds.*.std", "Standard deviation of a metric over runs with different seeds", MetricDirection.Lower, "[0, ∞)", "seeds"),
        new("seeds.*.cv", "Coefficient of variation of a metric over runs with different seeds", MetricDirection.Lower, "[0, ∞)", "seeds"),

        new("explainability", "Explainability(G): mean explainability score of the recommended method (never a control); absent when the target barely varies", MetricDirection.Higher, "[0, 1]", "explainability-score"),
        new("explainability.margin", "Explainability(G) of the recommended method minus the random control's", MetricDirection.Higher, "[-1, 1]; ≈ 0 when no better than random", "explainability-score"),
        new("explainability.targetSpread", "Spread of the explained target over the inputs: std / max(1, RMS); below 1e-3 explainability is not applicable", MetricDirection.None, "[0, ∞)", "explainability-score"),
        new("*.explainability", "Explainability score of a method", MetricDirection.Higher, "[0, 1]", "explainability-score"),
        new("*.faithfulness", "Faithfulness component of the explainability score", MetricDirection.Higher, "[0, 1]", "explainability-score"),
        new("*.robustness", "Robustness component of the explainability score", MetricDirection.Higher, "[0, 1]", "explainability-score"),
        new("*.sanity", "Sanity (model randomisation) component of the explainability score", MetricDirection.Higher, "[0, 1]", "explainability-score"),
        new("*.deletionAuc", "Deletion AUC (Petsiuk et al. 2018)", MetricDirection.Lower, "≈ [0, 1]", "explanation-metrics"),
        new("*.insertionAuc", "Insertion AUC (Petsiuk et al. 2018)", MetricDirection.Higher, "≈ [0, 1]", "explanation-metrics"),
        new("*.faithfulnessCorrelation", "Faithfulness correlation (Bhatt et al. 2020)", MetricDirection.Higher, "[-1, 1]", "explanation-metrics"),
        new("*.infidelity", "Infidelity (Yeh et al. 2019)", MetricDirection.Lower, "[0, ∞)", "explanation-metrics"),
        new("*.infidelity.multipliedByInputs", "1 when the method's attributions already include (x − b) (Yeh et al.'s convention for subset perturbations), 0 when infidelity multiplied them by (x − b) first", MetricDirection.None, "{0, 1}", "explanation-metrics"),
        new("*.infidelity.normalised", "Infidelity with the attributions optimally rescaled (Yeh et al. 2019)", MetricDirection.Lower, "[0, ∞)", "explanation-metrics"),
        new("*.maxSensitivity", "Max-sensitivity (Yeh et al. 2019)", MetricDirection.Lower, "[0, ∞)", "explanation-metrics"),
        new("*.avgSensitivity", "Average sensitivity (Yeh et al. 2019)", MetricDirection.Lower, "[0, ∞)", "explanation-metrics"),
        new("*.sparseness", "Sparseness: Gini index of |φ|", MetricDirection.Higher, "[0, 1]", "explanation-metrics"),
        new("*.complexity", "Complexity: entropy of |φ|/Σ|φ|", MetricDirection.Lower, "[0, ln n]", "explanation-metrics"),
        new("*.completenessError", "Σφ − (f(x) − f(baseline))", MetricDirection.Lower, "(−∞, ∞); 0 is ideal", "explanation-metrics"),
        new("*.lime.r2", "LIME surrogate weighted R²", MetricDirection.Higher, "(−∞, 1]", "explanation-metrics"),
        new("*.randomisation.spearman.*", "Spearman correlation after randomising layers (Adebayo et al. 2018)", MetricDirection.Lower, "[-1, 1]", "explanation-metrics"),
    ];

    /// <summary>All entries.</summary>
    public static IReadOnlyList<MetricInfo> All => Entries;

    /// <summary>The entry for <paramref name="key"/>, matching '*' against one or more dotted parts; null when unknown.</summary>
    public static MetricInfo? Find(string key)
    {
        foreach (var entry in Entries) if (entry.Key == key) return entry;
        foreach (var entry in Entries) if (entry.Key.Contains('*') && Matches(entry.Key, key)) return entry;
        return null;
    }

    static bool Matches(string pattern, string key)
    {
        var regex = "^" + string.Join(".+", pattern.Split('*').Select(System.Text.RegularExpressions.Regex.Escape)) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(key, regex);
    }

    /// <summary>"↑ higher is better", "↓ lower is better" or "".</summary>
    public static string Arrow(MetricDirection direction) => direction switch
    {
        MetricDirection.Higher => "↑ higher is better",
        MetricDirection.Lower => "↓ lower is better",
        _ => "",
    };
}
