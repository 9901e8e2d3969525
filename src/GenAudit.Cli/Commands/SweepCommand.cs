using System.ComponentModel;
using System.Diagnostics;
using GenAudit.Application;
using GenAudit.Cli.Infrastructure;
using GenAudit.Cluster;
using GenAudit.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit sweep: a grid of training recipes × seeds from a sweep file, run here in worker processes or on a cluster, into one table.</summary>
public sealed class SweepCommand(IAnsiConsole console) : VerbCommand<SweepCommand.Settings>
{
    /// <summary>Options of <c>genaudit sweep</c>.</summary>
    public sealed class Settings : VerbSettings, IClusterSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Out = new("Folder for sweep.md, sweep.json and, when run here, items/<key>/ (each item's run and result.json); a rerun skips finished items.", Folder: true, Required: true),
        };

        /// <summary>Sweep file.</summary>
        [CommandOption("--spec <FILE>")]
        [Description("Sweep file (docs/scaling.md#sweep-files): data × recipes × seeds and what to run on each result.")]
        public string? Spec { get; init; }

        /// <summary>Worker processes.</summary>
        [CommandOption("--workers <N>")]
        [Description("Worker processes on this machine, one item each at a time. Default: 1.")]
        public int? Workers { get; init; }

        /// <summary>Cluster mode.</summary>
        [CommandOption("--cluster")]
        [Description("Submit to running silos (genaudit silo) instead of worker processes.")]
        public bool Cluster { get; init; }

        /// <summary>Redis endpoint.</summary>
        [CommandOption("--redis <HOST:PORT>")]
        [Description(ClusterFlags.RedisHelp)]
        public string? Redis { get; init; }

        /// <summary>Gateway ports.</summary>
        [CommandOption("--gateways <PORTS>")]
        [Description(ClusterFlags.GatewaysHelp)]
        public string? Gateways { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (string.IsNullOrWhiteSpace(Spec)) return ValidationResult.Error("--spec is required: the sweep file (docs/examples/mode-collapse.sweep.json)");
            if (Workers is < 1 or > 256) return ValidationResult.Error($"--workers {Workers}: give 1 to 256 processes");
            return ClusterFlags.Check(this, Workers) ?? ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = SweepSpec.Load(settings.Spec!);
        var output = Path.GetFullPath(settings.Out!);
        var progress = new ConsoleProgress(console);
        var items = spec.Items();
        console.MarkupLineInterpolated($"Sweep [bold]{spec.Name}[/]: {items.Select(i => i.Key).Distinct().Count()} items ({spec.Data.Count} data × {spec.Recipes.Count} recipes × {spec.Seeds.Count} seeds), {spec.Threads} thread(s) each.");
        SweepOutcome outcome;
        try
        {
            outcome = settings.Cluster
                ? ClusterFlags.WithClient(settings, client => ClusterSweep.RunAsync(client, spec, output, progress, cancel: cancellationToken).GetAwaiter().GetResult(), cancellationToken)
                : new LocalSweepRunner(settings.Workers ?? 1, WorkerCommand).Run(spec, new SweepFolder(output), progress, cancellationToken);
        }
        catch (SweepFailedException e)
        {
            console.MarkupLineInterpolated($"[red]sweep incomplete:[/] {e.Message}");
            return ExitCode.Failed;
        }
        console.WriteLine(File.ReadAllText(outcome.Markdown));
        console.MarkupLineInterpolated($"Ran {outcome.Ran} items, {outcome.Skipped} already done. Wrote [bold]{outcome.Markdown}[/] and {Path.GetFileName(outcome.Json)}.");
        return ExitCode.Ok;
    }

    /// <summary>The command line of a worker: this program's sweep-item verb on one item folder.</summary>
    internal static ProcessStartInfo WorkerCommand(string itemFolder) => WorkerProcess.For("sweep-item", itemFolder);
}

/// <summary>genaudit sweep-item (internal): runs one prepared sweep item; the local sweep starts one per worker process.</summary>
public sealed class SweepItemCommand(IAnsiConsole console) : VerbCommand<WorkerItemSettings>
{
    /// <inheritdoc />
    protected override int Run(CommandContext context, WorkerItemSettings settings, CancellationToken cancellationToken)
    {
        var item = SweepFolder.ReadItem(settings.Item!);
        var result = new SweepItemRunner(GenAudit.Audit.SweepAudit.Steps).Run(item, settings.Item!, cancellationToken);
        console.WriteLine($"{item.Key}: {result.Values.Count} values in {result.Seconds:F1} s");
        return ExitCode.Ok;
    }
}
