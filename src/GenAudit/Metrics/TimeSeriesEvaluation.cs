using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// The series scores of <c>genaudit evaluate</c> for a run whose samples are sequences (<see cref="OutputKind.Series"/>):
/// TimeGAN's discriminative and predictive scores and the autocorrelation and cross-correlation errors of
/// generated sequences against real training sequences, and the real row: held-out real sequences measured the same way.
/// </summary>
public static class TimeSeriesEvaluation
{
    /// <summary>The keys by value for generated sequences and for the real row (held-out real in place of generated).</summary>
    /// <param name="subject">The opened series run.</param>
    /// <param name="count">Sequences in each set (capped at the smaller of the training and held-out sets).</param>
    /// <param name="seed">Seed of the latents, the subsets and the post-hoc networks.</param>
    /// <param name="options">Post-hoc network settings; TimeGAN's by default.</param>
    public static (Dictionary<string, double> Generated, Dictionary<string, double> Real) Evaluate(AuditSubject subject, int count, long seed, TimeSeriesScoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject.Output != OutputKind.Series) throw new ArgumentException($"series scores need a series run, not {subject.Output}");
        options = (options ?? new TimeSeriesScoreOptions()) with { Seed = seed };
        using var scope = NewDisposeScope();
        int n = Math.Min(count, Math.Min(subject.Train.Count, subject.Test.Count));
        using var random = new Generator(unchecked((ulong)seed));
        var real = Subset(subject.Train, n, random);                                      // (n, T, F)
        var heldOut = Subset(subject.Test, n, random);                                    // (n, T, F)
        var model = subject.Generator;
        var z = randn([n, model.LatentSize], generator: random);
        Tensor generated;
        using (no_grad()) generated = model.Generate(z).cpu().to(ScalarType.Float32);  // (n, T, F)
        return (Scores(real, generated, options), Scores(real, heldOut, options));
    }

    static Dictionary<string, double> Scores(Tensor real, Tensor candidate, TimeSeriesScoreOptions options)
    {
        var values = new Dictionary<string, double>
        {
            ["series.discriminative"] = TimeSeriesScores.Discriminative(real, candidate, options),
            ["series.predictive"] = TimeSeriesScores.Predictive(candidate, real, options),
            ["series.autocorrelationError"] = TimeSeriesScores.AutocorrelationError(real, candidate, options.MaxLag),
        };
        if (TimeSeriesScores.CrossCorrelationError(real, candidate) is { } cross) values["series.crossCorrelationError"] = cross;
        return values;
    }

    static Tensor Subset(GenAudit.Data.Dataset data, int n, Generator random)
    {
        var order = randperm(data.Count, generator: random).narrow(0, 0, n);
        var (x, y) = data.GetBatch(order);
        y?.Dispose();
        return x;
    }
}
