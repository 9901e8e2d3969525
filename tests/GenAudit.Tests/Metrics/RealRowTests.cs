using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Runs;
using GenAudit.Tests.Training;

namespace GenAudit.Tests.Metrics;

/// <summary>The real row (held-out data measured like a generator) against brute force, and its cache.</summary>
public class RealRowTests
{
    const int Count = 60;

    static double[][] Points(int seed, double shift) => MetricTestData.Gaussian(new Random(seed), Count, 2, shift);

    static PointDataset Dataset(string name, double[][] rows) =>
        new(name, rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), 2, null, []);

    // The evaluator works in float32: compare with the same rounding.
    static double[][] AsFloat(double[][] rows) => rows.Select(r => r.Select(v => (double)(float)v).ToArray()).ToArray();

    static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    /// <summary>Distance to the k-th nearest other row of the same set.</summary>
    static double[] Radii(double[][] set, int k) =>
        set.Select((p, i) => set.Where((_, j) => j != i).Select(q => Distance(p, q)).Order().ElementAt(k - 1)).ToArray();

    /// <summary>FID of two 2-D sets in closed form: tr √(Σ₁Σ₂) = √(tr Σ₁Σ₂ + 2 √(det Σ₁ det Σ₂)) for 2 × 2 PSD matrices.</summary>
    static double Fid2D(double[][] a, double[][] b)
    {
        static (double[] Mean, double[,] Cov) Moments(double[][] x)
        {
            var mean = new[] { x.Average(r => r[0]), x.Average(r => r[1]) };
            var cov = new double[2, 2];
            foreach (var r in x)
                for (var i = 0; i < 2; i++)
                    for (var j = 0; j < 2; j++) cov[i, j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (x.Length - 1);
            return (mean, cov);
        }
        var (m1, s1) = Moments(a);
        var (m2, s2) = Moments(b);
        double trProduct = 0;
        for (var i = 0; i < 2; i++)
            for (var k = 0; k < 2; k++) trProduct += s1[i, k] * s2[k, i];
        var det1 = s1[0, 0] * s1[1, 1] - s1[0, 1] * s1[1, 0];
        var det2 = s2[0, 0] * s2[1, 1] - s2[0, 1] * s2[1, 0];
        var traceRoot = Math.Sqrt(trProduct + 2 * Math.Sqrt(det1 * det2));
        var meanTerm = Math.Pow(m1[0] - m2[0], 2) + Math.Pow(m1[1] - m2[1], 2);
        return meanTerm + s1[0, 0] + s1[1, 1] + s2[0, 0] + s2[1, 1] - 2 * traceRoot;
    }

    static QualityEvaluationOptions Options(string cache) =>
        new() { SampleCount = Count, MaxRealSamples = Count, RealRowCacheFolder = cache, BatchSize = 64 };

    [Fact]
    public void RealRowEqualsBruteForceAndIsReadBackFromTheCache()
    {
        using var temp = new TempRun();
        var trainRows = Points(1, 0);
        var testRows = Points(2, 0.3);
        var train = Dataset("train", trainRows);
        var test = Dataset("test", testRows);
        var evaluator = new QualityEvaluator(new IdentityFeatureExtractor(2), train, test, Options(temp.Sub("cache")));
        Assert.True(evaluator.HasHeldOutSplit);
        var row = evaluator.EvaluateRealRow()!;
        Assert.False(row.FromCache);
        Assert.Equal((Count, Count, Count), (row.CandidateCount, row.ReferenceCount, row.CopyTrainingCount));

        // n ≥ both splits: the candidates are every held-out point and the reference every training point.
        var reference = AsFloat(trainRows);
        var candidates = AsFloat(testRows);
        Assert.Equal(Fid2D(reference, candidates), row.Values["fid"], 1e-9);

        const int k = 5;
        var realRadii = Radii(reference, k);
        var fakeRadii = Radii(candidates, k);
        var inReal = candidates.Select(c => reference.Where((r, i) => Distance(c, r) < realRadii[i]).Count()).ToArray();
        Assert.Equal(inReal.Count(c => c > 0) / (double)Count, row.Values["precision"], 12);
        Assert.Equal(inReal.Sum() / (double)(k * Count), row.Values["density"], 12);
        Assert.Equal(reference.Where((r, i) => candidates.Any(c => Distance(c, r) < realRadii[i])).Count() / (double)Count, row.Values["coverage"], 12);
        Assert.Equal(reference.Count(r => candidates.Where((c, j) => Distance(c, r) < fakeRadii[j]).Any()) / (double)Count, row.Values["recall"], 12);

        // KID: one subset (the whole of both sets), cubic kernel k(x, y) = (x·y / d + 1)³.
        double Kernel(double[] a, double[] b) => Math.Pow((a[0] * b[0] + a[1] * b[1]) / 2 + 1, 3);
        double xx = 0, yy = 0, xy = 0;
        for (var i = 0; i < Count; i++)
            for (var j = 0; j < Count; j++)
            {
                if (i != j) { xx += Kernel(reference[i], reference[j]); yy += Kernel(candidates[i], candidates[j]); }
                xy += Kernel(reference[i], candidates[j]);
            }
        Assert.Equal((xx + yy) / (Count * (Count - 1.0)) - 2 * xy / (Count * (double)Count), row.Values["kid.mean"], 9);

        // Copies: d_gen ≤ 0.1 × median nearest-other-training distance; authenticity: d_gen > d_train of the nearest.
        var dTrain = reference.Select((p, i) => reference.Where((_, j) => j != i).Min(q => Distance(p, q))).ToArray();
        var sorted = dTrain.Order().ToArray();
        var median = (sorted[Count / 2 - 1] + sorted[Count / 2]) / 2;
        var nearest = candidates.Select(c => Enumerable.Range(0, Count).MinBy(i => Distance(c, reference[i]))).ToArray();
        var dGen = candidates.Select((c, j) => Distance(c, reference[nearest[j]])).ToArray();
        Assert.Equal(dGen.Count(d => d <= 0.1 * median) / (double)Count, row.Values["copies.fraction"], 12);
        Assert.Equal(dGen.Where((d, j) => d > dTrain[nearest[j]]).Count() / (double)Count, row.Values["authenticity"], 12);
        Assert.False(row.Values.ContainsKey("isScore")); // no classifier in the identity space

        var again = new QualityEvaluator(new IdentityFeatureExtractor(2), train, test, Options(temp.Sub("cache"))).EvaluateRealRow()!;
        Assert.True(again.FromCache);
        Assert.Equal(row.Values, again.Values);
        Assert.Single(Directory.GetFiles(temp.Sub("cache"), "*.json"));

        // Another seed is another cache entry (the seed picks the candidates when the split is larger than n).
        var seeded = new QualityEvaluator(new IdentityFeatureExtractor(2), train, test, Options(temp.Sub("cache")) with { Seed = 5 }).EvaluateRealRow()!;
        Assert.False(seeded.FromCache);
        Assert.Equal(2, Directory.GetFiles(temp.Sub("cache"), "*.json").Length);
    }

    [Fact]
    public void NoHeldOutSplitMeansNoRealRow()
    {
        using var temp = new TempRun();
        var data = Dataset("same", Points(3, 0));
        Assert.Null(new QualityEvaluator(new IdentityFeatureExtractor(2), data, data, Options(temp.Sub("cache"))).EvaluateRealRow());
    }

    [Fact]
    public void GeneratorIntervalsBracketTheirValues()
    {
        using var temp = new TempRun();
        var train = Dataset("train", Points(4, 0));
        var test = Dataset("test", Points(5, 0));
        // 60 samples fill 2 k-means cells, not the default 20, with the data-copying test's τ = 20 / n.
        var options = Options(temp.Sub("cache")) with { DataCopying = new DataCopyingOptions { CellCount = 2 } };
        var evaluation = new QualityEvaluator(new IdentityFeatureExtractor(2), train, test, options)
            .Evaluate(new DatasetGenerator(Dataset("other", Points(6, 0.5))));
        var values = evaluation.ToFlatDictionary();
        foreach (var key in new[] { "fid", "precision", "recall", "density", "coverage", "improvedPrecision", "improvedRecall", "copies.fraction", "authenticity" })
        {
            var interval = evaluation.Intervals[key];
            // The percentile interval is shifted by the bootstrap bias, so it brackets the full-sample value
            // even for coverage and recall (a resample holds fewer distinct samples) and FID (it rises).
            Assert.True(interval.Lower <= values[key] + 1e-9 && values[key] <= interval.Upper + 1e-9,
                $"{key} = {values[key]} outside [{interval.Lower}, {interval.Upper}] (bias {interval.Bias})");
            Assert.Equal(Bootstrap.DefaultResamples, interval.Resamples);
        }
        Assert.True(evaluation.Intervals["fid"].Bias > 0, "a resample repeats rows, which moves FID up");
        Assert.True(evaluation.Intervals["coverage"].Bias < 0, "a resample holds fewer distinct samples, which lowers coverage");
    }
}
