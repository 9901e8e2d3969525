using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>
/// A run opened for measurement: its generator, its training and held-out data, and the feature
/// space every analysis shares, chosen by the output kind (<see cref="FeatureSpaces"/>): the feature
/// classifier's penultimate layer for labelled images (trained once per data fingerprint and cached),
/// the points themselves for 2D data, and a convolutional autoencoder's code for image folders without two classes.
/// </summary>
public sealed class AuditSubject : IDisposable
{
    bool OwnsClassifier { get; init; } = true;

    readonly IFeatureExtractor? _extractor;

    AuditSubject(LoadedRun run, Dataset train, Dataset test, OutputKind output, IFeatureExtractor? extractor, TrainedFeatureClassifier? classifier, string? dataWarning)
    {
        Run = run;
        Output = output;
        Train = train;
        Test = test;
        _extractor = extractor;
        Classifier = classifier;
        DataWarning = dataWarning;
    }

    /// <summary>The loaded run (generator in eval mode, discriminator for GANs).</summary>
    public LoadedRun Run { get; }

    /// <summary>What the generator outputs; selects the implementation of every modality seam.</summary>
    public OutputKind Output { get; }

    /// <summary>The generator under audit.</summary>
    public IGenerativeModel Generator => Run.Generator;

    /// <summary>The training data the run was trained on.</summary>
    public Dataset Train { get; }

    /// <summary>Held-out data: the test split of MNIST/Fashion-MNIST, a fresh draw (seed 1) of a 2D mixture, the seeded, stratified test split of a folder (<see cref="FolderSplit"/>).</summary>
    public Dataset Test { get; }

    /// <summary>The shared feature space; throws for data without one (token sequences, see <see cref="HasFeatureSpace"/>).</summary>
    public IFeatureExtractor Extractor => _extractor
        ?? throw new InvalidOperationException($"{Output} data like '{Train.Name}' has no feature space; its quality is measured by the {Output.ToString().ToLowerInvariant()} measures (docs/metrics-text.md)");

    /// <summary>True when a feature space serves this data (<see cref="FeatureSpaces.Find"/>).</summary>
    public bool HasFeatureSpace => _extractor is not null;

    /// <summary>The feature classifier for labelled images; null otherwise.</summary>
    public TrainedFeatureClassifier? Classifier { get; }

    /// <summary>The 2D mixture of ring8/grid25 runs; null otherwise.</summary>
    public Mixture2D? Mixture => (Train as PointDataset)?.Mixture;

    /// <summary>Set when the data found now differs from the data the run recorded (a different fingerprint).</summary>
    public string? DataWarning { get; }

    /// <summary>Features (B, F) of outputs (B, ...), with gradients flowing when the classifier is used (for PPL and worst-case search).</summary>
    public Tensor Features(Tensor outputs) =>
        Classifier is { } c ? c.Classifier.Features(outputs) : outputs.reshape(outputs.shape[0], -1);

    /// <summary>Class logits (B, K) of outputs, or null without a classifier.</summary>
    public Func<Tensor, Tensor>? Logits => Classifier is { } c ? c.Classifier.Logits : null;

    /// <summary>Opens the run at <paramref name="runPath"/> (its newest checkpoint, or the one of <paramref name="step"/>) and resolves its data and feature space.</summary>
    public static AuditSubject Open(string runPath, IProgress<string>? progress = null, bool preferEma = true, long? step = null)
    {
        var run = RunLoader.Load(runPath, preferEma, step);
        try
        {
            var spec = run.Manifest.Config.Data;
            if (spec == "none")
                throw new ArgumentException($"{run.Directory.Manifest}: this imported run records no data to compare with; import it again with --data NAME|FOLDER");
            var config = run.Manifest.Config;
            var train = DatasetRegistry.Resolve(spec, config.DataOptions(DataSplit.Train));
            var test = DatasetRegistry.Resolve(spec, config.DataOptions(DataSplit.Test));
            string? warning = null;
            var recorded = run.Manifest.Data.Fingerprint;
            if (!string.IsNullOrEmpty(recorded) && recorded != train.Fingerprint)
            {
                warning = $"the run recorded data '{spec}' with fingerprint {recorded[..Math.Min(12, recorded.Length)]}, but that data now has fingerprint {train.Fingerprint[..12]}; quality numbers compare against the data found now";
                progress?.Report("warning: " + warning);
            }
            if (!train.SampleShape.SequenceEqual(run.Generator.OutputShape))
                throw new InvalidDataException($"{run.Directory.Manifest}: the generator produces [{string.Join(", ", run.Generator.OutputShape)}] but data '{spec}' holds [{string.Join(", ", train.SampleShape)}]");

            var output = OutputKinds.Of(train);
            var (extractor, classifier) = FeatureSpaces.Find(output, train) is { } space ? space.Open(train, test, spec, progress) : (null, null);
            return new AuditSubject(run, train, test, output, extractor, classifier, warning);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A subject for <paramref name="generator"/> held in memory (see <see cref="LoadedRun.InMemory"/>), measured
    /// against <paramref name="train"/> and <paramref name="test"/> (data <paramref name="dataSpec"/>) in an
    /// already opened feature space, so several generators share one classifier. The subject owns the generator,
    /// not the classifier. <paramref name="source"/> names where the generator came from, e.g. "calibration".
    /// </summary>
    public static AuditSubject ForGenerator(IGenerativeModel generator, string source, string folder, string dataSpec, Dataset train, Dataset test,
                                            IFeatureExtractor extractor, TrainedFeatureClassifier? classifier)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(extractor);
        if (!train.SampleShape.SequenceEqual(generator.OutputShape))
            throw new ArgumentException($"{source}: the generator produces [{string.Join(", ", generator.OutputShape)}] but data '{dataSpec}' holds [{string.Join(", ", train.SampleShape)}]");
        var defaults = TrainingConfig.DefaultsFor(dataSpec);
        var manifest = new RunManifest
        {
            Source = source,
            Created = DateTimeOffset.UtcNow,
            Config = defaults with { Model = defaults.Model with { LatentSize = generator.LatentSize, ConditionCount = generator.ConditionCount, DataShape = generator.OutputShape } },
            Data = new DataRecord(dataSpec, train.Fingerprint, train.Count, train.SampleShape, train.ClassNames.Count),
            Versions = VersionRecord.Current(),
            Networks = [],
        };
        var run = LoadedRun.InMemory(generator, manifest, folder);
        return new AuditSubject(run, train, test, OutputKinds.Of(train), extractor, classifier, null) { OwnsClassifier = false };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (OwnsClassifier) Classifier?.Dispose();
        Run.Dispose();
    }
}
