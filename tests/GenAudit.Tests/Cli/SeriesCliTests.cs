using System.Globalization;
using GenAudit.Data;
using GenAudit.Tests.Training;

namespace GenAudit.Tests.Cli;

public class SeriesCliTests
{
    static (int Code, string Output) Run(params string[] args) => GenAudit.Tests.Audit.AuditFixtures.Cli(args);

    [Fact]
    public void ASeriesRunGeneratesCsvNpyAndPngFromTheSameLatents()
    {
        using var temp = new TempRun();
        var csv = temp.Sub("load.csv");
        File.WriteAllLines(csv, ["a,b,c", .. Enumerable.Range(0, 60).Select(r => $"{Math.Sin(r * 0.3)},{r % 7},{r * r}")]);
        var run = temp.Sub("run");
        var (trained, output) = Run("train", "--data", "series:" + csv, "--model", "rcgan", "--window", "5", "--steps", "2", "--batch", "8", "--width", "4", "--out", run);
        Assert.True(trained == 0, output);

        var (code, message) = Run("generate", "--run", run, "--n", "3", "--seed", "4", "--out", temp.Sub("s.csv"));
        Assert.True(code == 0, message);
        var lines = File.ReadAllLines(temp.Sub("s.csv"));
        Assert.Equal("sequence,step,f0,f1,f2", lines[0]);
        Assert.Equal(1 + 3 * 5, lines.Length);
        Assert.Equal(0, Run("generate", "--run", run, "--n", "3", "--seed", "4", "--out", temp.Sub("s.npy")).Code);
        var npy = Npy.Read(temp.Sub("s.npy"));
        Assert.Equal([3L, 5, 3], npy.Shape);
        // Row 1 + 5i + t holds sequence i, step t: the same values as the .npy, as round-trip ("R") text.
        for (int i = 0; i < 3; i++)
            for (int t = 0; t < 5; t++)
            {
                var fields = lines[1 + 5 * i + t].Split(',');
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), fields[0]);
                Assert.Equal(t.ToString(CultureInfo.InvariantCulture), fields[1]);
                for (int k = 0; k < 3; k++) Assert.Equal(npy.Float32![(i * 5 + t) * 3 + k], float.Parse(fields[2 + k], CultureInfo.InvariantCulture));
            }
        Assert.All(npy.Float32!, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(0, Run("generate", "--run", run, "--n", "4", "--out", temp.Sub("s.png")).Code);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(temp.Sub("s.png")).Take(4));
    }

    [Fact]
    public void ARaggedOrNonNumericSeriesCsvIsExitTwoNamingTheLine()
    {
        using var temp = new TempRun();
        var csv = temp.Sub("bad.csv");
        File.WriteAllLines(csv, ["1,2", "3,4", "5"]);
        var (code, output) = Run("train", "--data", "series:" + csv, "--model", "rcgan", "--window", "2", "--steps", "1", "--out", temp.Sub("r1"));
        Assert.Equal(2, code);
        Assert.Contains("line 3: 1 columns where the first row has 2", output.Replace("\n", ""));
        File.WriteAllLines(csv, ["1,2", "3,x4", "5,6"]);
        (code, output) = Run("train", "--data", "series:" + csv, "--model", "rcgan", "--window", "2", "--steps", "1", "--out", temp.Sub("r2"));
        Assert.Equal(2, code);
        Assert.Contains("'x4' is not a finite number", output.Replace("\n", ""));
        (code, output) = Run("train", "--data", "ring8", "--model", "rcgan", "--steps", "1", "--out", temp.Sub("r3"));
        Assert.Equal(2, code);
        Assert.Contains("use --data sines, digits-speech or series:FILE.csv", output.Replace("\n", ""));
    }
}
