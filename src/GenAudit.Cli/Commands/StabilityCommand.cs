using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using GenAudit.Application;
using GenAudit.Cli.Infrastructure;
using GenAudit.Metrics;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Stability;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit stability: repeat, local and worst-case pair stability, path length, Lipschitz, determinism, training dynamics and seed variance.</summary>
public sealed class StabilityCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<StabilityCommand.Settings>
{
    /// <summary>Generated samples per run for the FID and coverage that seed variance reports (a fifth of evaluate's default: a spread over seeds, not a headline FID).</summary>
    public const int SeedQualitySampleCount = 2000;

    /// <summary>The same with --quick.</summary>
    public const int QuickSeedQualitySampleCount = 500;

    /// <summary>Options of <c>genaudit stability</c>.</summary>
    public sealed class Settings : VerbSettings, ITokenSamplingSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (trained or imported).",
            Seed = "Seed of every random draw. Default: 0.",
            Count = new("Pairs per ε for repeat and local pairs, and samples for condition consistency, PPL and the Lipschitz mean (also accepted as --n). Default: 1000 (250 with --quick).",
                        Minimum: 10, Default: null),
            Json = "Write every number as flat JSON (keys in docs/metrics-stability.md).",
            Out = new("Write the plots to this folder: stability against ε, the worst-case pairs (images), the training dynamics with flags.", Folder: true),
        };

        /// <summary>Further runs trained with other seeds.</summary>
        [CommandOption("--runs <DIR>")]
        [Description("Runs trained with other seeds (repeat the option); seed variance is taken over --run and these, with FID and coverage at a smaller sample count.")]
        public string[] Runs { get; init; } = [];

        /// <summary>Noise levels.</summary>
        [CommandOption("--eps <LIST>")]
        [Description("Comma-separated noise levels ε > 0; a perturbation has norm ε·√d. Default: 0.01,0.03,0.1,0.3.")]
        [TypeConverter(typeof(Numbers))]
        public IReadOnlyList<double>? Epsilons { get; init; }

        /// <summary>Sampling temperature of token runs.</summary>
        [CommandOption("--temperature <T>")]
        [Description(TokenSamplingFlags.TemperatureHelp)]
        public double? Temperature { get; init; }

        /// <summary>Top-k of token runs.</summary>
        [CommandOption("--top-k <K>")]
        [Description(TokenSamplingFlags.TopKHelp)]
        public int? TopK { get; init; }

        /// <summary>Fast settings.</summary>
        [CommandOption("--quick")]
        [Description("Fewer pairs and a shorter worst-case search (StabilityOptions.Quick): about a fifth of the time, noisier numbers.")]
        public bool Quick { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb() =>
            Epsilons?.Where(e => !(e > 0)).Select(e => e.ToString(CultureInfo.InvariantCulture)).FirstOrDefault() is { } bad
                ? ValidationResult.Error($"--eps must be positive numbers separated by commas, e.g. 0.01,0.1; {bad} is not")
                : ValidationResult.Success();
    }

    /// <summary>The stability settings the flags ask for: the defaults (or <see cref="StabilityOptions.Quick"/>) with --n, --eps and --seed applied.</summary>
    public static StabilityOptions OptionsFor(Settings settings)
    {
        var options = (settings.Quick ? StabilityOptions.Quick() : new StabilityOptions()) with { Seed = settings.SeedOrDefault };
        if (settings.Epsilons is { } epsilons) options = options with { Epsilons = epsilons };
        if (settings.Count is { } n)
            options = options with { SampleCount = n, ConditionSampleCount = n, PathLengthSampleCount = n, LipschitzSampleCount = n };
        return options;
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(console);
        var options = OptionsFor(settings);
        if (TokenStabilityView.IsTokenRun(settings.Run!)) return TokenStabilityView.Run(console, progressOptions, settings, options);
        if (TokenSamplingFlags.From(settings) is not null) throw new ArgumentException("--temperature and --top-k apply to token runs (mle, seqgan)");
        var clock = Stopwatch.StartNew();
        var runs = new[] { settings.Run! }.Concat(settings.Runs)
            .DistinctBy(r => Path.GetFullPath(r).TrimEnd(Path.DirectorySeparatorChar)).ToArray();
        string Label(int index) => runs.Length > 1 ? $"run {index + 1}/{runs.Length}: " : ""; // before each step of seed variance

        StabilityReport report;
        long step;
        string data, fingerprint;
        var perRun = new List<IReadOnlyDictionary<string, object?>>();
        // Steps: each run's stability measurements, plus its quality stages when seed variance needs them.
        var stepsPerRun = StabilityAuditor.Steps + (runs.Length > 1 ? QualityEvaluator.EvaluationSteps : 0);
        (report, step, data, fingerprint) = StepProgress.Run(console, progressOptions, "stability", sink =>
        {
            var counter = new StepCounter(sink, runs.Length * stepsPerRun);
            StabilityReport first;
            long firstStep;
            string firstData, firstFingerprint;
            using (var subject = AuditSubject.Open(runs[0], progress))
            {
                first = counter.Part(Label(0), StabilityAuditor.Steps, steps => StabilityAudit.Run(subject, options, progress, steps));
                (firstStep, firstData, firstFingerprint) = (subject.Run.Step, subject.Train.Name, subject.Train.Fingerprint);
                if (runs.Length > 1) perRun.Add(WithQuality(first, subject, settings, progress, counter, Label(0)));
            }
            for (int i = 1; i < runs.Length; i++)
            {
                progress.Report($"seed variance: {runs[i]}");
                using var subject = AuditSubject.Open(runs[i], progress);
                var other = counter.Part(Label(i), StabilityAuditor.Steps, steps => StabilityAudit.Run(subject, options, progress, steps));
                perRun.Add(WithQuality(other, subject, settings, progress, counter, Label(i)));
            }
            return (first, firstStep, firstData, firstFingerprint);
        });
        if (perRun.Count > 1) report = report with { Seeds = SeedVariance.Across(perRun) };

        var values = report.ToFlatDictionary();
        console.Write(MetricTable.Build($"Stability of {settings.Run} (step {step})",
            values.Where(kv => kv.Value is double or null && !kv.Key.EndsWith(".reason", StringComparison.Ordinal))
                  .Select(kv => new KeyValuePair<string, double?>(kv.Key, kv.Value as double?))));
        if (report.Repeat.Failure is { } failure) console.MarkupLineInterpolated($"[red]{failure}[/]");
        if (report.DynamicsFlags is { } flags)
        {
            if (flags.Count == 0) console.MarkupLine("Training dynamics: no flags.");
            foreach (var flag in flags) console.MarkupLineInterpolated($"[yellow]{flag.Kind}[/] at step {flag.Step} ({flag.Series}): {flag.Message}");
        }

        if (settings.Json is { } json)
        {
            var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["run"] = Path.GetFullPath(settings.Run!),
                ["runs"] = runs.Select(Path.GetFullPath).ToArray(),
                ["checkpointStep"] = step,
                ["data"] = data,
                ["dataFingerprint"] = fingerprint,
                ["options"] = options,
            };
            foreach (var (key, value) in values) document[key] = value;
            Core.Json.WriteFile(json, document);
            console.MarkupLineInterpolated($"Wrote [bold]{json}[/]");
        }
        if (settings.Out is { } folder)
            foreach (var png in StabilityCharts.Write(report, folder))
                console.MarkupLineInterpolated($"Wrote [bold]{png}[/]");
        console.MarkupLineInterpolated($"[grey]stability took {clock.Elapsed.TotalSeconds:F1} s[/]");
        return ExitCode.Ok;
    }

    // One run's stability keys plus FID and coverage at the smaller sample count, for seed variance.
    static IReadOnlyDictionary<string, object?> WithQuality(StabilityReport report, AuditSubject subject, Settings settings, IProgress<string> progress,
                                                            StepCounter counter, string label)
    {
        var count = settings.Quick ? QuickSeedQualitySampleCount : SeedQualitySampleCount;
        var evaluator = new QualityEvaluator(subject.Extractor, subject.Train, subject.Test, new QualityEvaluationOptions { SampleCount = count, Seed = settings.SeedOrDefault });
        var quality = counter.Part(label, QualityEvaluator.EvaluationSteps, steps => evaluator.Evaluate(subject.Generator, progress, steps)).ToFlatDictionary();
        var flat = new Dictionary<string, object?>(report.ToFlatDictionary());
        foreach (var key in new[] { "fid", "coverage" })
            if (quality.TryGetValue(key, out var value)) flat[key] = value;
        return flat;
    }
}
