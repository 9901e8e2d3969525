using BenchmarkDotNet.Attributes;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// Training throughput, DCGAN 28×28 on the embedded MNIST, batch 64, non-saturating loss, Adam 2e-4
/// (0.5, 0.999): GenAudit's <see cref="Trainer"/> against a bare TorchSharp loop of the same networks
/// and optimiser. Both keep their state across invocations, so an invocation is <see cref="Steps"/>
/// steady-state steps (images per second = Steps × 64 / time). The trainer's steps include its
/// history lines (every 50 steps) and its per-step NaN checks; its one-off costs (manifest, final
/// checkpoint with sample grid and loss chart) are measured separately by <see cref="CheckpointOnce"/>.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    /// <summary>Steps per invocation.</summary>
    public const int Steps = 100;
    const int Batch = 64;

    TensorTrainingData _data = null!;
    string _root = "";
    Trainer _trainer = null!;
    BareLoop _bare = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _data = TensorTrainingData.FromDataset(MnistEmbedded.Load(DataSplit.Train));
        _root = Directory.CreateTempSubdirectory("genaudit-bench-").FullName;
        _trainer = new Trainer(Config, _data, Path.Combine(_root, "steady"), observer: new CheckpointCharts());
        _bare = new BareLoop(Config.Model with { DataShape = [1, 28, 28] }, _data);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trainer.Dispose();
        _bare.Dispose();
        _data.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    static TrainingConfig Config => TrainingConfig.DefaultsFor("mnist") with
    {
        Steps = 1_000_000,
        BatchSize = Batch,
        CheckpointEvery = 1_000_000,
        Threads = 0,
    };

    [Benchmark(Baseline = true, Description = "bare TorchSharp loop")]
    public float Bare() => _bare.Run(Steps);

    [Benchmark(Description = "GenAudit Trainer")]
    public long GenAuditTrainer() => _trainer.Run(stopAtStep: _trainer.Step + Steps, checkpointAtStop: false).Step;

    [Benchmark(Description = "one checkpoint (weights, optimiser, grid, chart)")]
    public long CheckpointOnce() => _trainer.Run(stopAtStep: _trainer.Step, checkpointAtStop: true).Step;

}

/// <summary>The loop a TorchSharp user writes by hand: same modules, optimiser and data order rule.</summary>
sealed class BareLoop : IDisposable
    {
        const int Batch = 64;
        readonly ModelConfig _model;
        readonly TensorTrainingData _data;
        readonly GanGenerator _generator;
        readonly GanDiscriminator _discriminator;
        readonly Adam _optimizerG;
        readonly Adam _optimizerD;
        readonly Generator _random = new(0);
        Tensor _order;
        long _step;

        public BareLoop(ModelConfig model, TensorTrainingData data)
        {
            _model = model;
            _data = data;
            torch.manual_seed(0);
            _generator = new GanGenerator(model);
            _discriminator = new GanDiscriminator(model);
            _optimizerG = Optimizers.Adam(_generator.parameters(), 2e-4, 0.5, 0.999);
            _optimizerD = Optimizers.Adam(_discriminator.parameters(), 2e-4, 0.5, 0.999);
            _order = randperm(data.Count, generator: _random);
        }

        public float Run(int steps)
        {
            float last = 0;
            long perEpoch = _data.Count / Batch;
            for (int i = 0; i < steps; i++, _step++)
            {
                using var scope = NewDisposeScope();
                if (_step % perEpoch == 0 && _step > 0)
                {
                    _order.Dispose();
                    _order = randperm(_data.Count, generator: _random).DetachFromDisposeScope();
                }
                var (real, _) = _data.Gather(_order.narrow(0, _step % perEpoch * Batch, Batch));
                _generator.train();
                _discriminator.train();
                var z = torch.randn([Batch, _model.LatentSize], generator: _random);
                Tensor fake;
                using (torch.no_grad()) fake = _generator.call(z, null);
                var lossD = nn.functional.softplus(-_discriminator.call(real, null)).mean() + nn.functional.softplus(_discriminator.call(fake, null)).mean();
                _optimizerD.zero_grad();
                lossD.backward();
                _optimizerD.step();
                var zG = torch.randn([Batch, _model.LatentSize], generator: _random);
                var lossG = nn.functional.softplus(-_discriminator.call(_generator.call(zG, null), null)).mean();
                _optimizerG.zero_grad();
                lossG.backward();
                _optimizerG.step();
                last = lossG.item<float>();
            }
            return last;
        }

        public void Dispose()
        {
            _order.Dispose();
            _random.Dispose();
            _optimizerG.Dispose();
            _optimizerD.Dispose();
            _generator.Dispose();
            _discriminator.Dispose();
        }
    }
