using System.ComponentModel;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit audit: quality, stability, explanations and latent traversals of a run, judged against a policy.</summary>
public sealed class AuditCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<AuditCommand.Settings>
{
    /// <summary>Options of <c>genaudit audit</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (trained or imported).",
            Seed = "Seed of every stage. Default: 0.",
            Count = new("Generated samples for quality and coverage (also accepted as --n). Default: 5000, 1000 with --quick.", Minimum: 10, Default: null),
            Out = new("Folder for report.html, summary.json, summary.md and the PNGs. Default: <run>/audit.", Folder: true),
        };

        /// <summary>Policy file.</summary>
        [CommandOption("--policy <FILE>")]
        [Description("JSON thresholds {\"key\": {\"min\": x, \"max\": y}} (docs/audit.md#policy). Default: the shipped policy (docs/default-policy.json).")]
        public string? Policy { get; init; }

        /// <summary>Fast preset.</summary>
        [CommandOption("--quick")]
        [Description("Fewer samples in every stage: within a minute for the MNIST DCGAN on 2 cores.")]
        public bool Quick { get; init; }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var policy = settings.Policy is { } file ? GenAudit.Audit.Policy.Load(file) : GenAudit.Audit.Policy.Default;
        var options = settings.Quick ? AuditOptions.Quick(settings.SeedOrDefault) : new AuditOptions { Seed = settings.SeedOrDefault };
        if (settings.Count is { } n) options = options with { QualitySamples = n };
        options.Validate();
        var output = Path.GetFullPath(settings.Out ?? Path.Combine(settings.Run!, "audit"));
        var result = RunAudit(console, progressOptions, settings.Run!, options, policy, output);
        return Summarise(console, result, output);
    }

    /// <summary>
    /// Runs the audit with a progress bar per stage and an overall ETA (periodic plain lines off a terminal), and
    /// writes the report; shared with <c>genaudit demo</c>.
    /// </summary>
    public static AuditResult RunAudit(IAnsiConsole console, ProgressOptions progress, string run, AuditOptions options, Policy policy, string output)
    {
        TorchRuntime.EnsureLoaded();
        AuditResult? result = null;
        if (!progress.Terminal)
        {
            result = StepProgress.Run(console, progress, "audit", steps =>
            {
                using var subject = AuditSubject.Open(run, new ConsoleProgress(console));
                return new AuditRunner(options).Run(subject, run, policy, output, new PlainObserver(steps));
            });
            AuditReport.Write(result, output);
            return result;
        }
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask("[bold]audit[/]", maxValue: StageWeights.Values.Sum());
                var open = ctx.AddTask("open run");
                var tasks = AuditRunner.Stages.ToDictionary(s => s, s => ctx.AddTask(s, autoStart: false));
                open.IsIndeterminate = true;
                using var subject = AuditSubject.Open(run, new ConsoleProgress(console));
                open.Value = open.MaxValue;
                var observer = new Observer(tasks, overall);
                result = new AuditRunner(options).Run(subject, run, policy, output, observer);
                overall.Value = overall.MaxValue;
            });
        AuditReport.Write(result!, output);
        return result!;
    }

    /// <summary>Prints the verdicts and returns the exit code: 0 when every threshold passes, 1 otherwise.</summary>
    public static int Summarise(IAnsiConsole console, AuditResult result, string output)
    {
        var table = new Table().Title($"Verdict: {(result.Passed ? "PASS" : "FAIL")} (policy {Markup.Escape(result.Policy.Source)})")
            .AddColumns("key", "value", "threshold", "margin", "result");
        foreach (var v in result.Verdicts)
            table.AddRow(Markup.Escape(v.Threshold.Key), v.Value is { } x ? MetricTable.Format(x) : "—", Markup.Escape(v.Threshold.Describe()),
                v.Margin is { } m ? MetricTable.Format(m) : "—",
                v.Status switch { VerdictStatus.Pass => "[green]pass[/]", VerdictStatus.Fail => "[red]FAIL[/]", _ => "[grey]not applicable[/]" + (v.Reason is { } why ? $" [grey]({Markup.Escape(why)})[/]" : "") });
        console.Write(table);
        console.MarkupLineInterpolated($"Report: [bold]{Path.Combine(output, "report.html")}[/] (summary.json, summary.md alongside)");
        return result.Passed ? ExitCode.Ok : ExitCode.Failed;
    }

    // Relative stage durations measured on the MNIST DCGAN (docs/audit.md#budget); they drive the overall ETA.
    static readonly Dictionary<string, double> StageWeights = new() { ["quality"] = 30, ["stability"] = 40, ["explanations"] = 25, ["latents"] = 5 };

    sealed class Observer(Dictionary<string, ProgressTask> tasks, ProgressTask overall) : IAuditObserver
    {
        public void StageStarted(string stage)
        {
            tasks[stage].StartTask();
            tasks[stage].IsIndeterminate = true;
        }

        public void Report(string stage, string message) => tasks[stage].Description = $"{stage}: [grey]{Markup.Escape(Truncate(message))}[/]";

        public void StageFinished(string stage, TimeSpan elapsed)
        {
            tasks[stage].IsIndeterminate = false;
            tasks[stage].Description = $"{stage} ({elapsed.TotalSeconds:F0} s)";
            tasks[stage].Value = tasks[stage].MaxValue;
            tasks[stage].StopTask();
            overall.Increment(StageWeights[stage]);
        }

        static string Truncate(string text) => text.Length > 60 ? text[..57] + "..." : text;
    }

    /// <summary>Stage messages as steps of the stage weights (100 in all), for the plain progress lines.</summary>
    sealed class PlainObserver(IProgress<WorkProgress> steps) : IAuditObserver
    {
        readonly int total = (int)StageWeights.Values.Sum();
        int done;

        public void StageStarted(string stage) => steps.Report(new WorkProgress($"{stage} started", done, total));

        public void Report(string stage, string message) => steps.Report(new WorkProgress($"{stage}: {message}", done, total));

        public void StageFinished(string stage, TimeSpan elapsed)
        {
            done += (int)StageWeights[stage];
            steps.Report(new WorkProgress($"{stage} finished in {elapsed.TotalSeconds:F0} s", done, total));
        }
    }
}
