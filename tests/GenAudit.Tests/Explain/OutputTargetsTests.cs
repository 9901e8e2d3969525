using GenAudit.Explain;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>The region target of each output kind (docs/architecture.md, modality seams).</summary>
public class OutputTargetsTests
{
    sealed class ShapeOnly(long[] outputShape) : IGenerativeModel
    {
        public int LatentSize => 2;
        public int ConditionCount => 0;
        public long[] OutputShape => outputShape;
        public bool IsDifferentiable => true;
        public Device Device => CPU;
        public Tensor Generate(Tensor z, Tensor? condition = null) => throw new NotSupportedException("the region target only reads the output shape");
    }

    [Fact]
    public void ImageRegionIsTheMeanOfItsHalfOpenBox()
    {
        using var scope = NewDisposeScope();
        var target = OutputTargets.For(OutputKind.Images).Region("region:1,0,3,2", "1,0,3,2", new ShapeOnly([1, 4, 4]));
        var images = arange(32, dtype: ScalarType.Float32).view(2, 1, 4, 4); // pixel (y, x) of image b holds 16b + 4y + x
        // Box x ∈ {1, 2}, y ∈ {0, 1}: values 1, 2, 5, 6 (mean 3.5), and 16 more in the second image.
        Assert.Equal([3.5, 19.5], target.Evaluate(images).to(ScalarType.Float64).data<double>().ToArray());
    }

    [Theory]
    [InlineData("0,0,5,2", "0 ≤ x0 < x1 ≤ 4")]
    [InlineData("2,0,2,2", "0 ≤ x0 < x1 ≤ 4")]
    [InlineData("0,0,1", "expected region:x0,y0,x1,y1")]
    public void ImageRegionOutsideTheImageIsAnErrorNamingTheBounds(string argument, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => OutputTargets.For(OutputKind.Images).Region("region:" + argument, argument, new ShapeOnly([1, 4, 4])));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void PointsHaveNoRegions()
    {
        var error = Assert.Throws<ArgumentException>(() => OutputTargets.For(OutputKind.Points).Region("region:0,0,1,1", "0,0,1,1", new ShapeOnly([2])));
        Assert.Contains("region targets need image outputs", error.Message);
    }
}
