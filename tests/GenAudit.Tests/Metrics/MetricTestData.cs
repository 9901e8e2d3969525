using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

/// <summary>Seeded test data as plain arrays (for the reference calculations) and as tensors (for the library).</summary>
static class MetricTestData
{
    public static double[][] Gaussian(Random random, int n, int d, double shift = 0.0)
    {
        var rows = new double[n][];
        for (var i = 0; i < n; i++)
        {
            rows[i] = new double[d];
            for (var j = 0; j < d; j++) rows[i][j] = shift + StandardNormal(random);
        }
        return rows;
    }

    public static double[][] Integers(Random random, int n, int d, int maxExclusive)
    {
        var rows = new double[n][];
        for (var i = 0; i < n; i++)
        {
            rows[i] = new double[d];
            for (var j = 0; j < d; j++) rows[i][j] = random.Next(maxExclusive);
        }
        return rows;
    }

    public static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static Tensor ToTensor(double[][] rows, ScalarType dtype = ScalarType.Float64)
    {
        var d = rows[0].Length;
        var flat = rows.SelectMany(r => r).ToArray();
        using var t = tensor(flat, [rows.Length, d], ScalarType.Float64);
        return t.to_type(dtype);
    }
}
