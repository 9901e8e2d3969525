using GenAudit.Cli.Infrastructure;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using Spectre.Console;

namespace GenAudit.Cli.Commands;

/// <summary><c>genaudit evaluate</c> on a token run: the text keys of <see cref="TextQuality"/> (docs/metrics-text.md).</summary>
static class TokenEvaluation
{
    public static int Run(IAnsiConsole console, AuditSubject subject, EvaluateCommand.Settings settings)
    {
        using var sampler = ((TokenSampler)subject.Generator).With(TokenSamplingFlags.From(settings) ?? TokenSampling.Default);
        if (settings.DumpFeatures is not null || settings.CopiesPng is not null)
            throw new ArgumentException("--dump-features and --copies-png need a feature space; token runs have none (their copies are counted verbatim: copies.verbatim.*)");
        var train = subject.Train as TokenSequenceDataset ?? throw new InvalidDataException($"{settings.Run}: a token run whose data '{subject.Train.Name}' is not token sequences");
        var test = subject.Test as TokenSequenceDataset ?? throw new InvalidDataException($"{settings.Run}: a token run whose held-out data '{subject.Test.Name}' is not token sequences");
        var options = new TextQualityOptions { SampleCount = settings.Count ?? TextQualityOptions.DefaultSampleCount, Seed = settings.SeedOrDefault };
        var result = TextQuality.Evaluate(sampler, train, test, options, new ConsoleProgress(console));
        var values = result.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KeyValuePair<string, double?>(kv.Key, kv.Value));
        console.Write(MetricTable.Build($"Quality of {settings.Run} (step {subject.Run.Step})", values, null, result.Real));
        console.MarkupLineInterpolated($"Token sequences: n = {result.Samples.Count} generated ({sampler.Sampling}) against {result.ReferenceCount} held-out references (BLEU: nltk sentence_bleu, smoothing method1, as Texygen); real column: {result.RealCandidateCount} training sequences measured the same way.");
        foreach (var sample in result.Samples.Take(5)) console.MarkupLineInterpolated($"  [grey]{sample}[/]");
        if (settings.Json is { } json)
        {
            var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["run"] = Path.GetFullPath(settings.Run!),
                ["checkpointStep"] = subject.Run.Step,
                ["data"] = subject.Train.Name,
                ["dataFingerprint"] = subject.Train.Fingerprint,
                ["sampling"] = sampler.Sampling,
                ["real"] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["values"] = result.Real,
                    ["candidates"] = result.RealCandidateCount,
                    ["reference"] = result.ReferenceCount,
                },
            };
            foreach (var (key, value) in result.Values) document[key] = value;
            if (subject.DataWarning is { } warning) document["warning"] = warning;
            Core.Json.WriteFile(json, document);
            console.MarkupLineInterpolated($"Wrote [bold]{json}[/]");
        }
        return ExitCode.Ok;
    }
}
