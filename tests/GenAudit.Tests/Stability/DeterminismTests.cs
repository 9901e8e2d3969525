using GenAudit.Stability;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

/// <summary>Tests that change torch's thread count run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class TorchThreadsCollection
{
    /// <summary>Name of the collection.</summary>
    public const string Name = "Torch thread count";
}

[Collection(TorchThreadsCollection.Name)]
public class DeterminismTests
{
    [Fact]
    public void SameSeedIsIdenticalAndThreadCountIsRestored()
    {
        var before = get_num_threads();
        var model = new LinearGenerator(Matrices.Random(30, 10, 2));
        var result = Determinism.Compute(model, 200, 64, 42, checkThreads: true);
        Assert.True(result.SameSeedIdentical);
        Assert.NotNull(result.ThreadsMaxAbsDiff);
        Assert.InRange(result.ThreadsMaxAbsDiff!.Value, 0, 1e-5);
        Assert.Equal(before, get_num_threads());
    }

    [Fact]
    public void ANondeterministicGeneratorFailsTheSameSeedCheck()
    {
        var model = new NoisyGenerator(new LinearGenerator(Matrices.Random(30, 10, 2)));
        var result = Determinism.Compute(model, 50, 64, 42, checkThreads: false);
        Assert.False(result.SameSeedIdentical);
        Assert.Null(result.ThreadsMaxAbsDiff);
    }
}
