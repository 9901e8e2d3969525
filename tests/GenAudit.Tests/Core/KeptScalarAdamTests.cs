using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Core;

/// <summary>GenAudit's Adam (Core.KeptScalars.Adam, made by Optimizers.Adam) against TorchSharp's Adam: the same parameters bit for bit, and the same checkpoint format both ways. (The race it removes is timing-dependent: a storm of
/// collections on another thread did not make TorchSharp's own Adam fail in 300 steps, so no test here claims to reproduce it.)</summary>
public sealed class KeptScalarAdamTests
{
    /// <summary>A small two-layer network whose initial weights depend only on <paramref name="seed"/>.</summary>
    static nn.Module<Tensor, Tensor> Network(long seed)
    {
        lock (GlobalRandom.Lock)
        {
            manual_seed(seed);
            return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3));
        }
    }

    /// <summary>Runs <paramref name="steps"/> steps of a regression loss on batches drawn from <paramref name="seed"/>.</summary>
    static void Train(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, int steps, long seed, long inputs = 6, long outputs = 3)
    {
        using var generator = new Generator((ulong)seed);
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn([32, inputs], generator: generator);
            var y = randn([32, outputs], generator: generator);
            optimizer.zero_grad();
            nn.functional.mse_loss(network.call(x), y).backward();
            optimizer.step();
        }
    }

    static float[][] Weights(nn.Module<Tensor, Tensor> network) =>
        network.parameters().Select(p => p.detach().flatten().data<float>().ToArray()).ToArray();

    public static TheoryData<double, bool, bool> Variants => new()
    {
        { 0.0, false, false },
        { 0.01, false, false },
        { 0.0, true, false },
        { 0.0, false, true },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void ParametersAreBitIdenticalToTorchSharpsAdam(double weightDecay, bool amsgrad, bool maximize)
    {
        using var theirs = Network(11);
        using var ours = Network(11);
        using var theirOptimizer = optim.Adam(theirs.parameters(), 3e-3, 0.5, 0.99, 1e-6, weightDecay, amsgrad, maximize);
        using var ourOptimizer = Optimizers.Adam(ours.parameters(), 3e-3, 0.5, 0.99, 1e-6, weightDecay, amsgrad, maximize);
        Train(theirs, theirOptimizer, 60, seed: 5);
        Train(ours, ourOptimizer, 60, seed: 5);

        var (expected, actual) = (Weights(theirs), Weights(ours));
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
        // The steps moved the weights (otherwise equality would say nothing).
        using var initial = Network(11);
        Assert.NotEqual(Weights(initial)[0], actual[0]);
    }

    static TorchSharp.Modules.Adam TorchSharps(IEnumerable<TorchSharp.Modules.Parameter> parameters) => optim.Adam(parameters, 1e-2, 0.5, 0.999);

    static TorchSharp.Modules.Adam GenAudits(IEnumerable<TorchSharp.Modules.Parameter> parameters) => Optimizers.Adam(parameters, 1e-2, 0.5, 0.999);

    /// <summary>
    /// 2 × <paramref name="steps"/> steps straight with <paramref name="saver"/>'s optimizer, against <paramref name="steps"/>
    /// steps with it, its state saved and loaded into <paramref name="loader"/>'s, and the rest with that one: the same weights.
    /// </summary>
    static void AssertResumesBitIdentically(Func<IEnumerable<TorchSharp.Modules.Parameter>, TorchSharp.Modules.Adam> saver,
        Func<IEnumerable<TorchSharp.Modules.Parameter>, TorchSharp.Modules.Adam> loader, long networkSeed, int steps)
    {
        using var straight = Network(networkSeed);
        using var straightOptimizer = saver(straight.parameters());
        Train(straight, straightOptimizer, steps, seed: 1);
        Train(straight, straightOptimizer, steps, seed: 2);

        using var resumed = Network(networkSeed);
        using var before = saver(resumed.parameters());
        Train(resumed, before, steps, seed: 1);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) before.save_state_dict(writer);
        buffer.Position = 0;
        using var after = loader(resumed.parameters());
        using (var reader = new BinaryReader(buffer)) after.load_state_dict(reader);
        Train(resumed, after, steps, seed: 2);

        var (expected, actual) = (Weights(straight), Weights(resumed));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    // A checkpoint written before GenAudit had its own Adam holds optim.Adam's state: loading it must continue the same trajectory.
    [Fact]
    public void AStateSavedByTorchSharpsAdamResumesBitIdentically() => AssertResumesBitIdentically(TorchSharps, GenAudits, networkSeed: 3, steps: 20);

    // The other way round: a checkpoint written now stays readable by anything that uses optim.Adam.
    [Fact]
    public void AStateSavedByGenAuditsAdamLoadsIntoTorchSharpsAndResumesBitIdentically() => AssertResumesBitIdentically(GenAudits, TorchSharps, networkSeed: 4, steps: 15);
}
