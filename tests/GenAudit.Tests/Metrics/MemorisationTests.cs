using System.Text.Json;
using GenAudit.Core;
using GenAudit.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

/// <summary>
/// The data-copying test, authenticity and the exact nearest-neighbour search, against scipy/numpy
/// reference values (tools/fixtures/memorisation.py) and brute force.
/// </summary>
public sealed class MemorisationTests
{
    static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GenAudit.sln")))
                return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "tests", "GenAudit.Tests", "Fixtures", "memorisation.json"))).RootElement;
        throw new DirectoryNotFoundException("GenAudit.sln not found above the test binaries");
    });

    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    static Tensor Matrix(JsonElement rows)
    {
        var list = rows.EnumerateArray().Select(Doubles).ToArray();
        return tensor(list.SelectMany(r => r).ToArray(), [list.Length, list[0].Length]);
    }

    [Fact]
    public void MannWhitneyUMatchesScipyWithTies()
    {
        foreach (var c in Fixture.Value.GetProperty("mannWhitney").EnumerateArray())
            Assert.Equal(c.GetProperty("u").GetDouble(), DataCopyingTest.MannWhitneyU(Doubles(c.GetProperty("x")), Doubles(c.GetProperty("y"))), 9);
    }

    [Fact]
    public void CtForGivenCellsMatchesTheReferenceAndSeparatesCopiesFromFreshSamples()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var results = new Dictionary<string, double>();
        foreach (var c in Fixture.Value.GetProperty("dataCopying").EnumerateArray())
        {
            var train = Matrix(c.GetProperty("train"));
            var generated = Matrix(c.GetProperty("generated"));
            var result = DataCopyingTest.FromCells(train, Ints(c.GetProperty("trainCells")), Matrix(c.GetProperty("test")), Ints(c.GetProperty("testCells")),
                generated, Ints(c.GetProperty("generatedCells")), c.GetProperty("cellCount").GetInt32(), c.GetProperty("tau").GetDouble());
            Assert.Equal(c.GetProperty("ct").GetDouble(), result.Ct, 9);
            Assert.Equal(c.GetProperty("authenticity").GetDouble(), Authenticity.Compute(train, generated).Score, 12);
            results[c.GetProperty("name").GetString()!] = result.Ct;
        }
        Assert.True(results["copies"] < -3, $"copies: C_T {results["copies"]}");
        Assert.InRange(results["fresh"], -2, 2);
    }

    [Fact]
    public void TheFullTestFlagsAGeneratorThatReplaysTrainingSamples()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var centres = tensor(new double[] { 0, 0, 5, 0, 0, 5, 5, 5, -5, 0 }, [5, 2]);
        Tensor Draw(int perCentre) => cat(Enumerable.Range(0, 5).Select(i => centres[i].unsqueeze(0) + randn([perCentre, 2], dtype: float64, generator: generator)).ToArray(), 0);
        var train = Draw(200);
        var test = Draw(100);
        var fresh = Draw(100);
        var replay = train.index_select(0, randint(0, 1000, [500], generator: generator)) + 1e-3 * randn([500, 2], dtype: float64, generator: generator);
        var options = new DataCopyingOptions { CellCount = 5, Seed = 1 };
        var copying = DataCopyingTest.Compute(train, test, replay, options);
        var healthy = DataCopyingTest.Compute(train, test, fresh, options);
        Assert.True(copying.Ct < -5, $"replay C_T {copying.Ct}");
        Assert.InRange(healthy.Ct, -2.5, 2.5);
        Assert.Equal(5, healthy.CellsUsed);
        Assert.True(Authenticity.Compute(train, replay).Score < 0.05);
        Assert.InRange(Authenticity.Compute(train, fresh).Score, 0.3, 0.7);
    }

    [Fact]
    public void ThePartitionIsFittedOncePerTrainingSetAndTheStatisticIsUnchanged()
    {
        // The memo may only skip work: the same inputs give the same C_T and cells as a fresh fit
        // (FromCells over KMeans.Fit), and other training rows are fitted anew.
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var train = randn([400, 3], dtype: float64, generator: generator);
        var test = randn([150, 3], dtype: float64, generator: generator);
        var generated = randn([150, 3], dtype: float64, generator: generator);
        var options = new DataCopyingOptions { CellCount = 4, Seed = 12345 };
        var hits = DataCopyingTest.Partitions.Hits;
        var first = DataCopyingTest.Compute(train, test, generated, options);
        var second = DataCopyingTest.Compute(train.clone(), test, generated, options);
        Assert.Equal(hits + 1, DataCopyingTest.Partitions.Hits);
        var model = KMeans.Fit(train, 4, 12345);
        var direct = DataCopyingTest.FromCells(train, model.Assign(train), test, model.Assign(test), generated, model.Assign(generated), 4, 20.0 / 150);
        Assert.Equal(direct.Ct, first.Ct);
        Assert.Equal(direct.Ct, second.Ct);
        Assert.Equal(direct.Cells, second.Cells);
        DataCopyingTest.Compute(train + 1e-9, test, generated, options);
        Assert.Equal(hits + 1, DataCopyingTest.Partitions.Hits);
    }

    [Fact]
    public void NearestExactAgreesWithBruteForceFloat64()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        var reference = randn([300, 16], dtype: float64, generator: generator);
        var queries = cat([randn([90, 16], dtype: float64, generator: generator), reference.narrow(0, 10, 10)], 0); // 10 exact copies
        var (distances, indices) = PairwiseDistances.NearestExact(queries, reference, excludeSelf: false, chunkRows: 17);
        var q = queries.data<double>().ToArray();
        var r = reference.data<double>().ToArray();
        for (var i = 0; i < 100; i++)
        {
            var best = double.PositiveInfinity;
            var bestIndex = -1;
            for (var j = 0; j < 300; j++)
            {
                double sum = 0;
                for (var k = 0; k < 16; k++) { var diff = q[i * 16 + k] - r[j * 16 + k]; sum += diff * diff; }
                if (sum < best) { best = sum; bestIndex = j; }
            }
            Assert.Equal(bestIndex, indices[i]);
            Assert.Equal(Math.Sqrt(best), distances[i], 12);
        }
        for (var i = 90; i < 100; i++) Assert.Equal(0.0, distances[i]);

        var (self, selfIndex) = PairwiseDistances.NearestExact(reference, reference, excludeSelf: true, chunkRows: 64);
        for (var i = 0; i < 300; i++)
        {
            Assert.NotEqual(i, selfIndex[i]);
            Assert.True(self[i] > 0);
        }
    }

    [Fact]
    public void KMeansRecoversSeparatedClustersAndIsSeeded()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(4);
        var centres = new[] { (0.0, 0.0), (20.0, 0.0), (0.0, 20.0) };
        var x = cat(centres.Select(c => tensor(new[] { c.Item1, c.Item2 }).unsqueeze(0) + 0.5 * randn([50, 2], dtype: float64, generator: generator)).ToArray(), 0);
        var model = KMeans.Fit(x, 3, seed: 7);
        Assert.True(model.Converged);
        var cells = model.Assign(x);
        for (var g = 0; g < 3; g++) Assert.Single(cells.Skip(g * 50).Take(50).Distinct()); // each cluster in one cell
        Assert.Equal(3, cells.Distinct().Count());
        // each centre is the mean of its cluster's points
        var points = x.data<double>().ToArray();
        for (var g = 0; g < 3; g++)
        {
            var cell = cells[g * 50];
            var meanX = Enumerable.Range(g * 50, 50).Average(i => points[2 * i]);
            var meanY = Enumerable.Range(g * 50, 50).Average(i => points[2 * i + 1]);
            Assert.Equal(meanX, model.Centers[cell, 0], 9);
            Assert.Equal(meanY, model.Centers[cell, 1], 9);
        }
        Assert.Equal(model.Centers, KMeans.Fit(x, 3, seed: 7).Centers);
    }

    [Fact]
    public void TrainingDistancesOfSampledRowsAreExactAgainstTheWholeSetAndDuplicatesCount()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(12);
        var training = randn([400, 8], dtype: float64, generator: generator);
        training[399] = training[5].clone(); // a duplicate: rows 5 and 399 are each other's neighbour at 0
        var generated = training.narrow(0, 0, 40) + 0.5 * randn([40, 8], dtype: float64, generator: generator);
        var result = CopyDetection.Compute(training, generated, new CopyDetectionOptions { MedianSampleCount = 60, Seed = 3 });
        Assert.Equal(60, result.MedianSampleCount);
        var all = training.data<double>().ToArray();
        double BruteForce(int row)
        {
            var best = double.PositiveInfinity;
            for (var j = 0; j < 400; j++)
            {
                if (j == row) continue;
                double sum = 0;
                for (var k = 0; k < 8; k++) { var d = all[row * 8 + k] - all[j * 8 + k]; sum += d * d; }
                best = Math.Min(best, sum);
            }
            return Math.Sqrt(best);
        }
        foreach (var (row, distance) in result.TrainingNearestDistances) Assert.Equal(BruteForce(row), distance, 12);
        foreach (var nearest in result.NearestTrainingIndices) Assert.True(result.TrainingNearestDistances.ContainsKey(nearest));
        var (selfDistances, selfIndices) = PairwiseDistances.NearestExact(training, training, excludeSelf: true, chunkRows: 100);
        Assert.Equal(0.0, selfDistances[5]);
        Assert.Equal(399, selfIndices[5]);
        Assert.Equal(5, selfIndices[399]);
        // the sampled median is within a few percent of the whole set's
        var wholeMedian = selfDistances.Order().ToArray() is var sorted ? (sorted[199] + sorted[200]) / 2 : 0;
        Assert.InRange(result.MedianTrainingDistance / wholeMedian, 0.9, 1.1);
    }
}
