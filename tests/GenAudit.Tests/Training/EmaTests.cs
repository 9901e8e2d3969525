using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

/// <summary>The EMA update on networks with given weights: θ̄ ← βθ̄ + (1 − β)θ, buffers copied.</summary>
public class EmaTests
{
    static nn.Module<Tensor, Tensor> Network() =>
        nn.Sequential(("fc", nn.Linear(2, 2, dtype: ScalarType.Float64)), ("bn", nn.BatchNorm1d(2, dtype: ScalarType.Float64)));

    static void Set(nn.Module module, string name, params double[] values)
    {
        using var _ = no_grad();
        var target = module.state_dict()[name];
        target.copy_(tensor(values, target.shape, ScalarType.Float64));
    }

    static double[] Get(nn.Module module, string name) => module.state_dict()[name].data<double>().ToArray();

    [Fact]
    public void TwoUpdatesGiveTheGeometricAverageOfTheTrainedWeights()
    {
        using var ema = Network();
        using var model = Network();
        Set(ema, "fc.weight", 1, 2, 3, 4);
        Set(model, "fc.weight", 5, -6, 7, 0);
        Ema.Update(ema, model, decay: 0.9);
        Set(model, "fc.weight", -1, 10, 0, 2);
        Ema.Update(ema, model, decay: 0.9);
        // β²θ̄₀ + β(1 − β)θ₁ + (1 − β)θ₂ with β = 0.9.
        double[] start = [1, 2, 3, 4], first = [5, -6, 7, 0], second = [-1, 10, 0, 2];
        var expected = start.Select((s, i) => 0.81 * s + 0.09 * first[i] + 0.1 * second[i]).ToArray();
        var actual = Get(ema, "fc.weight");
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 1e-14);
    }

    [Fact]
    public void BuffersAreCopiedNotAveraged()
    {
        using var ema = Network();
        using var model = Network();
        Set(ema, "bn.running_mean", 10, 20);
        Set(model, "bn.running_mean", 0.5, -0.5);
        Set(model, "bn.running_var", 2, 3);
        Ema.Update(ema, model, decay: 0.99);
        Assert.Equal([0.5, -0.5], Get(ema, "bn.running_mean"));
        Assert.Equal([2.0, 3.0], Get(ema, "bn.running_var"));
    }

    [Fact]
    public void CopyIntoGivesEqualValuesInSeparateStorage()
    {
        using var ema = Network();
        using var model = Network();
        Set(model, "fc.weight", 5, -6, 7, 0);
        Set(model, "bn.running_mean", 1, 2);
        Ema.CopyInto(ema, model);
        Assert.Equal([5.0, -6, 7, 0], Get(ema, "fc.weight"));
        Assert.Equal([1.0, 2], Get(ema, "bn.running_mean"));
        Set(model, "fc.weight", 0, 0, 0, 0);
        Assert.Equal([5.0, -6, 7, 0], Get(ema, "fc.weight"));
    }

    [Fact]
    public void ReestimatedStatisticsAreTheMeansOfTheBatchStatisticsOverThePasses()
    {
        using var scope = NewDisposeScope();
        using var network = Network();
        Set(network, "fc.weight", 1, -2, 0.5, 3);
        Set(network, "fc.bias", 0.25, -1);
        Set(network, "bn.running_mean", 10, 20);
        network.eval();
        double[][] batches = [[1, 2, -1, 0, 3, 1], [0, -2, 4, 1, 2, 2, -3, 0.5], [5, 1, 0, 0]];
        Assert.True(Ema.ReestimateBatchNorm(network, batches.Length, k => network.call(tensor(batches[k], [batches[k].Length / 2, 2], ScalarType.Float64))));

        // By hand: h = x Wᵀ + b per pass; the running mean is the mean of the passes' column means and
        // the running variance the mean of their unbiased column variances (PyTorch's momentum=None).
        double[,] w = { { 1, -2 }, { 0.5, 3 } };
        double[] b = [0.25, -1];
        var expectedMean = new double[2];
        var expectedVar = new double[2];
        foreach (var x in batches)
        {
            int n = x.Length / 2;
            for (int j = 0; j < 2; j++)
            {
                var h = Enumerable.Range(0, n).Select(i => w[j, 0] * x[2 * i] + w[j, 1] * x[2 * i + 1] + b[j]).ToArray();
                var mean = h.Average();
                expectedMean[j] += mean / batches.Length;
                expectedVar[j] += h.Sum(v => (v - mean) * (v - mean)) / (n - 1) / batches.Length;
            }
        }
        var actualMean = Get(network, "bn.running_mean");
        var actualVar = Get(network, "bn.running_var");
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(expectedMean[j], actualMean[j], 1e-12);
            Assert.Equal(expectedVar[j], actualVar[j], 1e-12);
        }
        Assert.False(network.training);
        Assert.Equal(0.1, network.modules().OfType<TorchSharp.Modules.BatchNorm1d>().Single().momentum);
    }

    [Fact]
    public void ANetworkWithoutBatchNormIsLeftAlone()
    {
        using var network = nn.Sequential(("fc", nn.Linear(2, 2, dtype: ScalarType.Float64)));
        var calls = 0;
        Assert.False(Ema.ReestimateBatchNorm(network, 4, _ => calls++));
        Assert.Equal(0, calls);
    }

    // The trainer's wiring: the EMA generator a checkpoint holds has the statistics that re-estimating the
    // checkpoint's own EMA weights with the (seed, step) latents gives, and differs from the trained generator's.
    [Fact]
    public void ACheckpointHoldsTheEmaGeneratorWithItsOwnStatistics()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages();
        var config = TrainingFixtures.TinyConvGan(20, GenAudit.Models.ModelFamily.Gan);
        using (var trainer = new Trainer(config, data, temp.Path)) trainer.Run();
        var folder = Checkpoint.FindLatest(new RunDirectory(temp.Path))!.Value.Folder;
        var model = config.Model with { DataShape = [1, 8, 8] };

        using var scope = NewDisposeScope();
        using var expected = new GenAudit.Models.GanGenerator(model);
        GenAudit.Models.ModuleWeights.Load(expected, Path.Combine(folder, "generator_ema.safetensors"));
        using var random = new StepRandom(config.Seed, CPU);
        Ema.ReestimateBatchNorm(expected, 8, k => expected.call(randn([256, model.LatentSize], generator: random.For(20, StepRandom.Stream.BatchNormStatistics, k)), null));
        var saved = GenAudit.Models.SafeTensors.Load(Path.Combine(folder, "generator_ema.safetensors"));
        var trained = GenAudit.Models.SafeTensors.Load(Path.Combine(folder, "generator.safetensors"));
        foreach (var (name, buffer) in expected.named_buffers().Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var")))
        {
            Assert.True(buffer.allclose(saved[name], rtol: 1e-5, atol: 1e-6), $"{name}: the checkpoint's EMA statistics are not the re-estimated ones");
            Assert.False(buffer.allclose(trained[name], rtol: 1e-3, atol: 1e-4), $"{name}: equals the trained generator's");
        }
    }
}
