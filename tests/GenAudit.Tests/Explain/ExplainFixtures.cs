using GenAudit.Explain;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>Tiny models whose attributions can be worked out by hand, all in float64.</summary>
internal static class ExplainFixtures
{
    public static Tensor Doubles(params double[] values) => tensor(values, dtype: ScalarType.Float64);

    public static Tensor Random(long seed, params long[] shape) =>
        randn(shape, dtype: ScalarType.Float64, generator: new Generator((ulong)seed));

    /// <summary>f(x) = w · vec(x).</summary>
    public static AttributionTarget Linear(Tensor w) => AttributionTarget.From(x => x.flatten(1).matmul(w), "linear");

    /// <summary>A fixed random MLP F → hidden (tanh) → 1, smooth and non-additive.</summary>
    public static Func<Tensor, Tensor> Mlp(long seed, int features, int hidden = 16)
    {
        var g = new Generator((ulong)seed);
        var w1 = randn([features, hidden], dtype: ScalarType.Float64, generator: g) / Math.Sqrt(features);
        var b1 = randn([hidden], dtype: ScalarType.Float64, generator: g) * 0.5;
        var w2 = randn([hidden], dtype: ScalarType.Float64, generator: g) / Math.Sqrt(hidden);
        return x => (x.flatten(1).matmul(w1) + b1).tanh().matmul(w2);
    }

    /// <summary>A fixed random ReLU MLP F → hidden → hidden → 1 (piecewise linear, kinks along every path).</summary>
    public static Func<Tensor, Tensor> ReluMlp(long seed, int features, int hidden = 32)
    {
        var g = new Generator((ulong)seed);
        var w1 = randn([features, hidden], dtype: ScalarType.Float64, generator: g) / Math.Sqrt(features);
        var b1 = randn([hidden], dtype: ScalarType.Float64, generator: g) * 0.5;
        var w2 = randn([hidden, hidden], dtype: ScalarType.Float64, generator: g) / Math.Sqrt(hidden);
        var b2 = randn([hidden], dtype: ScalarType.Float64, generator: g) * 0.5;
        var w3 = randn([hidden], dtype: ScalarType.Float64, generator: g) / Math.Sqrt(hidden);
        return x => (x.flatten(1).matmul(w1) + b1).relu().matmul(w2).add(b2).relu().matmul(w3);
    }

    /// <summary>Exact Shapley values of v(S) = f(x on S, baseline elsewhere) by enumerating all subsets.</summary>
    public static double[] BruteForceShapley(Func<Tensor, Tensor> f, Tensor x, Tensor baseline)
    {
        var m = (int)x.shape[0];
        var subsets = 1 << m;
        var masks = new double[subsets * m];
        for (var s = 0; s < subsets; s++)
            for (var j = 0; j < m; j++)
                masks[s * m + j] = (s >> j) & 1;
        var mask = tensor(masks, dtype: ScalarType.Float64).view(subsets, m);
        var values = f(baseline.unsqueeze(0) + mask * (x - baseline).unsqueeze(0)).data<double>().ToArray();
        var factorial = new double[m + 1];
        factorial[0] = 1;
        for (var i = 1; i <= m; i++) factorial[i] = factorial[i - 1] * i;
        var phi = new double[m];
        for (var s = 0; s < subsets; s++)
        {
            var size = System.Numerics.BitOperations.PopCount((uint)s);
            for (var i = 0; i < m; i++)
            {
                if (((s >> i) & 1) == 1) continue;
                var weight = factorial[size] * factorial[m - size - 1] / factorial[m];
                phi[i] += weight * (values[s | (1 << i)] - values[s]);
            }
        }
        return phi;
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(difference <= tolerance, $"max |expected − actual| = {difference:G3} > {tolerance:G3}");
    }

    public static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] expected {expected[i]:G9}, got {actual[i]:G9} (tolerance {tolerance:G3})");
    }
}
