using System.ComponentModel;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit calibrate: audits generators with known defects and a healthy control on the user's data, and reports what the policy caught.</summary>
public sealed class CalibrateCommand(IAnsiConsole console) : VerbCommand<CalibrateCommand.Settings>
{
    /// <summary>Options of <c>genaudit calibrate</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Seed = "Seed of every audit stage and of the generators' banks and keys. Default: 0.",
            Count = new("Generated samples per quality stage (also accepted as --n). Default: 5000, 1000 with --quick.", Minimum: 10, Default: null),
            Out = new("Folder for calibration.md, calibration.json and one audit report per generator. Default: calibration-<data>.", Folder: true),
        };

        /// <summary>Data specification.</summary>
        [CommandOption("--data <NAME>")]
        [Description("Data with a held-out split: mnist, fashion-mnist, ring8, grid25 (docs/audit.md#calibration).")]
        public string? Data { get; init; }

        /// <summary>Policy file.</summary>
        [CommandOption("--policy <FILE>")]
        [Description("JSON thresholds to calibrate (docs/audit.md#policy). Default: the shipped policy (docs/default-policy.json).")]
        public string? Policy { get; init; }

        /// <summary>Fast preset.</summary>
        [CommandOption("--quick")]
        [Description("The audit's --quick preset for every generator.")]
        public bool Quick { get; init; }

        /// <summary>Bank size.</summary>
        [CommandOption("--bank <N>")]
        [Description("Samples each lookup generator holds. Default: 2000.")]
        public int? Bank { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (string.IsNullOrWhiteSpace(Data)) return ValidationResult.Error("--data is required: the dataset to calibrate on (mnist, fashion-mnist, ring8, grid25)");
            if (Bank is < 2 or > 20_000) return ValidationResult.Error($"--bank {Bank}: give 2 to 20000 samples");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var policy = settings.Policy is { } file ? GenAudit.Audit.Policy.Load(file) : GenAudit.Audit.Policy.Default;
        var options = settings.Quick ? AuditOptions.Quick(settings.SeedOrDefault) : new AuditOptions { Seed = settings.SeedOrDefault };
        if (settings.Count is { } n) options = options with { QualitySamples = n };
        options.Validate();
        var generators = new DefectiveGeneratorOptions { Seed = unchecked((ulong)settings.SeedOrDefault), BankSize = settings.Bank ?? new DefectiveGeneratorOptions().BankSize };
        var data = settings.Data!;
        var output = Path.GetFullPath(settings.Out ?? "calibration-" + Path.GetFileName(data.TrimEnd('/', '\\')));
        TorchRuntime.EnsureLoaded();
        var progress = new ConsoleProgress(console);
        var result = new Calibration(options, generators).Run(data, policy, output, progress, kind => new StageLines(console, kind.Name));
        var (md, json) = CalibrationReport.Write(result, output);

        var table = new Table().Title($"Calibration on {Markup.Escape(data)} (policy {Markup.Escape(policy.Source)})")
            .AddColumns("generator", "audit", "caught as meant", "failed keys");
        foreach (var row in result.Rows)
            table.AddRow(Markup.Escape(row.Kind.Name + (row.Kind.IsControl ? " (control)" : "")),
                row.Passed ? "[green]PASS[/]" : "[red]FAIL[/]",
                row.Kind.IsControl ? (row.Passed ? "[green]n/a[/]" : "[red]false alarm[/]") : row.CaughtAsMeant ? "[green]yes[/]" : "[red]no[/]",
                Markup.Escape(string.Join(", ", row.Failed.Select(v => v.Threshold.Key))));
        console.Write(table);
        console.MarkupLineInterpolated($"Sensitivity {result.Caught}/{result.Defects}, false alarms {result.FalseAlarms}/{result.Controls}. Table: [bold]{md}[/] ({Path.GetFileName(json)} alongside)");
        return result.Perfect ? ExitCode.Ok : ExitCode.Failed;
    }

    /// <summary>One grey line per finished stage of one generator's audit.</summary>
    sealed class StageLines(IAnsiConsole console, string generator) : IAuditObserver
    {
        public void StageStarted(string stage) { }

        public void Report(string stage, string message) { }

        public void StageFinished(string stage, TimeSpan elapsed) =>
            console.MarkupLineInterpolated($"[grey]{generator}: {stage} finished in {elapsed.TotalSeconds:F0} s[/]");
    }
}
