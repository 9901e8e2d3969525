using System.Diagnostics;
using System.Text.RegularExpressions;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Training;

namespace GenAudit.Audit;

/// <summary>The audit of one calibration generator: its verdicts and whether the policy caught it on the keys meant to.</summary>
/// <param name="Kind">The generator.</param>
/// <param name="MeantToCatch">Key patterns of the policy meant to catch this defect ("local.*" matches every ε); empty for a control.</param>
/// <param name="Passed">True when the audit passed (no threshold failed).</param>
/// <param name="Verdicts">Every verdict of the policy.</param>
/// <param name="Folder">Where its full audit report was written.</param>
/// <param name="Seconds">Wall time of its audit.</param>
public sealed record CalibrationRow(DefectKind Kind, IReadOnlyList<string> MeantToCatch, bool Passed, IReadOnlyList<Verdict> Verdicts, string Folder, double Seconds)
{
    /// <summary>The thresholds that failed.</summary>
    public IReadOnlyList<Verdict> Failed => Verdicts.Where(v => !v.Passed).ToList();

    /// <summary>The verdicts on the keys meant to catch the defect.</summary>
    public IReadOnlyList<Verdict> Meant => Verdicts.Where(v => MeantToCatch.Any(p => Calibration.Matches(p, v.Threshold.Key))).ToList();

    /// <summary>A defect is caught when the audit fails; a control is correctly passed when it passes.</summary>
    public bool Correct => Kind.IsControl ? Passed : !Passed;

    /// <summary>True when a key meant to catch the defect failed (always false for a control).</summary>
    public bool CaughtAsMeant => !Kind.IsControl && Meant.Any(v => !v.Passed);
}

/// <summary>A calibration of the audit on one dataset: every generator's audit, the sensitivity and the false-alarm rate.</summary>
/// <param name="Data">The data specification.</param>
/// <param name="Fingerprint">Fingerprint of the training split.</param>
/// <param name="Policy">The policy judged against.</param>
/// <param name="Options">The audit settings.</param>
/// <param name="Generators">The generator settings.</param>
/// <param name="Rows">One row per generator, defects first.</param>
/// <param name="Created">When the calibration finished (UTC).</param>
public sealed record CalibrationResult(string Data, string Fingerprint, Policy Policy, AuditOptions Options, DefectiveGeneratorOptions Generators,
                                       IReadOnlyList<CalibrationRow> Rows, DateTimeOffset Created)
{
    /// <summary>Defective generators (not controls).</summary>
    public int Defects => Rows.Count(r => !r.Kind.IsControl);
    /// <summary>Healthy controls.</summary>
    public int Controls => Rows.Count(r => r.Kind.IsControl);
    /// <summary>Defects the audit failed.</summary>
    public int Caught => Rows.Count(r => !r.Kind.IsControl && !r.Passed);
    /// <summary>Defects failed on a key meant to catch them.</summary>
    public int CaughtAsMeant => Rows.Count(r => r.CaughtAsMeant);
    /// <summary>Controls the audit failed.</summary>
    public int FalseAlarms => Rows.Count(r => r.Kind.IsControl && !r.Passed);
    /// <summary>Caught / defects, in [0, 1] (higher is better); NaN without defects.</summary>
    public double Sensitivity => Defects == 0 ? double.NaN : (double)Caught / Defects;
    /// <summary>False alarms / controls, in [0, 1] (lower is better); NaN without controls.</summary>
    public double FalseAlarmRate => Controls == 0 ? double.NaN : (double)FalseAlarms / Controls;
    /// <summary>True when every defect was caught and no control failed.</summary>
    public bool Perfect => Caught == Defects && FalseAlarms == 0;
}

/// <summary>
/// The audit audits itself (docs/audit.md#calibration): builds the generators of <see cref="DefectiveGenerators"/>
/// for a dataset with a held-out split, audits each against a policy, and reports which were caught, by which
/// key, with what margin.
/// </summary>
public sealed class Calibration(AuditOptions options, DefectiveGeneratorOptions? generators = null)
{
    /// <summary>
    /// The keys of the default policy meant to catch each defect (patterns: '*' matches one or more dotted parts).
    /// A defect may fail other keys too; the table shows all of them.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> MeantToCatch { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        [DefectiveGenerators.Replay.Name] = ["copies.fraction", "copies.ct", "authenticity"],
        [DefectiveGenerators.OneClass.Name] = ["classes.covered", "classes.kl", "modes.captured", "modes.reverseKl"],
        [DefectiveGenerators.PartOfClasses.Name] = ["classes.covered", "classes.kl", "modes.captured", "modes.reverseKl"],
        [DefectiveGenerators.MeanImage.Name] = ["fid", "precision", "density", "coverage", "modes.highQuality"],
        [DefectiveGenerators.LatentSensitive.Name] = ["local.*", "worstCase.*"],
        [DefectiveGenerators.NonDeterministic.Name] = ["repeat", "determinism.seed.maxAbsDiff"],
        [DefectiveGenerators.HeldOutReplay.Name] = [],
    };

    readonly DefectiveGeneratorOptions generatorOptions = generators ?? new DefectiveGeneratorOptions();

    /// <summary>True when <paramref name="key"/> matches <paramref name="pattern"/> ('*' = one or more dotted parts).</summary>
    public static bool Matches(string pattern, string key) =>
        pattern == key || (pattern.Contains('*') && Regex.IsMatch(key, "^" + string.Join(".+", pattern.Split('*').Select(Regex.Escape)) + "$"));

    /// <summary>
    /// Calibrates on data <paramref name="dataSpec"/> (a registry name or folder) against <paramref name="policy"/>:
    /// one audit per generator in a subfolder of <paramref name="folder"/> (report.html, summary.json, summary.md).
    /// Throws when the data has no held-out split (the healthy control would replay training data).
    /// <paramref name="observer"/> gives each generator's audit an observer (or null).
    /// </summary>
    public CalibrationResult Run(string dataSpec, Policy policy, string folder, IProgress<string>? progress = null, Func<DefectKind, IAuditObserver?>? observer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataSpec);
        var config = TrainingConfig.DefaultsFor(dataSpec);
        var train = DatasetRegistry.Resolve(dataSpec, config.DataOptions(DataSplit.Train));
        var test = DatasetRegistry.Resolve(dataSpec, config.DataOptions(DataSplit.Test));
        CheckHeldOut(dataSpec, train, test);
        var (extractor, classifier) = FeatureSpaces.For(OutputKinds.Of(train), train).Open(train, test, dataSpec, progress);
        try
        {
            return Run(dataSpec, train, test, extractor, classifier, policy, folder, progress, observer);
        }
        finally
        {
            classifier?.Dispose();
        }
    }

    /// <summary>
    /// Calibrates on <paramref name="train"/> and held-out <paramref name="test"/> (named <paramref name="dataSpec"/>) in an
    /// opened feature space (<paramref name="extractor"/>, and <paramref name="classifier"/> when there is one; the caller keeps both).
    /// </summary>
    public CalibrationResult Run(string dataSpec, Dataset train, Dataset test, IFeatureExtractor extractor, TrainedFeatureClassifier? classifier,
                                 Policy policy, string folder, IProgress<string>? progress = null, Func<DefectKind, IAuditObserver?>? observer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataSpec);
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(policy);
        options.Validate();
        generatorOptions.Validate();
        CheckHeldOut(dataSpec, train, test);
        // Every audit measures the same training and held-out samples: their features are computed once.
        var shared = new MemoizingFeatureExtractor(extractor);
        var rows = new List<CalibrationRow>();
        foreach (var kind in DefectiveGenerators.For(train))
        {
            var sub = Path.Combine(folder, kind.Name);
            progress?.Report($"calibration: {kind.Name} ({kind.Description})");
            var watch = Stopwatch.StartNew();
            using var subject = AuditSubject.ForGenerator(DefectiveGenerators.Build(kind, train, test, generatorOptions),
                "calibration", sub, dataSpec, train, test, shared, classifier);
            var result = new AuditRunner(options).Run(subject, $"calibration:{kind.Name}", policy, sub, observer?.Invoke(kind));
            AuditReport.Write(result, sub);
            rows.Add(new CalibrationRow(kind, MeantToCatch[kind.Name], result.Passed, result.Verdicts, sub, watch.Elapsed.TotalSeconds));
        }
        return new CalibrationResult(dataSpec, train.Fingerprint, policy, options, generatorOptions, rows, DateTimeOffset.UtcNow);
    }

    static void CheckHeldOut(string dataSpec, Dataset train, Dataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (train.Fingerprint == test.Fingerprint)
            throw new ArgumentException($"--data {dataSpec}: the held-out split is the training data itself, so the healthy control would replay training data; calibrate needs data with a held-out split (mnist, fashion-mnist, ring8, grid25)");
    }
}
