using GenAudit.Core;
using static TorchSharp.torch;

namespace GenAudit.Tests.Core;

public class NumericsTests
{
    [Fact]
    public void ToDoublesReadsRowMajorOrderOfAnyLayoutDeviceAndType()
    {
        using var scope = NewDisposeScope();
        var matrix = arange(6, dtype: ScalarType.Float32).view(2, 3); // [[0, 1, 2], [3, 4, 5]]
        Assert.Equal([0.0, 3, 1, 4, 2, 5], Numerics.ToDoubles(matrix.t())); // a transposed (non-contiguous) view
        Assert.Equal([2.0, 5], Numerics.ToDoubles(matrix[.., 2])); // a strided column
        Assert.Equal([7.0, -2], Numerics.ToDoubles(tensor(new long[] { 7, -2 })));
        var leaf = tensor(new[] { 0.25f, 0.5f }, requires_grad: true);
        Assert.Equal([0.5, 1.0], Numerics.ToDoubles(leaf * 2));
    }

    [Theory]
    [InlineData(new[] { 3.0 }, 3.0)]
    [InlineData(new[] { 5.0, 1.0, 4.0 }, 4.0)]
    [InlineData(new[] { 9.0, 1.0, 4.0, 2.0 }, 3.0)]
    [InlineData(new[] { -1.0, -1.0, 7.0, 8.0, 100.0, -50.0 }, 3.0)]
    public void MedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleValues(double[] values, double expected)
    {
        var copy = (double[])values.Clone();
        Assert.Equal(expected, Numerics.Median(values));
        Assert.Equal(copy, values); // the caller's array is not sorted in place
    }

    [Fact]
    public void MedianOfNothingIsNaN() => Assert.True(double.IsNaN(Numerics.Median(Array.Empty<double>())));
}
