using System.ComponentModel;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Metrics;
using GenAudit.Rendering;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit evaluate: sample quality, coverage and memorisation of a run.</summary>
public sealed class EvaluateCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<EvaluateCommand.Settings>
{
    /// <summary>Options of <c>genaudit evaluate</c>.</summary>
    public sealed class Settings : VerbSettings, ITokenSamplingSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (trained or imported).",
            Seed = "Seed of the latent draws and of every subset. Default: 0.",
            Count = new("Generated samples (also accepted as --n). Default: 5000, the audit's (FID is biased in n); 1000 sequences for token runs.", Minimum: 10, Default: QualityEvaluationOptions.DefaultSampleCount),
            Json = "Write every number as flat JSON (keys in docs/metrics.md).",
        };

        /// <summary>Sampling temperature of token runs.</summary>
        [CommandOption("--temperature <T>")]
        [Description(TokenSamplingFlags.TemperatureHelp)]
        public double? Temperature { get; init; }

        /// <summary>Top-k of token runs.</summary>
        [CommandOption("--top-k <K>")]
        [Description(TokenSamplingFlags.TopKHelp)]
        public int? TopK { get; init; }

        /// <summary>Feature dump folder.</summary>
        [CommandOption("--dump-features <DIR>")]
        [Description("Write the real and generated feature matrices as real.npy and fake.npy (float32, N × D).")]
        public string? DumpFeatures { get; init; }

        /// <summary>Image output.</summary>
        [CommandOption("--copies-png <FILE>")]
        [Description("Write the closest generated/training pairs side by side (images only).")]
        public string? CopiesPng { get; init; }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(console);
        using var subject = AuditSubject.Open(settings.Run!, progress);
        if (subject.Generator is Models.TokenSampler) return TokenEvaluation.Run(console, subject, settings);
        if (TokenSamplingFlags.From(settings) is not null) throw new ArgumentException("--temperature and --top-k apply to token runs (mle, seqgan)");
        var evaluator = new QualityEvaluator(subject.Extractor, subject.Train, subject.Test,
            QualityEvaluationOptions.For(settings.CountOrDefault, settings.SeedOrDefault));
        var result = StepProgress.Run(console, progressOptions, "evaluate", steps => evaluator.Evaluate(subject.Generator, progress, steps));
        var real = evaluator.EvaluateRealRow(progress);
        var values = result.ToFlatDictionary().ToDictionary(kv => kv.Key, kv => kv.Value);
        var realValues = real?.Values.ToDictionary(kv => kv.Key, kv => kv.Value) ?? new Dictionary<string, double>();
        // Sequences are also judged by their dynamics: TimeGAN's post-hoc scores, with held-out real sequences as the real row.
        if (subject.Output == GenAudit.Models.OutputKind.Series)
        {
            progress.Report("series scores: training TimeGAN's post-hoc GRUs on generated and on held-out real sequences");
            var (seriesGenerated, seriesReal) = TimeSeriesEvaluation.Evaluate(subject, settings.CountOrDefault, settings.SeedOrDefault);
            foreach (var (key, value) in seriesGenerated) values[key] = value;
            foreach (var (key, value) in seriesReal) realValues[key] = value;
        }

        console.Write(MetricTable.Build($"Quality of {settings.Run} (step {subject.Run.Step})", values, result.Intervals, realValues));
        console.MarkupLineInterpolated($"Feature space: {result.ExtractorName}; n = {result.GeneratedCount} generated vs {result.RealCount} held-out real samples.");
        console.MarkupLineInterpolated($"Real column: {(real is null ? $"none ('{subject.Train.Name}' has no held-out split)" : $"{real.CandidateCount} held-out samples measured like generated ones against {real.ReferenceCount} training samples{(real.FromCache ? " (cached)" : "")}")}; 95% intervals: bootstrap over generated samples ({Bootstrap.DefaultResamples} resamples).");
        if (settings.Json is { } json)
        {
            var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["run"] = Path.GetFullPath(settings.Run!),
                ["checkpointStep"] = subject.Run.Step,
                ["data"] = subject.Train.Name,
                ["dataFingerprint"] = subject.Train.Fingerprint,
            };
            foreach (var (key, value) in values) document[key] = value;
            document["featureSpace"] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["name"] = result.ExtractorName,
                ["identity"] = result.ExtractorIdentity,
                ["classifierAccuracy"] = result.ClassifierAccuracy,
                ["generated"] = result.GeneratedCount,
                ["reference"] = result.RealCount,
            };
            document["real"] = real is null ? null : new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["values"] = realValues,
                ["candidates"] = real.CandidateCount,
                ["reference"] = real.ReferenceCount,
                ["copyTraining"] = real.CopyTrainingCount,
            };
            document["intervals"] = result.Intervals.ToDictionary(kv => kv.Key, kv => new[] { kv.Value.Lower, kv.Value.Upper });
            if (subject.DataWarning is { } warning) document["warning"] = warning;
            Core.Json.WriteFile(json, document);
            console.MarkupLineInterpolated($"Wrote [bold]{json}[/]");
        }
        if (settings.DumpFeatures is { } folder)
        {
            result.WriteFeatures(folder);
            console.MarkupLineInterpolated($"Wrote real.npy and fake.npy to [bold]{folder}[/]");
        }
        if (settings.CopiesPng is { } png)
        {
            if (subject.Generator.OutputShape.Length != 3)
                throw new ArgumentException("--copies-png: closest pairs are drawn for image generators only");
            CopyPairs.Render(result, subject, png);
            console.MarkupLineInterpolated($"Wrote the closest pairs to [bold]{png}[/]");
        }
        return ExitCode.Ok;
    }
}
