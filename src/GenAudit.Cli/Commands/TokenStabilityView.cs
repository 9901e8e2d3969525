using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Stability;
using GenAudit.Training;
using Spectre.Console;

namespace GenAudit.Cli.Commands;

/// <summary><c>genaudit stability</c> on a token run: <see cref="TextStability"/>'s keys (docs/metrics-text.md).</summary>
static class TokenStabilityView
{
    /// <summary>True when <paramref name="run"/>'s manifest names a token model (mle, seqgan).</summary>
    public static bool IsTokenRun(string run)
    {
        var manifest = new RunDirectory(run).Manifest;
        return File.Exists(manifest) && Json.ReadFile<RunManifest>(manifest).Config.Model.IsTokenSequence;
    }

    public static int Run(IAnsiConsole console, ProgressOptions progressOptions, StabilityCommand.Settings settings, StabilityOptions options)
    {
        if (settings.Runs.Length > 0) throw new ArgumentException("--runs: seed variance over token runs is not measured yet; give one --run");
        using var subject = AuditSubject.Open(settings.Run!, new ConsoleProgress(console));
        using var sampler = ((TokenSampler)subject.Generator).With(TokenSamplingFlags.From(settings) ?? TokenSampling.Default);
        var values = StepProgress.Run(console, progressOptions, "stability", sink => TextStability.Run(sampler, options, sink));
        console.Write(MetricTable.Build($"Stability of {settings.Run} (step {subject.Run.Step})",
            values.Select(kv => new KeyValuePair<string, double?>(kv.Key, kv.Value))));
        console.MarkupLineInterpolated($"Token sequences: {options.SampleCount} pairs per family, {sampler.Sampling}; the latent is the state latent (if any) and the sampling noise (docs/metrics-text.md#text-stability); independent pairs are the floor of local pairs.");
        if (settings.Json is { } json)
        {
            var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["run"] = Path.GetFullPath(settings.Run!),
                ["checkpointStep"] = subject.Run.Step,
                ["data"] = subject.Train.Name,
                ["dataFingerprint"] = subject.Train.Fingerprint,
                ["options"] = options,
                ["sampling"] = sampler.Sampling,
            };
            foreach (var (key, value) in values) document[key] = value;
            Json.WriteFile(json, document);
            console.MarkupLineInterpolated($"Wrote [bold]{json}[/]");
        }
        if (settings.Out is not null) console.MarkupLine("[grey]--out: token runs have no stability plots yet; the numbers are in the table (and --json).[/]");
        return ExitCode.Ok;
    }
}
