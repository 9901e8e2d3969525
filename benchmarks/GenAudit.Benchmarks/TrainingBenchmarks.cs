using BenchmarkDotNet.Attributes;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// DCGAN 28×28, batch 64, non-saturating loss, Adam 2e-4 (0.5, 0.999): GenAudit's trainer against
/// a bare TorchSharp loop of the same networks and optimiser. One invocation is <see cref="Steps"/>
/// steps; images per second = Steps × 64 / time. The trainer's run includes its manifest, history
/// lines every 50 steps, and one final checkpoint with a sample grid and a loss chart.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    /// <summary>Steps per invocation.</summary>
    public const int Steps = 200;
    const int Batch = 64;

    TensorTrainingData _data = null!;
    string _root = "";

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _data = TensorTrainingData.FromDataset(MnistEmbedded.Load(DataSplit.Train));
        _root = Directory.CreateTempSubdirectory("genaudit-bench-").FullName;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _data.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    static TrainingConfig Config => TrainingConfig.DefaultsFor("mnist") with
    {
        Steps = Steps,
        BatchSize = Batch,
        CheckpointEvery = 100_000,
        Threads = 0,
    };

    [Benchmark(Baseline = true, Description = "bare TorchSharp loop")]
    public float BareLoop()
    {
        var model = Config.Model with { DataShape = [1, 28, 28] };
        torch.manual_seed(0);
        using var generator = new GanGenerator(model);
        using var discriminator = new GanDiscriminator(model);
        using var optimizerG = optim.Adam(generator.parameters(), 2e-4, 0.5, 0.999);
        using var optimizerD = optim.Adam(discriminator.parameters(), 2e-4, 0.5, 0.999);
        using var random = new Generator(0);
        float last = 0;
        long perEpoch = _data.Count / Batch;
        Tensor order = randperm(_data.Count, generator: random);
        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            if (step % perEpoch == 0 && step > 0) { order.Dispose(); order = randperm(_data.Count, generator: random).DetachFromDisposeScope(); }
            var (real, _) = _data.Gather(order.narrow(0, step % perEpoch * Batch, Batch));
            generator.train();
            discriminator.train();
            var z = torch.randn([Batch, model.LatentSize], generator: random);
            Tensor fake;
            using (torch.no_grad()) fake = generator.call(z, null);
            var lossD = nn.functional.softplus(-discriminator.call(real, null)).mean() + nn.functional.softplus(discriminator.call(fake, null)).mean();
            optimizerD.zero_grad();
            lossD.backward();
            optimizerD.step();
            var zG = torch.randn([Batch, model.LatentSize], generator: random);
            var lossG = nn.functional.softplus(-discriminator.call(generator.call(zG, null), null)).mean();
            optimizerG.zero_grad();
            lossG.backward();
            optimizerG.step();
            last = lossG.item<float>();
        }
        order.Dispose();
        return last;
    }

    [Benchmark(Description = "GenAudit Trainer")]
    public long GenAuditTrainer()
    {
        var folder = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        using var trainer = new Trainer(Config, _data, folder);
        var result = trainer.Run();
        Directory.Delete(folder, recursive: true);
        return result.Step;
    }
}
