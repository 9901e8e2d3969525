using System.ComponentModel;
using System.Globalization;
using GenAudit.Application;
using GenAudit.Cli.Infrastructure;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using GenAudit.Rendering;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit explain: attributions of a run's target (latents, images or a token run's prompt), or their evaluation and ranking.</summary>
public sealed class ExplainCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<ExplainCommand.Settings>
{
    /// <summary>Options of <c>genaudit explain</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (trained or imported).",
            Seed = "Seed of the latent draws and of the method's and metrics' random draws. Default: 0.",
            Count = new("Latents drawn when there is no --input (also accepted as --n). Default: 8.", Minimum: 1, Default: 8),
            Json = "Write the evaluation of --evaluate or --compare as flat JSON (keys in docs/metrics-explanations.md).",
            Out = new("Folder for attributions.npy, explain.json and the PNGs. Default: explain-out.", Folder: true),
        };

        /// <summary>Attribution method.</summary>
        [CommandOption("--method <M>")]
        [Description("saliency | inputxgrad | ig | smoothgrad | gradshap | occlusion | ablation | kernelshap | lime.")]
        public string? Method { get; init; }

        /// <summary>Target specification.</summary>
        [CommandOption("--target <T>")]
        [Description("class:<c> | disc | output:<i> | region:<x0>,<y0>,<x1>,<y1> | recon; token runs: logprob:<text> (log-probability of <text> after --prompt) | nll (the prompt's negative log-likelihood).")]
        public string? Target { get; init; }

        /// <summary>Input file, or what to explain.</summary>
        [CommandOption("--input <FILE>")]
        [Description("float32 .npy of latents (N × d), images (N × C × H × W) or prompt embeddings (N × t × E); or 'latent' (--n latents drawn from --seed, the default without --prompt) or 'prompt' (the embeddings of --prompt's tokens, the default with it).")]
        public string? Input { get; init; }

        /// <summary>Prompt of a token run.</summary>
        [CommandOption("--prompt <TEXT>")]
        [Description("Token runs: the text the model continues, spelled as its samples are (words separated by spaces, or characters). Its tokens are explained (Integrated Gradients and the other gradient methods on their embeddings, perturbation methods by token), or with --input latent the state latent at this prompt.")]
        public string? Prompt { get; init; }

        /// <summary>Baseline.</summary>
        [CommandOption("--baseline <B>")]
        [Description("zeros | mean | blur | FILE.npy. Default: zeros.")]
        public string Baseline { get; init; } = "zeros";

        /// <summary>IG steps.</summary>
        [CommandOption("--steps <N>")]
        [Description("Integrated Gradients steps of the first pass over the path. Default: 50.")]
        public int? Steps { get; init; }

        /// <summary>IG completeness tolerance.</summary>
        [CommandOption("--tolerance <T>")]
        [Description("Integrated Gradients refines the path until |completeness error| <= T·|f(x) − f(baseline)| or --max-steps is spent; 0 keeps --steps fixed. Default: 1e-3.")]
        public double? Tolerance { get; init; }

        /// <summary>IG step budget.</summary>
        [CommandOption("--max-steps <N>")]
        [Description("Integrated Gradients budget of gradient evaluations per example. Default: 16384.")]
        public int? MaxSteps { get; init; }

        /// <summary>Sample count of the sampling methods.</summary>
        [CommandOption("--samples <N>")]
        [Description("smoothgrad (25), gradshap (50), kernelshap coalitions (2048), lime (1000).")]
        public int? Samples { get; init; }

        /// <summary>Model batch.</summary>
        [CommandOption("--batch <N>")]
        [Description("Largest batch sent to the model in one call. Default: 64.")]
        public int Batch { get; init; } = 64;

        /// <summary>Feature mask.</summary>
        [CommandOption("--mask <M>")]
        [Description("patch:K | slic:N for images (default patch:4), latent:K for latents (default: each dimension).")]
        public string? Mask { get; init; }

        /// <summary>Condition.</summary>
        [CommandOption("--condition <C>")]
        [Description("Class of a conditional model. Default: 0.")]
        public int? Condition { get; init; }

        /// <summary>Evaluate the chosen method.</summary>
        [CommandOption("--evaluate")]
        [Description("Evaluate --method next to a random control: faithfulness, robustness, sanity, Explainability(G).")]
        public bool Evaluate { get; init; }

        /// <summary>Methods to compare.</summary>
        [CommandOption("--compare <METHODS>")]
        [Description("Comma-separated methods to evaluate and rank next to the random control, e.g. ig,kernelshap,lime, with the audit's budgets (IG 32 steps, smoothgrad 16, kernelshap/lime 512): the audit's Explainability(G) for the same --target, -n and --seed.")]
        [TypeConverter(typeof(Names))]
        public IReadOnlyList<string>? Compare { get; init; }

        /// <summary>Output folder of the attributions.</summary>
        public string OutFolder => Out ?? "explain-out";

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (Target is null) return ValidationResult.Error($"--target is required: {ModelTargets.Grammar}");
            if (Compare is null && Method is null) return ValidationResult.Error("--method is required (or --compare m1,m2,...)");
            if (Compare is not null && (Method is not null || Evaluate)) return ValidationResult.Error("--compare replaces --method and --evaluate; give one or the other");
            if (Json is not null && Compare is null && !Evaluate) return ValidationResult.Error("--json goes with --evaluate or --compare; attributions are written to --out");
            if (Input is not null && (Compare is not null || Evaluate)) return ValidationResult.Error("--evaluate and --compare draw --n latents from --seed; --input is for attributions");
            if (Prompt is not null && (Compare is not null || Evaluate)) return ValidationResult.Error("--evaluate and --compare explain latents; --prompt is for attributions");
            if (Input == "prompt" && Prompt is null) return ValidationResult.Error("--input prompt explains the tokens of --prompt TEXT; give it");
            if (Batch < 1) return ValidationResult.Error($"--batch must be at least 1, got {Batch}");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, string> FlagsOfFields { get; } = new Dictionary<string, string>
    {
        ["Steps"] = "--steps",
        ["Samples"] = "--samples",
        ["InternalBatchSize"] = "--batch",
        ["BatchSize"] = "--batch",
    };

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(console);
        using var subject = AuditSubject.Open(settings.Run!, progress);
        if (settings.Compare is not null || settings.Evaluate)
            return RunEvaluation(subject, settings, progress);

        using var inputs = settings.Input is { } file and not ("latent" or "prompt") ? ReadInputs(file) : null;
        using var result = ExplainRunner.Attribute(subject, new ExplainRequest
        {
            Method = settings.Method!, Target = settings.Target!, Inputs = inputs, Count = settings.CountOrDefault, Seed = settings.SeedOrDefault,
            Prompt = settings.Prompt, ExplainLatents = settings.Input == "latent",
            Baseline = settings.Baseline, Steps = settings.Steps, Tolerance = settings.Tolerance, MaxSteps = settings.MaxSteps, Samples = settings.Samples, Batch = settings.Batch,
            Mask = settings.Mask, Condition = settings.Condition,
        });
        Directory.CreateDirectory(settings.OutFolder);
        Npy.Write(Path.Combine(settings.OutFolder, "attributions.npy"), result.Attribution.Attributions);
        var document = new SortedDictionary<string, object?>(result.ToDocument().ToDictionary(), StringComparer.Ordinal)
        {
            ["run"] = Path.GetFullPath(settings.Run!),
            ["checkpointStep"] = subject.Run.Step,
        };
        Core.Json.WriteFile(Path.Combine(settings.OutFolder, "explain.json"), document);
        var pngs = AttributionCharts.Write(result, settings.OutFolder);

        var table = new Table().Title($"{result.Attribution.Method} on {settings.Target}").AddColumns("example", "f(x)", "f(baseline)", "completeness error", "relative error", "steps", "R²");
        foreach (var r in result.Records.Take(16))
            table.AddRow(r.Index.ToString(CultureInfo.InvariantCulture), MetricTable.Format(r.TargetAtInput), Optional(r.TargetAtBaseline), Optional(r.CompletenessError),
                         Optional(r.RelativeCompletenessError), r.Steps?.ToString(CultureInfo.InvariantCulture) ?? "", Optional(r.RSquared));
        console.Write(table);
        if (result.TokenAttributions is { } perToken && settings.Prompt is { } prompt)
        {
            var spelled = ((GenAudit.Models.TokenSampler)subject.Generator).Vocabulary;
            var tokens = spelled.Encode(prompt).Select(id => Markup.Escape(spelled.Spell(id))).ToArray();
            var byToken = new Table().Title($"attribution of {settings.Target} to each prompt token (sum over the embedding)").AddColumns(["example", .. tokens]);
            for (var i = 0; i < Math.Min(16, perToken.Length); i++)
                byToken.AddRow([i.ToString(CultureInfo.InvariantCulture), .. perToken[i].Select(MetricTable.Format)]);
            console.Write(byToken);
        }
        var a = result.Attribution;
        console.MarkupLineInterpolated($"{a.Elapsed.TotalSeconds:F2} s, {a.ModelShare:P0} inside the model ({a.ModelCalls} calls, {a.ModelEvaluations} evaluations)");
        console.MarkupLineInterpolated($"Wrote attributions.npy, explain.json and {pngs.Count} PNG(s) to [bold]{settings.OutFolder}[/]");
        return ExitCode.Ok;
    }

    int RunEvaluation(AuditSubject subject, Settings settings, IProgress<string> progress)
    {
        var (count, seed) = (settings.CountOrDefault, settings.SeedOrDefault);
        var options = new ComparisonOptions { BatchSize = settings.Batch };
        var title = settings.Compare is { } list ? $"explain --compare {string.Join(",", list)}" : $"explain --evaluate {settings.Method}";
        var report = StepProgress.Run(console, progressOptions, title, steps => settings.Compare is { } methods
            ? ExplainRunner.Compare(subject, methods, settings.Target!, count, seed, options, progress, steps)
            : ExplainRunner.Evaluate(subject, settings.Method!, settings.Target!, count, seed, options, progress, steps));
        var values = report.ToDictionary();
        var ranked = new Table().Title($"Explainability(G) on {settings.Target}, n = {report.N}")
            .AddColumns("rank", "method", "explainability", "faithfulness", "robustness", "sanity", "deletion AUC ↓", "insertion AUC ↑", "faithfulness corr ↑");
        for (var i = 0; i < report.Ranking.Count; i++)
        {
            var m = report.Ranking[i] + ".";
            var control = report.Methods.First(e => e.Method == report.Ranking[i]).IsControl ? " (control)" : "";
            ranked.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(report.Ranking[i] + control), Cell(values, m + "explainability"), Cell(values, m + "faithfulness"),
                Cell(values, m + "robustness"), Cell(values, m + "sanity"), Cell(values, m + "deletionAuc"), Cell(values, m + "insertionAuc"), Cell(values, m + "faithfulnessCorrelation"));
        }
        console.Write(ranked);
        if (report.NotApplicableReason is { } reason)
            console.MarkupLineInterpolated($"[yellow]Explainability not applicable[/]: {reason}.");
        else
            console.MarkupLineInterpolated($"Trust [bold]{report.BestMethod}[/] for this model (explainability {MetricTable.Format(report.Explainability)}, margin over the random control {MetricTable.Format(report.Margin)}).");
        if (settings.Json is { } json)
        {
            var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["run"] = Path.GetFullPath(settings.Run!),
                ["checkpointStep"] = subject.Run.Step,
                ["target"] = settings.Target,
                ["ranking"] = report.Ranking,
                ["recommended"] = report.BestMethod,
                ["controls"] = report.Methods.Where(e => e.IsControl).Select(e => e.Method).ToList(),
                ["notApplicable"] = report.NotApplicableReason,
                ["parameters"] = report.Parameters,
            };
            foreach (var (key, value) in values) document[key] = double.IsFinite(value) ? value : null;
            Core.Json.WriteFile(json, document);
            console.MarkupLineInterpolated($"Wrote [bold]{json}[/]");
        }
        return ExitCode.Ok;
    }

    static TorchSharp.torch.Tensor ReadInputs(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--input {path}: file not found");
        var array = Npy.Read(path);
        if (array.Float32 is null) throw new InvalidDataException($"{path}: --input must be float32 latents (N × d) or images (N × C × H × W)");
        return array.ToTensor();
    }

    static string Optional(double? value) => value is { } v ? MetricTable.Format(v) : "";

    static string Cell(IReadOnlyDictionary<string, double> values, string key) =>
        values.TryGetValue(key, out var v) && double.IsFinite(v) ? MetricTable.Format(v) : "";
}
