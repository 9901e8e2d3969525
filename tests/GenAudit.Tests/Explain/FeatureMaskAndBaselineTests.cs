using GenAudit.Explain;
using TorchSharp;
using static GenAudit.Tests.Explain.ExplainFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class FeatureMaskAndBaselineTests
{
    [Fact]
    public void PatchesAreSquareSharedAcrossChannelsAndNumberedRowMajor()
    {
        using var mask = FeatureMask.Patches(3, 5, 5, 2);
        Assert.Equal(9, mask.Count);
        var ids = mask.Groups.data<long>().ToArray();
        Assert.Equal(new long[] { 0, 0, 1, 1, 2 }, ids[..5]);
        Assert.Equal(new long[] { 6, 6, 7, 7, 8 }, ids[20..25]);
        Assert.Equal(ids[..25], ids[25..50]);
    }

    [Fact]
    public void LatentGroupsAreContiguousBlocks()
    {
        using var mask = FeatureMask.LatentGroups(7, 3);
        Assert.Equal(3, mask.Count);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 2 }, mask.Groups.data<long>().ToArray());
    }

    [Fact]
    public void SlicSeparatesTwoFlatRegionsAndKeepsIdsContiguous()
    {
        using var scope = NewDisposeScope();
        var image = zeros(1, 1, 12, 12, dtype: ScalarType.Float64);
        image[.., .., .., 7..] = 1; // a vertical edge off the superpixel grid
        using var mask = FeatureMask.Slic(image, segments: 4, compactness: 0.1);
        var labels = mask.Groups[0, 0];
        var left = labels[.., ..7].unique().Item1.data<long>().ToArray();
        var right = labels[.., 7..].unique().Item1.data<long>().ToArray();
        Assert.Empty(left.Intersect(right)); // no segment straddles the edge
        var all = labels.unique().Item1.data<long>().ToArray();
        Assert.Equal(Enumerable.Range(0, all.Length).Select(i => (long)i), all);
        Assert.True(mask.PerExample);
        Assert.Equal(all.Length, mask.Count);
    }

    [Fact]
    public void SlicMasksDriveKernelShapPerExample()
    {
        using var scope = NewDisposeScope();
        var images = Random(3, 2, 1, 8, 8).sigmoid();
        using var mask = FeatureMask.Slic(images, segments: 6);
        var w = Random(4, 64);
        using var result = new KernelShap(Linear(w)).Attribute(images, mask);
        // Each segment's value is the sum of its pixels' contributions; segments absent from an example get 0.
        var contributions = images.flatten(1) * w;
        for (var example = 0; example < 2; example++)
        {
            var labels = mask.Groups[example].flatten();
            for (var segment = 0; segment < mask.Count; segment++)
            {
                var expected = contributions[example].masked_select(labels.eq(segment)).sum().item<double>();
                Assert.Equal(expected, result.GroupAttributions![example, segment].item<double>(), 8);
            }
        }
    }

    [Fact]
    public void BlurredBaselineKeepsConstantImagesAndTheMeanOfAnImage()
    {
        using var scope = NewDisposeScope();
        var constant = full(2, 3, 9, 9, 0.4, dtype: ScalarType.Float64);
        AssertClose(constant, Baseline.Blurred(2).Resolve(constant), 1e-12);
        var image = Random(5, 1, 1, 16, 16);
        var blurred = Baseline.Blurred(1.5).Resolve(image);
        Assert.True(blurred.std().item<double>() < 0.6 * image.std().item<double>());
        Assert.Throws<ArgumentException>(() => Baseline.Blurred(1).Resolve(Random(1, 2, 5)));
    }

    [Fact]
    public void TensorAndBackgroundBaselinesBroadcastToTheBatch()
    {
        using var scope = NewDisposeScope();
        var x = Random(6, 3, 4);
        var mean = Random(7, 4);
        AssertClose(mean.expand(3, 4), Baseline.FromTensor(mean).Resolve(x), 0);
        var set = Random(8, 10, 4);
        AssertClose(set.mean([0]).expand(3, 4), Baseline.Background(set).Resolve(x), 1e-15);
        Assert.Throws<ArgumentException>(() => Baseline.FromTensor(Random(9, 5)).Resolve(x));
    }

    [Fact]
    public void TargetsPickOutputElementsRegionsAndComposeWithAGenerator()
    {
        using var scope = NewDisposeScope();
        var images = arange(2 * 1 * 4 * 4, dtype: ScalarType.Float64).view(2, 1, 4, 4);
        Assert.Equal(new double[] { 5, 21 }, AttributionTarget.Output(5).Evaluate(images).data<double>().ToArray());
        Assert.Equal(new double[] { 7.5, 23.5 }, AttributionTarget.Region(1, 1, 3, 3).Evaluate(images).data<double>().ToArray());
        var a = Random(10, 16, 3);
        var onLatent = AttributionTarget.Compose(z => z.matmul(a.t()).view(-1, 1, 4, 4), AttributionTarget.Output(2));
        var z = Random(11, 5, 3);
        AssertClose(z.matmul(a[2]), onLatent.Evaluate(z), 1e-12);
        // Gradient methods see through the composition: saliency on z of a linear generator is |a_2|.
        using var saliency = new Saliency(onLatent).Attribute(z);
        AssertClose(a[2].abs().expand(5, 3), saliency.Attributions, 1e-12);
        var error = Assert.Throws<InvalidOperationException>(() => AttributionTarget.From(x => x).Evaluate(images));
        Assert.Contains("one scalar per example", error.Message);
    }
}
