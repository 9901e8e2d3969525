using System.ComponentModel;
using System.Globalization;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Metrics;
using GenAudit.Rendering;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit evaluate: sample quality, coverage and memorisation of a run.</summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateCommand.Settings>
{
    /// <summary>Options of <c>genaudit evaluate</c>.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>Run directory.</summary>
        [CommandOption("--run <DIR>")]
        [Description("Run directory (trained or imported).")]
        public string? Run { get; init; }

        /// <summary>Generated sample count.</summary>
        [CommandOption("-n|--count <N>")]
        [Description("Generated samples (also accepted as --n). Default: 10000.")]
        public int N { get; init; } = 10_000;

        /// <summary>Seed.</summary>
        [CommandOption("--seed <S>")]
        [Description("Seed of the latent draws and of every subset. Default: 0.")]
        public long Seed { get; init; }

        /// <summary>JSON output.</summary>
        [CommandOption("--json <FILE>")]
        [Description("Write every number as flat JSON (keys in docs/metrics.md).")]
        public string? Json { get; init; }

        /// <summary>Feature dump folder.</summary>
        [CommandOption("--dump-features <DIR>")]
        [Description("Write the real and generated feature matrices as real.npy and fake.npy (float32, N × D).")]
        public string? DumpFeatures { get; init; }

        /// <summary>Image output.</summary>
        [CommandOption("--copies-png <FILE>")]
        [Description("Write the closest generated/training pairs side by side (images only).")]
        public string? CopiesPng { get; init; }

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (Run is null) return ValidationResult.Error("--run DIR is required");
            if (N < 10) return ValidationResult.Error($"--n must be at least 10, got {N}");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(console);
        using var subject = AuditSubject.Open(settings.Run!, progress);
        var evaluator = new QualityEvaluator(subject.Extractor, subject.Train, subject.Test,
            new QualityEvaluationOptions { SampleCount = settings.N, Seed = settings.Seed });
        var result = evaluator.Evaluate(subject.Generator, progress);
        var values = result.ToFlatDictionary();

        console.Write(MetricTable.Build($"Quality of {settings.Run} (step {subject.Run.Step})", values));
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

/// <summary>Draws the closest generated/training pairs, two columns per pair.</summary>
static class CopyPairs
{
    public static void Render(QualityEvaluation result, AuditSubject subject, string path, int pairs = 8)
    {
        using var scope = NewDisposeScope();
        var chosen = result.ClosestPairs.Take(pairs).ToList();
        if (chosen.Count == 0) throw new InvalidOperationException("no closest pairs were computed");
        var shape = subject.Generator.OutputShape;
        var generated = torch.stack(chosen.Select(c => torch.tensor(c.GeneratedSample).reshape(shape)).ToArray());
        var (training, _) = subject.Train.GetBatch(chosen.Select(c => (long)c.TrainingIndex).ToArray());
        var interleaved = torch.stack([generated, training.to(ScalarType.Float32)], 1).reshape([2 * chosen.Count, .. shape]);
        ImageGrid.Save(interleaved, 2, path);
    }
}

/// <summary>Reports evaluator progress lines on the console.</summary>
sealed class ConsoleProgress(IAnsiConsole console) : IProgress<string>
{
    public void Report(string value) => console.MarkupLineInterpolated($"[grey]{value}[/]");
}

/// <summary>A table of metric values with their direction and range from the catalog.</summary>
static class MetricTable
{
    public static Table Build(string title, IEnumerable<KeyValuePair<string, double?>> values)
    {
        var table = new Table().Title(title).AddColumns("metric", "value", "direction", "range");
        foreach (var (key, value) in values)
        {
            if (value is null) continue;
            var info = MetricCatalog.Find(key);
            table.AddRow(Markup.Escape(key), Format(value.Value), Markup.Escape(info is null ? "" : MetricCatalog.Arrow(info.Direction)), Markup.Escape(info?.Range ?? ""));
        }
        return table;
    }

    public static string Format(double value) =>
        Math.Abs(value) >= 1000 || value == Math.Floor(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : value.ToString("G4", CultureInfo.InvariantCulture);
}
