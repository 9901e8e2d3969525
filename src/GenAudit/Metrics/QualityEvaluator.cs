using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="QualityEvaluator"/>; one place for the defaults `genaudit evaluate` and library calls share.</summary>
public sealed record QualityEvaluationOptions
{
    /// <summary>
    /// The one default n of `genaudit evaluate` and `genaudit audit`: 5,000 (FID is biased in n, so the two
    /// verbs must agree; 5,000 keeps the audit within its 5-minute budget, docs/audit.md#budget).
    /// </summary>
    public const int DefaultSampleCount = 5_000;

    /// <summary>Generated samples n. Default: <see cref="DefaultSampleCount"/>.</summary>
    public int SampleCount { get; init; } = DefaultSampleCount;

    /// <summary>Seeds the latent vectors (own torch.Generator) and the KID subsets. Default: 0.</summary>
    public long Seed { get; init; }

    /// <summary>Samples per generator call and per feature-extractor call. Default: 500.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Most held-out samples used as the real reference; a larger split is subsampled. Default: <see cref="DefaultSampleCount"/> (see <see cref="For"/>).</summary>
    public int MaxRealSamples { get; init; } = DefaultSampleCount;

    /// <summary>Bootstrap resamples B of the intervals (docs/audit.md#intervals); 0 computes none. Default: <see cref="Bootstrap.DefaultResamples"/>.</summary>
    public int BootstrapResamples { get; init; } = Bootstrap.DefaultResamples;

    /// <summary>Folder of the real-row cache; null: <see cref="Core.CacheFolder.Default"/>/real-rows.</summary>
    public string? RealRowCacheFolder { get; init; }

    /// <summary>
    /// The options `evaluate` and `audit` both use for n generated samples and a seed: the real reference is
    /// max(n, 1,000) held-out samples (all of a smaller split), so both verbs compare the same sets.
    /// </summary>
    public static QualityEvaluationOptions For(int sampleCount, long seed) =>
        new() { SampleCount = sampleCount, Seed = seed, MaxRealSamples = Math.Max(sampleCount, 1000) };

    /// <summary>
    /// Most training samples copy detection, authenticity and the data-copying test compare against; a
    /// larger training set is subsampled. Default: all of them (a subsample hides memorisation: one
    /// copied image in six is found against a sixth of the training set).
    /// </summary>
    public int MaxCopyTrainingSamples { get; init; } = int.MaxValue;

    /// <summary>Seeds the subsampling of the real and training sets; fixed so every evaluation of one dataset uses the same reference. Default: 0.</summary>
    public ulong ReferenceSeed { get; init; }

    /// <summary>Splits of the Inception-style score; fewer generated samples than splits use one split per sample. Default: 10 (<see cref="InceptionScore.DefaultSplits"/>).</summary>
    public int InceptionScoreSplits { get; init; } = InceptionScore.DefaultSplits;

    /// <summary>KID settings; its Seed is replaced by <see cref="Seed"/>.</summary>
    public KernelInceptionDistanceOptions Kid { get; init; } = new();

    /// <summary>Precision, recall, density and coverage settings (k = 5).</summary>
    public PrecisionRecallDensityCoverageOptions Prdc { get; init; } = new();

    /// <summary>Improved precision and recall settings (k = 3).</summary>
    public ImprovedPrecisionRecallOptions ImprovedPrecisionRecall { get; init; } = new();

    /// <summary>Class coverage settings (a class is covered at ≥ 1% of the samples).</summary>
    public ClassCoverageOptions Classes { get; init; } = new();

    /// <summary>Copy detection settings (α = 0.1, 16 closest pairs).</summary>
    public CopyDetectionOptions Copies { get; init; } = new();

    /// <summary>Data-copying test settings (20 k-means cells, τ = 20 / n); its Seed is replaced by <see cref="ReferenceSeed"/>.</summary>
    public DataCopyingOptions DataCopying { get; init; } = new();

    internal void Validate()
    {
        if (SampleCount < 2) throw new ArgumentOutOfRangeException(nameof(SampleCount), $"SampleCount is {SampleCount}; the metrics need at least 2 generated samples (FID needs more than the feature size).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"BatchSize is {BatchSize}; it must be at least 1.");
        if (MaxRealSamples < 2) throw new ArgumentOutOfRangeException(nameof(MaxRealSamples), $"MaxRealSamples is {MaxRealSamples}; it must be at least 2.");
        if (MaxCopyTrainingSamples < 2) throw new ArgumentOutOfRangeException(nameof(MaxCopyTrainingSamples), $"MaxCopyTrainingSamples is {MaxCopyTrainingSamples}; it must be at least 2.");
        if (BootstrapResamples is < 0 or 1) throw new ArgumentOutOfRangeException(nameof(BootstrapResamples), $"BootstrapResamples is {BootstrapResamples}; use 0 (no intervals) or at least 2.");
        if (InceptionScoreSplits < 1) throw new ArgumentOutOfRangeException(nameof(InceptionScoreSplits), $"InceptionScoreSplits is {InceptionScoreSplits}; it must be at least 1.");
    }
}

/// <summary>A generated sample and its nearest training sample, for showing side by side.</summary>
/// <param name="GeneratedIndex">Index of the generated sample (0..n−1).</param>
/// <param name="TrainingIndex">Index of the nearest training sample in the training dataset.</param>
/// <param name="Distance">Euclidean distance between the two in feature space.</param>
/// <param name="GeneratedSample">The generated sample's values, flattened (for images C·H·W in [0, 1]).</param>
public sealed record CopyCandidate(int GeneratedIndex, int TrainingIndex, double Distance, float[] GeneratedSample);

/// <summary>Everything `genaudit evaluate` reports for one generator. <see cref="ToFlatDictionary"/> gives its JSON keys.</summary>
/// <param name="Seed">Seed of the latent vectors and KID subsets.</param>
/// <param name="RealCount">Real (held-out) samples in the reference.</param>
/// <param name="GeneratedCount">Generated samples.</param>
/// <param name="CopyTrainingCount">Training samples copy detection compared against.</param>
/// <param name="FeatureSize">Feature dimension D.</param>
/// <param name="Fid">Fréchet distance.</param>
/// <param name="Kid">Kernel inception distance.</param>
/// <param name="Prdc">Precision, recall, density, coverage (k = 5).</param>
/// <param name="ImprovedPrecisionRecall">Improved precision and recall (k = 3).</param>
/// <param name="InceptionScore">Inception-style score; null without a classifier.</param>
/// <param name="Modes">Mode coverage; null unless the data is a known 2D mixture.</param>
/// <param name="Classes">Class coverage; null unless the data is labelled and a classifier is used.</param>
/// <param name="ConditionAccuracy">Accuracy on requested classes; null for unconditional models.</param>
/// <param name="Copies">Copy detection; its indices refer to rows of the training subsample (<see cref="CopyTrainingIndices"/>).</param>
/// <param name="CopyTrainingIndices">Training-dataset index of each row of the copy-detection reference.</param>
/// <param name="Authenticity">Authenticity (Alaa et al. 2022) against the same training reference as copy detection.</param>
/// <param name="DataCopying">The data-copying test C_T (Meehan et al. 2020); null when the held-out split is the training data itself.</param>
/// <param name="ClosestPairs">The generated samples nearest to the training set, nearest first, with dataset indices.</param>
/// <param name="ClassifierAccuracy">Held-out accuracy of the feature classifier; null for 2D data.</param>
/// <param name="RealFeatures">Real features (RealCount × FeatureSize), row-major.</param>
/// <param name="GeneratedFeatures">Generated features (GeneratedCount × FeatureSize), row-major.</param>
public sealed record QualityEvaluation(
    long Seed, int RealCount, int GeneratedCount, int CopyTrainingCount, int FeatureSize,
    FrechetDistanceResult Fid, KernelInceptionDistanceResult Kid, PrecisionRecallDensityCoverageResult Prdc,
    ImprovedPrecisionRecallResult ImprovedPrecisionRecall, InceptionScoreResult? InceptionScore,
    ModeCoverageResult? Modes, ClassCoverageResult? Classes, ConditionAccuracyResult? ConditionAccuracy,
    CopyDetectionResult Copies, int[] CopyTrainingIndices, CopyCandidate[] ClosestPairs, double? ClassifierAccuracy,
    float[] RealFeatures, float[] GeneratedFeatures, AuthenticityResult Authenticity, DataCopyingResult? DataCopying)
{
    /// <summary>Held-out reconstruction error of the autoencoder whose code is the feature space (unlabelled and one-class image folders); null otherwise.</summary>
    public double? AutoencoderReconstructionError { get; init; }

    /// <summary>The keys of <see cref="ToFlatDictionary"/>, in output order.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "fid", "kid.mean", "kid.std", "precision", "recall", "density", "coverage", "improvedPrecision", "improvedRecall",
        "isScore", "isScore.std", "modes.captured", "modes.highQuality", "modes.reverseKl", "classes.covered", "classes.kl",
        "conditionAccuracy", "copies.fraction", "copies.ct", "authenticity", "classifier.accuracy", "autoencoder.reconstructionError", "samples.real", "samples.generated", "seed",
    ];

    /// <summary>Every key of <see cref="Keys"/> with its value; null when the metric does not apply (see docs/metrics-evaluate.md).</summary>
    public IReadOnlyDictionary<string, double?> ToFlatDictionary()
    {
        var values = new Dictionary<string, double?>
        {
            ["fid"] = Fid.Distance,
            ["kid.mean"] = Kid.Mean,
            ["kid.std"] = Kid.StandardDeviation,
            ["precision"] = Prdc.Precision,
            ["recall"] = Prdc.Recall,
            ["density"] = Prdc.Density,
            ["coverage"] = Prdc.Coverage,
            ["improvedPrecision"] = ImprovedPrecisionRecall.Precision,
            ["improvedRecall"] = ImprovedPrecisionRecall.Recall,
            ["isScore"] = InceptionScore?.Mean,
            ["isScore.std"] = InceptionScore is { Splits: > 1 } score ? score.StandardDeviation : null,
            ["modes.captured"] = Modes?.ModesCaptured,
            ["modes.highQuality"] = Modes is { QualityMeasured: true } ? Modes.HighQualityFraction : null,
            ["modes.reverseKl"] = Modes?.ReverseKl,
            ["classes.covered"] = Classes?.ClassesCovered,
            ["classes.kl"] = Classes?.KlToReal,
            ["conditionAccuracy"] = ConditionAccuracy?.Accuracy,
            ["copies.fraction"] = Copies.CopyFraction,
            ["copies.ct"] = DataCopying?.Ct,
            ["authenticity"] = Authenticity.Score,
            ["classifier.accuracy"] = ClassifierAccuracy,
            ["autoencoder.reconstructionError"] = AutoencoderReconstructionError,
            ["samples.real"] = RealCount,
            ["samples.generated"] = GeneratedCount,
            ["seed"] = Seed,
        };
        return Keys.ToDictionary(k => k, k => values[k]);
    }

    /// <summary>Bootstrap 95% intervals by key (docs/audit.md#intervals): generated samples resampled, the reference fixed.</summary>
    public IReadOnlyDictionary<string, ConfidenceInterval> Intervals { get; init; } = new Dictionary<string, ConfidenceInterval>();

    /// <summary>The space the feature-based keys are measured in (<see cref="IFeatureExtractor.Name"/>).</summary>
    public string ExtractorName { get; init; } = "";

    /// <summary>The extractor's identity (<see cref="IFeatureExtractor.Identity"/>); null when unknown.</summary>
    public string? ExtractorIdentity { get; init; }

    /// <summary>Why key <paramref name="key"/> of <see cref="Keys"/> has no value on this run; null when it has one or is not a key of this evaluation.</summary>
    public string? WhyNotApplicable(string key) => key switch
    {
        "kid.std" when Kid.StandardDeviation is null => "every KID subset is the whole sample, so there is no spread over subsets",
        "isScore" or "isScore.std" when InceptionScore is null => "the feature space has no classifier (unlabelled data or 2D points), so there are no class probabilities",
        "isScore.std" when InceptionScore is { Splits: <= 1 } => "the score was computed in one split",
        "modes.captured" or "modes.highQuality" or "modes.reverseKl" when Modes is null => "modes are scored for known 2D mixtures (ring8, grid25) and Stacked MNIST only",
        "modes.highQuality" when Modes is { QualityMeasured: false } => "Stacked MNIST assigns every sample a mode (its three classified digits); there is no quality threshold",
        "modes.reverseKl" when Modes is { ReverseKl: null } => "no generated sample lies near a mode, so the mode histogram is empty (modes.highQuality is 0)",
        "classes.covered" or "classes.kl" when Classes is null => "class coverage needs class labels and a feature classifier",
        "conditionAccuracy" when ConditionAccuracy is null => "the model is unconditional, or there is no classifier to check its conditions",
        "copies.ct" when DataCopying is null => "the data has no held-out split (it is the training data itself), so the data-copying test has no held-out reference",
        "classifier.accuracy" when ClassifierAccuracy is null => "the feature space has no classifier",
        _ => null,
    };

    /// <summary>Writes <c>real.npy</c> and <c>fake.npy</c> (float32, N × D) into <paramref name="folder"/>, creating it.</summary>
    public void WriteFeatures(string folder)
    {
        Directory.CreateDirectory(folder);
        Npy.Write(Path.Combine(folder, "real.npy"), RealFeatures, [RealCount, FeatureSize]);
        Npy.Write(Path.Combine(folder, "fake.npy"), GeneratedFeatures, [GeneratedCount, FeatureSize]);
    }
}

/// <summary>
/// Held-out real data measured as if it were a generator (docs/audit.md#real-row): <see cref="CandidateCount"/>
/// held-out samples play the generated samples; the reference of FID, KID, PRDC and improved precision/recall is
/// a seeded sample of <see cref="ReferenceCount"/> training samples (as many as the generator's held-out
/// reference); classes, the Inception-style score and condition accuracy use the candidates' predictions (and
/// their labels); copies and authenticity compare the candidates with the whole training set, as for a generator.
/// </summary>
/// <param name="Values">Real value by key; only keys that have one (docs/audit.md#real-row).</param>
/// <param name="CandidateCount">Held-out samples measured: min(n, held-out count).</param>
/// <param name="ReferenceCount">Training samples in the reference.</param>
/// <param name="CopyTrainingCount">Training samples copies and authenticity compared against.</param>
/// <param name="Seed">The evaluation seed (picks the candidates).</param>
/// <param name="ExtractorName">The feature space.</param>
/// <param name="FromCache">True when read from the cache instead of computed.</param>
public sealed record RealRow(IReadOnlyDictionary<string, double> Values, int CandidateCount, int ReferenceCount, int CopyTrainingCount, long Seed, string ExtractorName, bool FromCache);

/// <summary>
/// Sample quality, coverage and memorisation of a generator against a dataset, in a feature space:
/// the feature classifier's for images, the points themselves for 2D data (see docs/metrics-evaluate.md).
/// </summary>
/// <remarks>
/// The real reference for FID, KID and PRDC is the held-out (test) split, so a generator that copies its
/// training images is not rewarded with a perfect score; copy detection compares against the training
/// split. The reference features are computed once per evaluator and reused for every model.
/// </remarks>
public sealed class QualityEvaluator
{
    readonly IFeatureExtractor extractor;
    readonly Dataset train;
    readonly Dataset test;
    readonly QualityEvaluationOptions options;
    readonly Lazy<(float[] Features, int Count)> realFeatures;
    readonly Lazy<(float[] Features, int[] Indices)> trainingFeatures;

    /// <summary>Evaluates against <paramref name="train"/> (copy detection, class distribution, mixture) and <paramref name="test"/> (the real reference).</summary>
    public QualityEvaluator(IFeatureExtractor extractor, Dataset train, Dataset test, QualityEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        this.options = options ?? new QualityEvaluationOptions();
        this.options.Validate();
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new ArgumentException($"Training set '{train.Name}' has samples of [{string.Join(", ", train.SampleShape)}] but test set '{test.Name}' has [{string.Join(", ", test.SampleShape)}]; pass two splits of one dataset.");
        if (test.Count < 2) throw new ArgumentException($"Test set '{test.Name}' has {test.Count} sample; the metrics need at least 2.", nameof(test));
        if (train.Count < 2) throw new ArgumentException($"Training set '{train.Name}' has {train.Count} sample; copy detection needs at least 2.", nameof(train));
        this.extractor = extractor;
        this.train = train;
        this.test = test;
        realFeatures = new Lazy<(float[], int)>(() =>
        {
            var indices = Subsample(test.Count, this.options.MaxRealSamples, this.options.ReferenceSeed);
            return (FeaturesOf(test, indices, withProbabilities: false).Features, indices.Length);
        });
        trainingFeatures = new Lazy<(float[], int[])>(() =>
        {
            var indices = Subsample(train.Count, this.options.MaxCopyTrainingSamples, this.options.ReferenceSeed);
            return (FeaturesOf(train, indices, withProbabilities: false).Features, indices);
        });
    }

    /// <summary>The mixture whose modes are scored, when the data is a known 2D mixture (ring8, grid25).</summary>
    public Mixture2D? Mixture => (train as PointDataset)?.Mixture ?? (test as PointDataset)?.Mixture;

    /// <summary>
    /// Generates <see cref="QualityEvaluationOptions.SampleCount"/> samples from z ~ N(0, I) (a torch.Generator
    /// seeded with <see cref="QualityEvaluationOptions.Seed"/>; conditional models get the classes 0, 1, …, K−1
    /// in turn, so each class is requested equally often) and computes every metric that applies.
    /// <paramref name="steps"/> hears of each of the <see cref="EvaluationSteps"/> finished stages.
    /// </summary>
    public QualityEvaluation Evaluate(IGenerativeModel model, IProgress<string>? progress = null, IProgress<WorkProgress>? steps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.OutputShape.SequenceEqual(train.SampleShape))
            throw new ArgumentException($"The model generates samples of [{string.Join(", ", model.OutputShape)}] but '{train.Name}' holds [{string.Join(", ", train.SampleShape)}]; evaluate the model on the data it was trained on.", nameof(model));
        TorchRuntime.EnsureLoaded();
        var n = options.SampleCount;
        var d = extractor.FeatureSize;
        var mixture = Mixture;

        progress?.Report($"features of {Math.Min(test.Count, options.MaxRealSamples)} real samples of '{test.Name}'");
        var (real, realCount) = realFeatures.Value;
        steps?.Report(new WorkProgress("real features", 1, EvaluationSteps));
        progress?.Report($"generating {n} samples (seed {options.Seed})");
        var generated = Generate(model, out var samples, out var probabilities, out var requested);
        steps?.Report(new WorkProgress("generated samples", 2, EvaluationSteps));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var realTensor = tensor(real, [realCount, d]);     // (N_real, D)
        var fakeTensor = tensor(generated, [n, d]);        // (n, D)

        progress?.Report("FID, KID, precision/recall/density/coverage");
        var fid = FrechetDistance.Compute(realTensor, fakeTensor);
        var kid = KernelInceptionDistance.Compute(realTensor, fakeTensor, options.Kid with { Seed = unchecked((ulong)options.Seed) });
        var bootstrap = options.BootstrapResamples > 0;
        var (prdc, prdcCounts) = PrecisionRecallDensityCoverage.ComputeWithCounts(realTensor, fakeTensor, options.Prdc, collectPairs: bootstrap);
        var (improved, improvedCounts) = ImprovedPrecisionRecall.ComputeWithCounts(realTensor, fakeTensor, options.ImprovedPrecisionRecall, collectPairs: bootstrap);

        InceptionScoreResult? inceptionScore = null;
        ClassCoverageResult? classes = null;
        ConditionAccuracyResult? conditionAccuracy = null;
        ModeCoverageResult? modes = null;
        Tensor? predicted = null;
        Tensor? probabilityTensor = null;
        double[]? realWeights = null;
        if (probabilities is not null)
        {
            probabilityTensor = tensor(probabilities, [n, extractor.ClassCount]);     // (n, K)
            inceptionScore = InceptionScore.Compute(probabilityTensor, Math.Min(options.InceptionScoreSplits, n));
            predicted = probabilityTensor.argmax(1);                                  // (n,)
            if (train.Labels is not null && train.ClassNames.Count == extractor.ClassCount)
            {
                realWeights = TrainingClassWeights();
                classes = ClassCoverage.Compute(predicted, realWeights, options.Classes);
            }
        }
        Func<Tensor, ModeCoverageResult>? modesOfRows = null;
        if (mixture is not null && d == 2)
        {
            var points = tensor(samples, [n, 2]);                                      // (n, 2)
            var means = tensor(mixture.Means.SelectMany(m => new[] { m.X, m.Y }).ToArray(), [mixture.ModeCount, 2]); // (M, 2)
            modes = ModeCoverage.Compute(points, means, mixture.Std);
            modesOfRows = rows => ModeCoverage.Compute(points.index_select(0, rows), means, mixture.Std);
            if (model.ConditionCount == mixture.ModeCount) predicted = mixture.NearestMode(points);
        }
        // Stacked MNIST: the extractor's classes are the 1,000 digit triples (StackedMnistFeatureSpace).
        if (predicted is not null && StackedMnist.Is(train) && extractor.ClassCount == StackedMnist.ModeCount) modes = StackedMnistModes.Compute(predicted);
        Tensor? requestedTensor = null;
        if (requested is not null && predicted is not null && model.ConditionCount == ClassCountOf(mixture))
        {
            requestedTensor = tensor(requested);                                       // (n,)
            conditionAccuracy = ClassCoverage.ConditionAccuracy(predicted, requestedTensor, model.ConditionCount);
        }

        steps?.Report(new WorkProgress("metrics", 3, EvaluationSteps));
        progress?.Report($"copy detection and authenticity against {Math.Min(train.Count, options.MaxCopyTrainingSamples)} training samples");
        var (trainFeatures, trainIndices) = trainingFeatures.Value;
        var trainTensor = tensor(trainFeatures, [trainIndices.Length, d]); // (N_train, D)
        var copies = CopyDetection.Compute(trainTensor, fakeTensor, options.Copies with { Seed = options.ReferenceSeed });
        var authenticity = Authenticity.FromDistances(copies.NearestTrainingDistances, copies.NearestTrainingIndices, copies.TrainingNearestDistances);
        DataCopyingResult? dataCopying = null;
        if (train.Fingerprint != test.Fingerprint)
        {
            progress?.Report($"data-copying test (C_T) in {options.DataCopying.CellCount} cells");
            dataCopying = DataCopyingTest.Compute(trainTensor, realTensor, fakeTensor, options.DataCopying with { Seed = options.ReferenceSeed });
        }
        var sampleSize = train.SampleSize;
        var closest = copies.ClosestPairs
            .Select(p => new CopyCandidate(p.GeneratedIndex, trainIndices[p.TrainingIndex], p.Distance,
                samples.AsSpan(p.GeneratedIndex * sampleSize, sampleSize).ToArray()))
            .ToArray();
        steps?.Report(new WorkProgress("copy detection", 4, EvaluationSteps));

        var intervals = new Dictionary<string, ConfidenceInterval>();
        if (bootstrap)
        {
            progress?.Report($"bootstrap intervals ({options.BootstrapResamples} resamples of the generated samples)");
            var byTraining = copies.TrainingNearestDistances;
            intervals = QualityIntervals.Compute(new QualityIntervals.Inputs
            {
                RealStatistics = FrechetDistance.ComputeStatistics(realTensor, allowRankDeficient: true, "real"),
                Fake = fakeTensor,
                Prdc = prdcCounts,
                PrdcK = options.Prdc.NearestK,
                Improved = improvedCounts,
                Probabilities = probabilityTensor,
                InceptionScoreSplits = options.InceptionScoreSplits,
                Predicted = classes is not null ? predicted : null,
                RealClassWeights = realWeights,
                Classes = options.Classes,
                Requested = conditionAccuracy is not null ? requestedTensor : null,
                ConditionCount = model.ConditionCount,
                Modes = modesOfRows,
                Copies = copies.NearestTrainingDistances.Select(x => x <= copies.Threshold).ToArray(),
                Authentic = copies.NearestTrainingDistances.Select((x, j) => x > byTraining[copies.NearestTrainingIndices[j]]).ToArray(),
            }, unchecked((ulong)options.Seed) ^ BootstrapSalt, options.BootstrapResamples);
        }

        return new QualityEvaluation(options.Seed, realCount, n, trainIndices.Length, d, fid, kid, prdc, improved, inceptionScore,
            modes, classes, conditionAccuracy, copies, trainIndices, closest, extractor.ClassifierAccuracy, real, generated, authenticity, dataCopying)
        {
            AutoencoderReconstructionError = extractor.ReconstructionError,
            Intervals = intervals,
            ExtractorName = extractor.Name,
            ExtractorIdentity = extractor.Identity,
        };
    }

    // Distinct streams for the bootstrap and the real row's candidates, so neither reuses the latent seed's draws.
    const ulong BootstrapSalt = 0xB0075_7A9UL;
    const ulong RealRowSalt = 0x4EA1_5A3D1EUL;

    /// <summary>True when the held-out split differs from the training data (MNIST, Fashion-MNIST); false when the "test" split is the training data itself (an image folder without a class of two images).</summary>
    public bool HasHeldOutSplit => train.Fingerprint != test.Fingerprint;

    /// <summary>
    /// The real row (docs/audit.md#real-row) for this evaluator's n, seed and feature space: read from the cache
    /// (keyed by both data fingerprints, the extractor identity, n, the seeds and every metric setting) or
    /// computed and written there atomically. Null when the data has no held-out split.
    /// </summary>
    public RealRow? EvaluateRealRow(IProgress<string>? progress = null)
    {
        if (!HasHeldOutSplit) return null;
        TorchRuntime.EnsureLoaded();
        var path = RealRowCachePath();
        if (path is not null && File.Exists(path))
        {
            try
            {
                var cached = Json.ReadFile<RealRow>(path);
                if (cached.Values is not null) return cached with { FromCache = true };
            }
            catch (System.Text.Json.JsonException) { } // a damaged entry is recomputed and rewritten
            catch (InvalidDataException) { }
        }
        var row = ComputeRealRow(progress);
        if (path is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Json.WriteFile(path, row);
        }
        return row;
    }

    /// <summary>The cache file of the real row, or null when the extractor has no identity (then nothing is cached).</summary>
    string? RealRowCachePath()
    {
        if (extractor.Identity is not { } identity) return null;
        var settings = options with { BatchSize = 0, BootstrapResamples = 0, RealRowCacheFolder = null };
        var description = System.Text.Json.JsonSerializer.Serialize(new
        {
            version = "real-row/2", train = train.Fingerprint, test = test.Fingerprint, extractor = identity, settings,
        }, Json.Compact);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(description)))[..24];
        return Path.Combine(options.RealRowCacheFolder ?? Path.Combine(CacheFolder.Default(), "real-rows"), hash + ".json");
    }

    RealRow ComputeRealRow(IProgress<string>? progress)
    {
        var d = extractor.FeatureSize;
        var candidates = Subsample(test.Count, Math.Min(test.Count, options.SampleCount), unchecked((ulong)options.Seed) ^ RealRowSalt);
        var n = candidates.Length;
        progress?.Report($"real row: {n} held-out samples of '{test.Name}' measured like generated ones");
        var (candidateFeatures, candidateProbabilities) = FeaturesOf(test, candidates, withProbabilities: true);
        var referenceCount = realFeatures.Value.Count;
        var (trainFeatures, trainIndices) = trainingFeatures.Value;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var trainTensor = tensor(trainFeatures, [trainIndices.Length, d]);                        // (N_train, D)
        var referenceRows = Subsample(trainIndices.Length, referenceCount, options.ReferenceSeed ^ RealRowSalt);
        var reference = trainTensor.index_select(0, tensor(referenceRows.Select(i => (long)i).ToArray())); // (R, D)
        var candidatesTensor = tensor(candidateFeatures, [n, d]);                                 // (n, D)

        var values = new Dictionary<string, double>
        {
            ["fid"] = FrechetDistance.Compute(reference, candidatesTensor).Distance,
            ["kid.mean"] = KernelInceptionDistance.Compute(reference, candidatesTensor, options.Kid with { Seed = unchecked((ulong)options.Seed) }).Mean,
        };
        var prdc = PrecisionRecallDensityCoverage.Compute(reference, candidatesTensor, options.Prdc);
        values["precision"] = prdc.Precision;
        values["recall"] = prdc.Recall;
        values["density"] = prdc.Density;
        values["coverage"] = prdc.Coverage;
        var improved = ImprovedPrecisionRecall.Compute(reference, candidatesTensor, options.ImprovedPrecisionRecall);
        values["improvedPrecision"] = improved.Precision;
        values["improvedRecall"] = improved.Recall;
        if (candidateProbabilities is not null)
        {
            var probabilities = tensor(candidateProbabilities, [n, extractor.ClassCount]);      // (n, K)
            values["isScore"] = InceptionScore.Compute(probabilities, Math.Min(options.InceptionScoreSplits, n)).Mean;
            var predicted = probabilities.argmax(1);                                            // (n,)
            if (StackedMnist.Is(train) && extractor.ClassCount == StackedMnist.ModeCount)
            {
                var stacked = StackedMnistModes.Compute(predicted);
                values["modes.captured"] = stacked.ModesCaptured;
                values["modes.reverseKl"] = stacked.ReverseKl!.Value;
            }
            if (train.Labels is not null && train.ClassNames.Count == extractor.ClassCount)
            {
                var classes = ClassCoverage.Compute(predicted, TrainingClassWeights(), options.Classes);
                values["classes.covered"] = classes.ClassesCovered;
                values["classes.kl"] = classes.KlToReal;
            }
            if (test.Labels is not null && test.ClassNames.Count == extractor.ClassCount)
            {
                var labels = tensor(candidates.Select(i => (long)test.Labels[i]).ToArray());    // (n,)
                values["conditionAccuracy"] = ClassCoverage.ConditionAccuracy(predicted, labels, extractor.ClassCount).Accuracy;
            }
        }
        if (Mixture is { } mixture && test.SampleSize == 2)
        {
            var (points, labels) = test.GetBatch(candidates.Select(i => (long)i).ToArray());   // (n, 2)
            labels?.Dispose();
            var means = tensor(mixture.Means.SelectMany(m => new[] { m.X, m.Y }).ToArray(), [mixture.ModeCount, 2]); // (M, 2)
            var modes = ModeCoverage.Compute(points, means, mixture.Std);
            values["modes.captured"] = modes.ModesCaptured;
            values["modes.highQuality"] = modes.HighQualityFraction;
            if (modes.ReverseKl is { } reverseKl) values["modes.reverseKl"] = reverseKl;
        }
        progress?.Report($"real row: copies and authenticity against {trainIndices.Length} training samples");
        var copies = CopyDetection.Compute(trainTensor, candidatesTensor, options.Copies with { Seed = options.ReferenceSeed, ClosestPairCount = 0 });
        values["copies.fraction"] = copies.CopyFraction;
        values["authenticity"] = Authenticity.FromDistances(copies.NearestTrainingDistances, copies.NearestTrainingIndices, copies.TrainingNearestDistances).Score;
        return new RealRow(values, n, referenceCount, trainIndices.Length, options.Seed, extractor.Name, FromCache: false);
    }

    /// <summary>Training-label counts per class: the real class distribution of classes.kl.</summary>
    double[] TrainingClassWeights()
    {
        var weights = new double[extractor.ClassCount];
        foreach (var label in train.Labels!) weights[label]++;
        return weights;
    }

    /// <summary>Stages <see cref="Evaluate"/> reports: real features, generated samples, metrics, copy detection.</summary>
    public const int EvaluationSteps = 4;

    /// <summary>Classes a conditional model's requests can be checked against: the classifier's, else the mixture's modes.</summary>
    int ClassCountOf(Mixture2D? mixture) => extractor.ClassCount > 0 ? extractor.ClassCount : mixture?.ModeCount ?? 0;

    /// <summary>Generates n samples in batches; returns their features (n × D) and the raw samples, probabilities and requested classes.</summary>
    float[] Generate(IGenerativeModel model, out float[] samples, out float[]? probabilities, out long[]? requested)
    {
        int n = options.SampleCount, d = extractor.FeatureSize, k = extractor.ClassCount;
        var sampleSize = train.SampleSize;
        var features = new float[(long)n * d];
        samples = new float[(long)n * sampleSize];
        probabilities = k > 0 ? new float[(long)n * k] : null;
        requested = null;
        if (model.ConditionCount > 0)
        {
            requested = new long[n];
            for (var i = 0; i < n; i++) requested[i] = i % model.ConditionCount;
        }
        using var generator = new Generator(unchecked((ulong)options.Seed));
        for (var start = 0; start < n; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var b = Math.Min(options.BatchSize, n - start);
            var z = randn([b, model.LatentSize], generator: generator);                     // (b, d_z)
            var condition = requested is null ? null : tensor(requested.AsSpan(start, b).ToArray()); // (b,)
            var x = model.Generate(z, condition).detach().to(ScalarType.Float32, CPU).contiguous(); // (b, ...OutputShape)
            long[] expected = [b, .. model.OutputShape];
            if (!x.shape.SequenceEqual(expected))
                throw new InvalidOperationException($"The model returned a batch of shape [{string.Join(", ", x.shape)}] for {b} latent vectors; its OutputShape promises [{string.Join(", ", expected)}].");
            if (!isfinite(x).all().item<bool>())
                throw new InvalidOperationException($"The model generated NaN or infinite values in samples {start}..{start + b - 1} (seed {options.Seed}); the checkpoint is probably diverged.");
            x.data<float>().CopyTo(samples.AsSpan(start * sampleSize, b * sampleSize));
            var (f, p) = extractor.Extract(x);                                              // (b, D), (b, K)
            f.data<float>().CopyTo(features.AsSpan(start * d, b * d));
            if (p is not null && probabilities is not null) p.data<float>().CopyTo(probabilities.AsSpan(start * k, b * k));
        }
        return features;
    }

    /// <summary>Features (rows × D) of the dataset samples at <paramref name="indices"/>, in batches, and their class probabilities (rows × K) when asked and available.</summary>
    (float[] Features, float[]? Probabilities) FeaturesOf(Dataset data, int[] indices, bool withProbabilities)
    {
        int d = extractor.FeatureSize, k = extractor.ClassCount;
        var features = new float[(long)indices.Length * d];
        var probabilities = withProbabilities && k > 0 ? new float[(long)indices.Length * k] : null;
        for (var start = 0; start < indices.Length; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var b = Math.Min(options.BatchSize, indices.Length - start);
            var (x, y) = data.GetBatch(indices.AsSpan(start, b).ToArray().Select(i => (long)i).ToArray());
            using (x)
            using (y)
            {
                var (f, p) = extractor.Extract(x);
                f.data<float>().CopyTo(features.AsSpan(start * d, b * d));
                if (p is not null && probabilities is not null) p.data<float>().CopyTo(probabilities.AsSpan(start * k, b * k));
            }
        }
        return (features, probabilities);
    }

    /// <summary>All indices 0..count−1 when count ≤ max, else max of them drawn without replacement (SplitMix64, <paramref name="seed"/>), in increasing order.</summary>
    static int[] Subsample(int count, int max, ulong seed)
    {
        if (count <= max) return Enumerable.Range(0, count).ToArray();
        var picked = new SplitMix64(seed).SampleWithoutReplacement(count, max);
        return picked.Select(i => (int)i).Order().ToArray();
    }
}
