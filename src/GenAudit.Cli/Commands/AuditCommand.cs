using System.ComponentModel;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Cluster;
using GenAudit.Core;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit audit: quality, stability, explanations and latent traversals of a run, judged against a policy.</summary>
public sealed class AuditCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<AuditCommand.Settings>
{
    /// <summary>Options of <c>genaudit audit</c>.</summary>
    public sealed class Settings : VerbSettings, ITokenSamplingSettings, IClusterSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (trained or imported). To audit many models, give --runs or --checkpoints instead.",
            RunOptional = true,
            Seed = "Seed of every stage. Default: 0.",
            Count = new("Generated samples for quality and coverage (also accepted as --n). Default: 5000 (as evaluate), 1000 with --quick.", Minimum: 10, Default: null),
            Out = new("Folder for report.html, summary.json, summary.md and the PNGs. Default: <run>/audit. With --runs/--checkpoints (required): audits.md, audits.json, index.html and <name>/ per model.", Folder: true),
        };

        /// <summary>Many runs.</summary>
        [CommandOption("--runs <DIRS>")]
        [Description("Audit many runs: comma-separated run directories (or repeat the option), each into --out/<name>/ (name: the run's folder name, with parent folders added until names differ); one ranked table, docs/audit.md#audit-many. Not with --run.")]
        public string[] Runs { get; init; } = [];

        /// <summary>Every checkpoint of one run.</summary>
        [CommandOption("--checkpoints <DIR>")]
        [Description("Audit every checkpoint of this run as the generator at that step, each into --out/step-NNNNNNNN/; one ranked table. Not with --run or --runs.")]
        public string? Checkpoints { get; init; }

        /// <summary>Worker processes.</summary>
        [CommandOption("--workers <N>")]
        [Description("With --runs/--checkpoints: worker processes at once, one model each. Default: 1. Ranking: " + AuditManyTable.Ranking + ". Exit code: the highest of the models' (0 all pass, 1 one fails, 2 a key not measured, 3 a measurement failed).")]
        public int? Workers { get; init; }

        /// <summary>Threads per worker.</summary>
        [CommandOption("--threads <N>")]
        [Description("With --runs/--checkpoints: libtorch threads of each worker, fixed so that results do not depend on --workers. Default: 1.")]
        public int? Threads { get; init; }

        /// <summary>Cluster mode.</summary>
        [CommandOption("--cluster")]
        [Description("With --runs/--checkpoints: audit on running silos (genaudit silo) instead of worker processes. The runs and --out must be on a file system every silo can reach (docs/scaling.md).")]
        public bool Cluster { get; init; }

        /// <summary>Redis endpoint.</summary>
        [CommandOption("--redis <HOST:PORT>")]
        [Description(ClusterFlags.RedisHelp)]
        public string? Redis { get; init; }

        /// <summary>Gateway ports.</summary>
        [CommandOption("--gateways <PORTS>")]
        [Description(ClusterFlags.GatewaysHelp)]
        public string? Gateways { get; init; }

        /// <summary>True when auditing many models.</summary>
        internal bool Many => Runs.Length > 0 || Checkpoints is not null;

        /// <summary>--runs split on commas.</summary>
        internal IReadOnlyList<string> RunList => Runs.SelectMany(r => r.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (Runs.Length > 0 && Checkpoints is not null) return ValidationResult.Error("give --runs or --checkpoints, not both");
            if (Many && Run is not null) return ValidationResult.Error($"--run audits one model; --{(Checkpoints is null ? "runs" : "checkpoints")} audits many: give one of them, not both");
            if (!Many)
            {
                if (string.IsNullOrWhiteSpace(Run)) return ValidationResult.Error("--run DIR is required (or --runs DIR1,DIR2,... / --checkpoints DIR to audit many models)");
                if (Workers is not null || Threads is not null) return ValidationResult.Error("--workers and --threads apply with --runs or --checkpoints only");
                if (Cluster || Redis is not null || Gateways is not null) return ValidationResult.Error("--cluster, --redis and --gateways apply with --runs or --checkpoints only");
                return ValidationResult.Success();
            }
            if (ClusterFlags.Check(this, Workers) is { } cluster) return cluster;
            if (Out is null) return ValidationResult.Error("--out DIR is required with --runs and --checkpoints: the folder of the table and of each model's report");
            if (Temperature is not null || TopK is not null) return ValidationResult.Error("--temperature and --top-k apply to one token run (--run); --runs and --checkpoints sample every token model at temperature 1 with every token");
            if (Workers is < 1 or > 256) return ValidationResult.Error($"--workers {Workers}: give 1 to 256 processes");
            if (Threads is < 1 or > 256) return ValidationResult.Error($"--threads {Threads}: give 1 to 256");
            if (Runs.Length > 0 && RunList.Count == 0) return ValidationResult.Error("--runs names no directory; give DIR1,DIR2,...");
            foreach (var run in Checkpoints is { } one ? [one] : RunList)
            {
                if (!Directory.Exists(run)) return ValidationResult.Error($"{run}: no such run directory");
                if (!File.Exists(Path.Combine(run, "manifest.json"))) return ValidationResult.Error($"{run}: not a run directory (no manifest.json)");
            }
            return ValidationResult.Success();
        }

        /// <summary>Policy file.</summary>
        [CommandOption("--policy <FILE>")]
        [Description("JSON thresholds {\"key\": {\"min\": x, \"max\": y, \"minRatio\": a, \"maxRatio\": b}}, ratios to the real row (docs/audit.md#policy). Default: the shipped policy (docs/default-policy.json).")]
        public string? Policy { get; init; }

        /// <summary>Uncertain verdicts fail.</summary>
        [CommandOption("--strict")]
        [Description("Count a verdict whose bootstrap 95% interval straddles its bound (uncertain) as failed. Exit codes: 0 pass, 1 a threshold failed, 2 bad input or a policy key the run could produce was not measured, 3 a measurement failed (docs/audit.md#exit-codes).")]
        public bool Strict { get; init; }

        /// <summary>Sampling temperature of token runs.</summary>
        [CommandOption("--temperature <T>")]
        [Description(TokenSamplingFlags.TemperatureHelp)]
        public double? Temperature { get; init; }

        /// <summary>Top-k of token runs.</summary>
        [CommandOption("--top-k <K>")]
        [Description(TokenSamplingFlags.TopKHelp)]
        public int? TopK { get; init; }

        /// <summary>Fast preset.</summary>
        [CommandOption("--quick")]
        [Description("Fewer samples in every stage: within a minute for the MNIST DCGAN on 2 cores.")]
        public bool Quick { get; init; }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var policy = settings.Policy is { } file ? GenAudit.Audit.Policy.Load(file) : GenAudit.Audit.Policy.Default;
        var options = AuditOptions.For(settings.Quick, settings.SeedOrDefault, settings.Count, settings.Strict) with { Sampling = TokenSamplingFlags.From(settings) };
        options.Validate();
        if (settings.Many) return RunMany(settings, policy, cancellationToken);
        var output = Path.GetFullPath(settings.Out ?? Path.Combine(settings.Run!, "audit"));
        var result = RunAudit(console, progressOptions, settings.Run!, options, policy, output);
        return Summarise(console, result, output);
    }

    /// <summary>Audits every model of --runs or --checkpoints in worker processes and prints the ranked table; returns the highest exit code.</summary>
    int RunMany(Settings settings, Policy policy, CancellationToken cancellationToken)
    {
        var shared = new AuditManySettings(settings.Policy is { } file ? File.ReadAllText(file) : null, policy.Source, settings.SeedOrDefault,
            settings.Quick, settings.Count, settings.Strict, settings.Threads ?? 1);
        IReadOnlyList<AuditManyItem> items;
        if (settings.Checkpoints is { } run) items = AuditManyRunner.Checkpoints(run, shared);
        else
        {
            var runs = settings.RunList;
            var names = AuditManyRunner.NamesOf(runs);
            items = runs.Select((r, i) => new AuditManyItem(names[i], Path.GetFullPath(r), null, shared)).ToList();
        }
        var progress = new ConsoleProgress(console);
        AuditManyOutcome outcome;
        if (settings.Cluster)
        {
            console.MarkupLineInterpolated($"Auditing {items.Count} models on the cluster, {shared.Threads} thread(s) each.");
            outcome = ClusterFlags.WithClient(settings, client => new AuditManyRunner(new ClusterAuditJobs(client)).Run(items, settings.Out!, progress, cancellationToken), cancellationToken);
        }
        else
        {
            var workers = settings.Workers ?? 1;
            console.MarkupLineInterpolated($"Auditing {items.Count} models in {Math.Min(workers, items.Count)} worker process(es), {shared.Threads} thread(s) each.");
            outcome = new AuditManyRunner(workers, AuditItemCommand.WorkerCommand).Run(items, settings.Out!, progress, cancellationToken);
        }
        console.WriteLine(File.ReadAllText(outcome.Markdown));
        console.MarkupLineInterpolated($"Wrote [bold]{outcome.Html}[/] ({Path.GetFileName(outcome.Markdown)}, {Path.GetFileName(outcome.Json)} alongside; each model's report.html under its folder).");
        return outcome.ExitCode;
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

    /// <summary>
    /// Prints the verdicts and returns the exit code: 0 when every threshold passes, 1 when one fails (or, with
    /// --strict, is uncertain), 2 when a policy key the run could produce was not measured, 3 when a stage failed.
    /// </summary>
    public static int Summarise(IAnsiConsole console, AuditResult result, string output)
    {
        var table = new Table().Title($"Verdict: {(result.Passed ? "PASS" : "FAIL")} (policy {Markup.Escape(result.Policy.Source)}{(result.Options.Strict ? ", strict" : "")})")
            .AddColumns("key", "value", "95% interval", "real", "threshold", "margin", "result");
        foreach (var v in result.Verdicts)
            table.AddRow(Markup.Escape(v.Threshold.Key), v.Value is { } x ? MetricTable.Format(x) : "—",
                v.Interval is { } i ? Markup.Escape($"[{MetricTable.Format(i.Lower)}, {MetricTable.Format(i.Upper)}]") : "—",
                v.RealValue is { } real ? MetricTable.Format(real) : "—",
                Markup.Escape(v.Threshold.Describe()), v.Margin is { } m ? MetricTable.Format(m) : "—",
                (v.Status, v.Uncertain) switch
                {
                    (VerdictStatus.Pass, false) => "[green]pass[/]",
                    (VerdictStatus.Pass, true) => result.Options.Strict ? "[red]uncertain (fails: --strict)[/]" : "[yellow]pass (uncertain)[/]",
                    (VerdictStatus.Fail, _) => $"[red]{Markup.Escape(v.StatusText)}[/]",
                    (VerdictStatus.NotApplicable, _) => "[grey]not applicable[/]",
                    _ => $"[red]{Markup.Escape(v.StatusText)}[/]",
                });
        console.Write(table);
        if (result.FeatureSpace is { } space)
            console.MarkupLineInterpolated($"Feature space: {space}; real row: {(result.Real is { } row ? $"{row.CandidateCount} held-out samples vs {row.ReferenceCount} training samples{(row.FromCache ? " (cached)" : "")}" : result.NoRealRowReason ?? "none")}");
        foreach (var v in result.Verdicts.Where(v => v.Status == VerdictStatus.NotApplicable && v.Reason is not null))
            console.MarkupLineInterpolated($"[grey]{v.Threshold.Key} not applicable: {v.Reason}[/]");
        foreach (var (stage, reason) in result.FailedStages)
            console.MarkupLineInterpolated($"[red]measurement failed[/] in stage [bold]{stage}[/]: {reason}");
        var notMeasured = result.Verdicts.Where(v => v.Status == VerdictStatus.NotMeasured).Select(v => v.Threshold.Key).ToList();
        if (notMeasured.Count > 0)
            console.MarkupLineInterpolated($"[red]error:[/] the policy names {string.Join(", ", notMeasured)}, which this run can produce but the audit did not measure");
        console.MarkupLineInterpolated($"Report: [bold]{Path.Combine(output, "report.html")}[/] (summary.json, summary.md alongside)");
        return result.ExitCode;
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
