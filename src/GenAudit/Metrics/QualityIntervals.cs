using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// Bootstrap intervals of the quality and memorisation keys (docs/audit.md#intervals). The unit is a
/// generated sample: each resample draws n generated rows with replacement and keeps the reference
/// (the held-out features, their k-NN radii, the training set) fixed, so the interval is the
/// uncertainty due to sampling the generator. Every statistic reuses what the full computation
/// produced: FID recomputes only the generated mean and covariance; PRDC and improved precision/recall
/// reuse the ball memberships (the generated radii held fixed for recall); classes, the Inception-style
/// score and modes reuse per-sample predictions; copies and authenticity per-sample flags.
/// </summary>
internal static class QualityIntervals
{
    internal const string Unit = "generated samples (reference fixed)";

    /// <summary>What the statistics are recomputed from.</summary>
    internal sealed record Inputs
    {
        public required GaussianStatistics RealStatistics { get; init; }
        public required Tensor Fake { get; init; }                          // (n, D)
        public required NeighbourhoodCounts Prdc { get; init; }
        public required int PrdcK { get; init; }
        public required NeighbourhoodCounts Improved { get; init; }
        public Tensor? Probabilities { get; init; }                         // (n, K)
        public int InceptionScoreSplits { get; init; }
        public Tensor? Predicted { get; init; }                             // (n,)
        public IReadOnlyList<double>? RealClassWeights { get; init; }
        public ClassCoverageOptions? Classes { get; init; }
        public Tensor? Requested { get; init; }                             // (n,)
        public int ConditionCount { get; init; }
        public Func<Tensor, ModeCoverageResult>? Modes { get; init; }       // row indices (int64) of the generated points → their mode coverage
        public required bool[] Copies { get; init; }
        public required bool[] Authentic { get; init; }
    }

    /// <summary>Interval by key; keys whose statistic is undefined on some resample (or whose memberships were too many to keep) are absent.</summary>
    internal static Dictionary<string, ConfidenceInterval> Compute(Inputs x, ulong seed, int resamples)
    {
        var result = new Dictionary<string, ConfidenceInterval>();
        var n = (int)x.Fake.shape[0];
        void Add(string key, Func<int[], double> statistic, double max = 1)
        {
            // One seed for every key: the same resamples of generated samples behind every interval.
            if (Bootstrap.Percentile(n, statistic, Unit, seed, resamples, min: 0, max: max) is { } interval) result[key] = interval;
        }
        Tensor Rows(Tensor t, int[] draw) => t.index_select(0, tensor(draw.Select(i => (long)i).ToArray()));

        Add("fid", draw =>
        {
            using var scope = NewDisposeScope();
            try
            {
                var fake = FrechetDistance.ComputeStatistics(Rows(x.Fake, draw), allowRankDeficient: true, "fake");
                return FrechetDistance.Compute(x.RealStatistics, fake).Distance;
            }
            catch (ArgumentException) { return double.NaN; } // a degenerate resample: no interval rather than a wrong one
        }, double.PositiveInfinity);
        var counts = x.Prdc.FakeInRealBalls;
        Add("precision", draw => draw.Count(j => counts[j] > 0) / (double)draw.Length);
        Add("density", draw => draw.Sum(j => (double)counts[j]) / ((double)x.PrdcK * draw.Length), double.PositiveInfinity);
        if (x.Prdc.RealBallMembers is { } covered) Add("coverage", draw => Reached(covered, draw, n));
        if (x.Prdc.FakeBallMembers is { } recalled) Add("recall", draw => Reached(recalled, draw, n));
        var improvedCounts = x.Improved.FakeInRealBalls;
        Add("improvedPrecision", draw => draw.Count(j => improvedCounts[j] > 0) / (double)draw.Length);
        if (x.Improved.FakeBallMembers is { } improvedRecalled) Add("improvedRecall", draw => Reached(improvedRecalled, draw, n));

        if (x.Probabilities is { } probabilities)
            Add("isScore", draw =>
            {
                using var scope = NewDisposeScope();
                return InceptionScore.Compute(Rows(probabilities, draw), Math.Min(x.InceptionScoreSplits, draw.Length)).Mean;
            }, double.PositiveInfinity);
        if (x.Predicted is { } predicted && x.RealClassWeights is { } weights)
        {
            ClassCoverageResult Classes(int[] draw)
            {
                using var scope = NewDisposeScope();
                return ClassCoverage.Compute(Rows(predicted, draw), weights, x.Classes);
            }
            Add("classes.covered", draw => Classes(draw).ClassesCovered, weights.Count);
            Add("classes.kl", draw => Classes(draw).KlToReal, double.PositiveInfinity);
        }
        if (x.Predicted is { } guessed && x.Requested is { } requested && x.ConditionCount > 0)
            Add("conditionAccuracy", draw =>
            {
                using var scope = NewDisposeScope();
                return ClassCoverage.ConditionAccuracy(Rows(guessed, draw), Rows(requested, draw), x.ConditionCount).Accuracy;
            });
        if (x.Modes is { } modes)
        {
            ModeCoverageResult Modes(int[] draw)
            {
                using var scope = NewDisposeScope();
                return modes(tensor(draw.Select(i => (long)i).ToArray()));
            }
            Add("modes.captured", draw => Modes(draw).ModesCaptured, double.PositiveInfinity);
            Add("modes.highQuality", draw => Modes(draw).HighQualityFraction);
        }
        Add("copies.fraction", draw => draw.Count(j => x.Copies[j]) / (double)draw.Length);
        Add("authenticity", draw => draw.Count(j => x.Authentic[j]) / (double)draw.Length);
        return result;
    }

    /// <summary>Fraction of reference rows with at least one drawn generated sample among their members.</summary>
    static double Reached(int[][] members, int[] draw, int n)
    {
        var drawn = new bool[n];
        foreach (var j in draw) drawn[j] = true;
        var reached = 0;
        foreach (var list in members)
            foreach (var j in list)
                if (drawn[j]) { reached++; break; }
        return reached / (double)members.Length;
    }
}
