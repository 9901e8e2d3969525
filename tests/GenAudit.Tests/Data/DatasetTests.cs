using GenAudit.Core;
using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class DatasetTests
{
    static ImageDataset Images(byte[] pixels, long[]? labels, int channels = 1, int size = 2) =>
        new("tiny", pixels, pixels.Length / (channels * size * size), channels, size, size, labels, ["a", "b", "c"]);

    static readonly byte[] Pixels = [0, 51, 102, 255, 10, 20, 30, 40, 1, 2, 3, 4];

    [Fact]
    public void FingerprintIsStableAndContentSensitive()
    {
        var reference = Images(Pixels, [0, 1, 2]).Fingerprint;
        Assert.Equal(reference, Images((byte[])Pixels.Clone(), [0, 1, 2]).Fingerprint);

        var changedPixel = (byte[])Pixels.Clone();
        changedPixel[5]++;
        Assert.NotEqual(reference, Images(changedPixel, [0, 1, 2]).Fingerprint);
        Assert.NotEqual(reference, Images(Pixels, [0, 1, 1]).Fingerprint);
        Assert.NotEqual(reference, Images(Pixels, null).Fingerprint);
        Assert.NotEqual(reference, Images(Pixels, null, channels: 3).Fingerprint); // same bytes, other shape
        Assert.Equal(reference, new ImageDataset("renamed", Pixels, 3, 1, 2, 2, [0, 1, 2], ["x", "y", "z"]).Fingerprint);
    }

    [Fact]
    public void PointFingerprintDiffersFromImageFingerprint()
    {
        var points = new PointDataset("p", [1f, 2f, 3f, 4f], 2, null, []);
        Assert.Equal(points.Fingerprint, new PointDataset("q", [1f, 2f, 3f, 4f], 2, null, []).Fingerprint);
        Assert.NotEqual(points.Fingerprint, new PointDataset("p", [1f, 2f, 3f, 4.0001f], 2, null, []).Fingerprint);
        Assert.NotEqual(points.Fingerprint, new PointDataset("p", [1f, 2f, 3f, 4f], 1, null, []).Fingerprint);
    }

    [Fact]
    public void GetBatchReturnsScaledImagesAndLabels()
    {
        TorchRuntime.EnsureLoaded();
        var dataset = Images(Pixels, [0, 1, 2]);

        var (x, y) = dataset.GetBatch([2, 0]);
        using (x)
        using (y)
        {
            Assert.Equal([2L, 1, 2, 2], x.shape);
            Assert.Equal(ScalarType.Float32, x.dtype);
            Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 0f, 0.2f, 0.4f, 1f], x.data<float>().ToArray());
            Assert.Equal([2L, 0L], y!.data<long>().ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch([3]));
    }

    [Fact]
    public void BatchesVisitEverySampleOnceInASeededOrder()
    {
        TorchRuntime.EnsureLoaded();
        var points = Enumerable.Range(0, 20).SelectMany(i => new[] { (float)i, -i }).ToArray();
        var dataset = new PointDataset("line", points, 2, null, []);

        List<float> Order(long seed, bool dropLast)
        {
            using var generator = new Generator((ulong)seed);
            var seen = new List<float>();
            foreach (var (x, y) in dataset.Batches(6, generator, dropLast))
            {
                using (x)
                {
                    Assert.Null(y);
                    seen.AddRange(x.select(1, 0).data<float>().ToArray());
                }
            }
            return seen;
        }

        var first = Order(7, dropLast: false);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)i), first.Order());
        Assert.NotEqual(Enumerable.Range(0, 20).Select(i => (float)i), first);
        Assert.Equal(first, Order(7, dropLast: false));
        Assert.NotEqual(first, Order(8, dropLast: false));
        Assert.Equal(18, Order(7, dropLast: true).Count);
    }

    [Fact]
    public void GetBatchWithATensorLeavesTheIndicesAlive()
    {
        TorchRuntime.EnsureLoaded();
        using var indices = tensor(new long[] { 1 });
        var (x, y) = Images(Pixels, [0, 1, 2]).GetBatch(indices);
        using (x)
        using (y)
            Assert.Equal([1L], y!.data<long>().ToArray());
        Assert.Equal(1L, indices.item<long>());
    }

    [Fact]
    public void ToTensorAndFloatArrayAgree()
    {
        TorchRuntime.EnsureLoaded();
        var dataset = Images(Pixels, null, channels: 3);
        using var all = dataset.ToTensor();
        Assert.Equal([1L, 3, 2, 2], all.shape);
        Assert.Equal(dataset.ToFloatArray(), all.data<float>().ToArray());
    }

    [Fact]
    public void InconsistentContentIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Images(Pixels, [0, 1]));
        Assert.Throws<ArgumentException>(() => Images(Pixels, [0, 1, 3]));
        Assert.Throws<ArgumentException>(() => new PointDataset("p", [1f, 2f, 3f], 2, null, []));
    }
}
