using GenAudit.Core;
using GenAudit.Runs;
using static TorchSharp.torch;

namespace GenAudit.Tests.Runs;

public sealed class MemoizingFeatureExtractorTests
{
    sealed class Named : IFeatureExtractor
    {
        public int Calls;
        public int FeatureSize => 2;
        public int ClassCount => 0;
        public double? ClassifierAccuracy => 0.75;
        public double? ReconstructionError => 0.125;
        public string Name => "test space (D = 2)";
        public string? Identity => "test:abc";
        public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
        {
            Calls++;
            return (samples.reshape(samples.shape[0], -1).to(float32) * 2, null);
        }
    }

    [Fact]
    public void ItForwardsWhatNamesAndIdentifiesTheInnerExtractor()
    {
        // Without forwarding, the interface's defaults answered: the reports named "MemoizingFeatureExtractor"
        // and the real row, keyed by the identity, was recomputed for every generator of a calibration.
        IFeatureExtractor memo = new MemoizingFeatureExtractor(new Named());
        Assert.Equal("test space (D = 2)", memo.Name);
        Assert.Equal("test:abc", memo.Identity);
        Assert.Equal(0.125, memo.ReconstructionError);
        Assert.Equal(0.75, memo.ClassifierAccuracy);
    }

    [Fact]
    public void ARepeatedBatchIsAnsweredFromTheStoreWithTheSameValues()
    {
        TorchRuntime.EnsureLoaded();
        var inner = new Named();
        var memo = new MemoizingFeatureExtractor(inner);
        using var scope = NewDisposeScope();
        var batch = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var first = memo.Extract(batch).Features.data<float>().ToArray();
        var second = memo.Extract(batch.clone()).Features.data<float>().ToArray();
        Assert.Equal(new float[] { 2, 4, 6, 8 }, first);
        Assert.Equal(first, second);
        Assert.Equal(1, inner.Calls);
        Assert.Equal(1, memo.Hits);
    }
}
