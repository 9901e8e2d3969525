using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

/// <summary>G(z) = A·z (+ offset of the condition), reshaped to the output shape, optionally through a sigmoid.</summary>
sealed class LinearGenerator : IGenerativeModel
{
    readonly Tensor transposed;   // Aᵀ, (d, m)
    readonly Tensor? offsets;     // (C, m)
    readonly bool sigmoid;

    public LinearGenerator(double[,] a, long[]? outputShape = null, bool sigmoid = false, double[,]? conditionOffsets = null, bool differentiable = true)
    {
        Matrix = a;
        transposed = tensor(Flatten(a), new long[] { a.GetLength(0), a.GetLength(1) }, ScalarType.Float32).t().contiguous();
        offsets = conditionOffsets is null ? null
            : tensor(Flatten(conditionOffsets), new long[] { conditionOffsets.GetLength(0), conditionOffsets.GetLength(1) }, ScalarType.Float32);
        OutputShape = outputShape ?? [a.GetLength(0)];
        this.sigmoid = sigmoid;
        IsDifferentiable = differentiable;
    }

    public double[,] Matrix { get; }
    public int LatentSize => Matrix.GetLength(1);
    public int ConditionCount => offsets is null ? 0 : (int)offsets.shape[0];
    public long[] OutputShape { get; }
    public bool IsDifferentiable { get; }
    public Device Device => CPU;

    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        var y = z.matmul(transposed);                                       // (B, m)
        if (offsets is not null) y = y + offsets.index_select(0, condition!);
        if (sigmoid) y = y.sigmoid();
        return y.reshape([z.shape[0], .. OutputShape]).MoveToOuterDisposeScope();
    }

    static float[] Flatten(double[,] a)
    {
        var flat = new float[a.Length];
        var k = 0;
        foreach (var value in a) flat[k++] = (float)value;
        return flat;
    }
}

/// <summary>Adds fresh noise from the global RNG on every call: deliberately nondeterministic.</summary>
sealed class NoisyGenerator(IGenerativeModel inner) : IGenerativeModel
{
    public int LatentSize => inner.LatentSize;
    public int ConditionCount => inner.ConditionCount;
    public long[] OutputShape => inner.OutputShape;
    public bool IsDifferentiable => inner.IsDifferentiable;
    public Device Device => inner.Device;

    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        var y = inner.Generate(z, condition);
        return (y + 1e-4 * randn_like(y)).MoveToOuterDisposeScope();
    }
}

static class Matrices
{
    /// <summary>Entries uniform in [-1, 1] from a seeded System.Random.</summary>
    public static double[,] Random(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var a = new double[rows, columns];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < columns; j++) a[i, j] = 2 * random.NextDouble() - 1;
        return a;
    }

    public static double[,] Identity(int n, double scale = 1)
    {
        var a = new double[n, n];
        for (var i = 0; i < n; i++) a[i, i] = scale;
        return a;
    }

    /// <summary>Largest singular value by power iteration on AᵀA in plain doubles.</summary>
    public static double LargestSingularValue(double[,] a)
    {
        int m = a.GetLength(0), n = a.GetLength(1);
        var v = Enumerable.Range(0, n).Select(i => 1.0 + 0.1 * i).ToArray();
        var sigma = 0.0;
        for (var iteration = 0; iteration < 2000; iteration++)
        {
            var av = new double[m];
            for (var i = 0; i < m; i++)
                for (var j = 0; j < n; j++) av[i] += a[i, j] * v[j];
            var atav = new double[n];
            for (var j = 0; j < n; j++)
                for (var i = 0; i < m; i++) atav[j] += a[i, j] * av[i];
            var vNorm = Math.Sqrt(v.Sum(x => x * x));
            sigma = Math.Sqrt(av.Sum(x => x * x)) / vNorm;
            var norm = Math.Sqrt(atav.Sum(x => x * x));
            v = atav.Select(x => x / norm).ToArray();
        }
        return sigma;
    }

    public static double[] Row(Tensor t, long row) => t[row].to_type(ScalarType.Float64).data<double>().ToArray();
}
