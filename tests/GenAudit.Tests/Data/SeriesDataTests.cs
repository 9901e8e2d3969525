using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class SeriesDataTests
{
    [Fact]
    public void SinesMatchTimeGansDefinition()
    {
        var sines = DatasetRegistry.Resolve("sines");
        var data = Assert.IsType<SeriesDataset>(sines);
        Assert.Equal(10_000, data.Count);
        Assert.Equal([24L, 5], data.SampleShape);

        // Every feature of every sequence is (sin(f·t + φ) + 1) / 2 with f, φ in [0, 0.1]: recover φ from t = 0 and f
        // from t = 1 by inverting the formula (φ and f + φ lie in [0, 0.2], where asin inverts sin), then check all 24
        // steps against the formula in float64.
        var values = data.Values.ToArray();
        double largestError = 0, fSum = 0, phaseSum = 0;
        for (int i = 0; i < data.Count; i++)
            for (int k = 0; k < 5; k++)
            {
                double X(int t) => values[(i * 24 + t) * 5 + k];
                double phase = Math.Asin(2 * X(0) - 1);
                double f = Math.Asin(2 * X(1) - 1) - phase;
                Assert.InRange(phase, -1e-6, 0.1 + 1e-6);
                Assert.InRange(f, -1e-5, 0.1 + 1e-5);
                fSum += f;
                phaseSum += phase;
                for (int t = 0; t < 24; t++)
                {
                    Assert.InRange(X(t), 0, 1);
                    largestError = Math.Max(largestError, Math.Abs(X(t) - (Math.Sin(f * t + phase) + 1) / 2));
                }
            }
        // f is recovered from two float32 values (error ~1e-7 each), so its error grows with t: ≤ 24 · 2e-7 · 1/2.
        Assert.True(largestError < 1e-5, $"largest deviation from the formula {largestError}");
        // Uniform on [0, 0.1]: mean 0.05, standard error 0.1/√12/√50,000 = 1.3e-4.
        Assert.InRange(fSum / 50_000, 0.049, 0.051);
        Assert.InRange(phaseSum / 50_000, 0.049, 0.051);

        // Seeded: the same again, and the held-out split is another draw.
        Assert.Equal(data.Fingerprint, Sines.Load(DataSplit.Train).Fingerprint);
        Assert.NotEqual(data.Fingerprint, Sines.Load(DataSplit.Test).Fingerprint);
        var (f0, p0) = Sines.Parameters(0, 7, 3);
        Assert.Equal((float)((Math.Sin(f0 * 5 + p0) + 1) / 2), values[(7 * 24 + 5) * 5 + 3]);
    }

    [Fact]
    public void ASeriesCsvIsScaledPerColumnAndCutIntoWindowsSplitByTime()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "load.csv");
        // 10 rows of two columns: a = r (min 0, max 9), b = 100 − 10r (min 10, max 100).
        File.WriteAllLines(path, ["a,b", .. Enumerable.Range(0, 10).Select(r => $"{r},{100 - 10 * r}")]);
        var train = Assert.IsType<SeriesDataset>(DatasetRegistry.Resolve("series:" + path, new DatasetOptions { SeriesWindow = 3 }));
        // The first 8 rows train: windows starting at rows 0..5.
        Assert.Equal(6, train.Count);
        Assert.Equal([3L, 2], train.SampleShape);
        Assert.Equal(["a", "b"], train.FeatureNames);
        // Window 2, step 1 is row 3: a = 3/9, b = (70 − 10)/90.
        Assert.Equal(3f / 9, train.Values[(2 * 3 + 1) * 2], 6);
        Assert.Equal(60f / 90, train.Values[(2 * 3 + 1) * 2 + 1], 6);
        Assert.Throws<InvalidDataException>(() => DatasetRegistry.Resolve("series:" + path, new DatasetOptions { SeriesWindow = 3, Split = DataSplit.Test }));
        var test = SeriesCsv.Load(path, DataSplit.Test, 2);
        Assert.Equal(1, test.Count);
        Assert.Equal(8f / 9, test.Values[0], 6);

        File.WriteAllLines(path, ["1,2", "3,4", "5"]);
        var ragged = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, DataSplit.Train, 2));
        Assert.Contains("line 3: 1 columns where the first row has 2", ragged.Message);
        File.WriteAllLines(path, ["x,y", "1,2", "3,abc", "5,6"]);
        var text = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, DataSplit.Train, 2));
        Assert.Contains("line 3, column 2 (y): 'abc' is not a finite number", text.Message);
        File.WriteAllLines(path, ["1,2", "NaN,4"]);
        Assert.Contains("'NaN' is not a finite number", Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, DataSplit.Train, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SeriesCsv.Load(path, DataSplit.Train, 1));
        Assert.Throws<FileNotFoundException>(() => SeriesCsv.Load(Path.Combine(folder.Path, "missing.csv"), DataSplit.Train));
    }
}
