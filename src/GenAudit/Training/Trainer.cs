using System.Diagnostics;
using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>Progress of a training run, reported after every step.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, IReadOnlyDictionary<string, double> Losses, TimeSpan Elapsed);

/// <summary>How a training run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All steps ran; a final checkpoint was written.</summary>
    Completed,
    /// <summary>Cancelled (Ctrl+C) or stopped at a requested step; a checkpoint of the last completed step was written.</summary>
    Interrupted,
}

/// <summary>The result of <see cref="Trainer.Run"/>.</summary>
public sealed record TrainingResult(TrainingOutcome Outcome, long Step, string CheckpointFolder, TimeSpan Elapsed);

/// <summary>Training stopped because a loss or gradient became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Training stopped because a checkpoint or history entry could not be written (a full disk, a failing file system); the last good checkpoint is intact.</summary>
public sealed class CheckpointWriteException(string message, Exception inner) : IOException(message, inner);

/// <summary>
/// Trains a GAN or VAE into a run directory: manifest, history, atomic checkpoints with optimiser
/// state, sample grids and loss curves. Every random draw is keyed by (seed, step), so a resumed
/// run is bit-identical to an uninterrupted one on the same device and thread count.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly TrainingConfig _config;
    readonly ITrainingData _data;
    readonly RunDirectory _run;
    readonly Device _device;
    readonly StepRandom _random;
    readonly EpochSampler _sampler;
    readonly ITrainingRecipe _stepper;
    readonly TensorBoardLog? _tensorBoard;
    readonly ITrainingObserver? _observer;
    long _step;

    /// <summary>
    /// Prepares a run. A new run needs an empty or missing directory; with <paramref name="resume"/>
    /// the directory's manifest must match <paramref name="config"/> in everything but the step count.
    /// <paramref name="observer"/> receives every step and checkpoint (sample grids and loss curves are drawn by one).
    /// </summary>
    public Trainer(TrainingConfig config, ITrainingData data, string runDirectory, bool resume = false, ITrainingObserver? observer = null)
    {
        _observer = observer;
        TorchRuntime.EnsureLoaded();
        _data = data;
        _run = new RunDirectory(runDirectory);
        _config = config with
        {
            Model = config.Model with
            {
                DataShape = data.SampleShape,
                ConditionCount = config.Model.IsConditional ? data.ClassCount : 0,
                VocabularySize = config.Model.IsTokenSequence ? TokenTrainingData.From(data, config.Model.Family).VocabularySize : 0,
            },
        };
        _config.Validate();
        if (_config.Device == "cuda" && !torch.cuda.is_available())
            throw new ArgumentException("--device cuda: no CUDA device is available (this build of GenAudit uses TorchSharp-cpu)");
        _device = new Device(_config.Device);

        _random = new StepRandom(_config.Seed, _device);
        _sampler = new EpochSampler(data.Count, _config.BatchSize, _random, _device);
        // Weight initialisation draws from libtorch's global generator; hold it for the whole
        // construction so that trainers built on other threads cannot interleave their draws.
        lock (GlobalRandom.Lock)
        {
            torch.manual_seed(_config.Seed);
            _stepper = CreateRecipe(_config, data, _device);
        }

        if (resume) Resume();
        else Create();
        if (_config.TensorBoard) _tensorBoard = new TensorBoardLog(_run.Root, resume ? _step : null);
    }

    /// <summary>The generator being trained (the EMA copy when EMA is on), in eval mode between steps.</summary>
    public IGenerativeModel Sampler => _stepper.Sampler
        ?? throw new InvalidOperationException($"a {_config.Model.Family} run's model does not map latents to samples; use Trainer.Recipe");

    /// <summary>What is trained and how: the networks, their optimisers and one step of the objective.</summary>
    public ITrainingRecipe Recipe => _stepper;

    // The one place where a model family picks its recipe; a new family adds a line and a class.
    static ITrainingRecipe CreateRecipe(TrainingConfig config, ITrainingData data, Device device) => config.Model.Family switch
    {
        ModelFamily.Gan or ModelFamily.Cgan => new GanStepper(config, device),
        ModelFamily.Vae or ModelFamily.Cvae => new VaeStepper(config, device),
        ModelFamily.Mle => new MleRecipe(config, TokenTrainingData.From(data, config.Model.Family), device),
        ModelFamily.SeqGan => new SeqGanRecipe(config, TokenTrainingData.From(data, config.Model.Family), device),
        ModelFamily.Rcgan or ModelFamily.CrnnGan => new RcganRecipe(config, device),
        _ => throw new ArgumentException($"model family {config.Model.Family} has no training recipe"),
    };

    /// <summary>The configuration with the data-dependent fields filled in.</summary>
    public TrainingConfig Config => _config;

    /// <summary>Steps completed so far.</summary>
    public long Step => _step;

    /// <summary>
    /// Trains until <see cref="TrainingConfig.Steps"/>, or until <paramref name="stopAtStep"/> or
    /// cancellation, checkpointing on the way. Throws <see cref="TrainingDivergedException"/> on
    /// NaN/Inf, leaving the last good checkpoint as the run's latest.
    /// </summary>
    /// <param name="progress">Receives the losses after every step.</param>
    /// <param name="cancel">Stops after the current step (Ctrl+C).</param>
    /// <param name="stopAtStep">Stops when this many steps are done; <see cref="Run"/> can be called again to continue.</param>
    /// <param name="checkpointAtStop">Write a checkpoint when stopping early (the default); false lets a library caller interleave training with its own measurements.</param>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default, long? stopAtStep = null, bool checkpointAtStop = true)
    {
        // The steps' bits depend on the thread count, which libtorch keeps per OS thread: set it on
        // this thread for the whole run, whatever ran on the thread before (TorchThreads).
        using var threads = TorchThreads.Use(_config.Threads > 0 ? _config.Threads : Environment.ProcessorCount);
        var clock = Stopwatch.StartNew();
        long target = Math.Min(_config.Steps, stopAtStep ?? long.MaxValue);
        string lastCheckpoint = Checkpoint.FindLatest(_run)?.Folder ?? "";
        while (_step < target)
        {
            if (cancel.IsCancellationRequested) break;
            long step = _step;
            bool log = (step + 1) % _config.LogEvery == 0 || step + 1 == _config.Steps;
            bool checkpoint = (step + 1) % _config.CheckpointEvery == 0 || step + 1 == _config.Steps;
            var lr = LearningRateScale(step);
            StepMetrics metrics;
            using (NewDisposeScope())
            {
                // Gradient norms cost a reduction over every parameter; they are measured where they
                // are logged and before every checkpoint, so no checkpoint is written from NaN gradients.
                // Between those steps a NaN gradient turns the weights, and so the next loss, into NaN.
                metrics = _stepper.Step(step, lr, _data, _sampler, _random, measureGradients: log || checkpoint);
            }
            foreach (var (name, value) in metrics.Values)
            {
                if (!double.IsFinite(value))
                {
                    throw new TrainingDivergedException(
                        $"step {step + 1}: {name} is {value}; training stopped. The last good checkpoint is " +
                        (lastCheckpoint == "" ? "none (no checkpoint was written yet)" : lastCheckpoint) +
                        ". Lower the learning rate, add a penalty (--r1, --gp) or spectral norm, and resume or restart.");
                }
            }
            _step = step + 1;
            if (log)
            {
                var entry = metrics.ToHistory(_step, clock.Elapsed.TotalSeconds);
                try
                {
                    HistoryFile.Append(_run.History, entry);
                    _tensorBoard?.Append(entry);
                }
                catch (IOException e)
                {
                    throw WriteFailed($"the history entry of step {_step}", e);
                }
            }
            var reported = new TrainingProgress(_step, _config.Steps, metrics.Values, clock.Elapsed);
            progress?.Report(reported);
            _observer?.OnStep(reported);
            if (checkpoint) lastCheckpoint = WriteCheckpoint();
        }
        if (_step < _config.Steps && (checkpointAtStop || cancel.IsCancellationRequested)) lastCheckpoint = WriteCheckpoint();
        return new TrainingResult(_step == _config.Steps ? TrainingOutcome.Completed : TrainingOutcome.Interrupted, _step, lastCheckpoint, clock.Elapsed);
    }

    double LearningRateScale(long step) => Math.Pow(_config.LearningRateDecay, (double)step / _config.Steps);

    void Create()
    {
        if (File.Exists(_run.Manifest))
            throw new ArgumentException($"{_run.Root} already holds a run; pass --resume to continue it or choose another --out");
        Directory.CreateDirectory(_run.Root);
        var manifest = new RunManifest
        {
            Created = DateTimeOffset.UtcNow,
            Config = _config,
            Data = new DataRecord(_data.Name, _data.Fingerprint, _data.Count, _data.SampleShape, _data.ClassCount),
            Versions = VersionRecord.Current(),
            Networks = _stepper.Describe(),
        };
        Json.WriteFile(_run.Manifest, manifest);
        AtomicFile.WriteAllText(_run.History, "");
    }

    void Resume()
    {
        var manifest = Json.ReadFile<RunManifest>(_run.Manifest);
        var saved = manifest.Config with { Steps = _config.Steps };
        if (!ConfigEquals(saved, _config))
            throw new ArgumentException($"{_run.Manifest}: --resume needs the same settings as the original run (only --steps may change); " +
                                        "run 'genaudit train --resume --out DIR' without other options to take them from the manifest");
        if (manifest.Data.Fingerprint != _data.Fingerprint)
            throw new ArgumentException($"{_run.Manifest}: the run was trained on data with fingerprint {manifest.Data.Fingerprint}, this data has {_data.Fingerprint}");
        // A run killed before its first checkpoint restarts from step 0: the networks were just
        // initialised from the seed exactly as a fresh run's are, so the result is the fresh run's.
        var latest = Checkpoint.FindLatest(_run);
        if (latest is { } found)
        {
            CheckScheduleExtension(manifest.Config.Steps, found.Latest.Step);
            _stepper.Load(found.Folder);
            _step = found.Latest.Step;
        }
        HistoryFile.TruncateAfter(_run.History, _step);
        if (_config.Steps != manifest.Config.Steps) Json.WriteFile(_run.Manifest, manifest with { Config = manifest.Config with { Steps = _config.Steps } });
    }

    /// <summary>
    /// lr(s) = lr₀ · f^(s / Steps) depends on Steps, so changing --steps after training began would
    /// make the rate jump at the resume point; with decay that is refused, without it (f = 1) the
    /// schedule is constant and any extension continues it exactly.
    /// </summary>
    void CheckScheduleExtension(long savedSteps, long step)
    {
        if (_config.Steps == savedSteps || _config.LearningRateDecay == 1 || step == 0) return;
        var f = _config.LearningRateDecay;
        var before = Math.Pow(f, (double)step / savedSteps);
        var after = Math.Pow(f, (double)step / _config.Steps);
        throw new ArgumentException(
            $"{_run.Manifest}: the run decays its learning rate to {f:G4}× over its {savedSteps} steps (lr(s) = lr0·{f:G4}^(s/{savedSteps})), so at step {step} it is {before:G4}× lr0; " +
            $"with --steps {_config.Steps} it would jump to {after:G4}× and the result would match no straight run. " +
            $"Resume without --steps (or with --steps {savedSteps}), or train a new run with --steps {_config.Steps}; runs with --lr-decay 1 can be extended.");
    }

    static bool ConfigEquals(TrainingConfig a, TrainingConfig b) =>
        System.Text.Json.JsonSerializer.Serialize(a, Json.Compact) == System.Text.Json.JsonSerializer.Serialize(b, Json.Compact);

    /// <summary>A full disk or failing file system: say what was lost and that the last good checkpoint is intact.</summary>
    CheckpointWriteException WriteFailed(string what, IOException e)
    {
        var last = Checkpoint.FindLatest(_run)?.Folder;
        return new CheckpointWriteException(
            $"{_run.Root}: {what} could not be written ({e.Message}). " +
            (last is null ? "The run has no checkpoint yet; " : $"The last good checkpoint, {last}, is untouched and loadable; ") +
            $"free space (or fix the file system) and continue with 'genaudit train --out {_run.Root} --resume'.", e);
    }

    string WriteCheckpoint()
    {
        using var scope = NewDisposeScope();
        _stepper.PrepareSampler(_step, _random);
        try
        {
            var folder = Checkpoint.Write(_run, _step, _stepper.Writers(), _config.KeepCheckpoints);
            // Observers draw samples of latent-to-sample generators; token models write theirs into the checkpoint.
            if (_stepper.Sampler is { } sampler) _observer?.OnCheckpoint(new TrainingCheckpoint(_step, folder, _run, _config, sampler, _data));
            // The sample grid an observer (Rendering.CheckpointCharts) drew for this checkpoint, if any, goes to TensorBoard too.
            var samples = Path.Combine(_run.Samples, RunDirectory.CheckpointName(_step) + ".png");
            if (_tensorBoard is not null && File.Exists(samples)) _tensorBoard.AddSamples(_step, samples);
            return folder;
        }
        catch (IOException e) when (e is not CheckpointWriteException)
        {
            throw WriteFailed($"the checkpoint of step {_step} (or its sample grid)", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tensorBoard?.Dispose();
        _stepper.Dispose();
        _sampler.Dispose();
        _random.Dispose();
    }

    internal static double GradientNorm(nn.Module module)
    {
        var squares = module.parameters().Where(p => p.grad is not null).Select(p => p.grad!.pow(2).sum()).ToArray();
        return squares.Length == 0 ? 0 : torch.stack(squares).sum().sqrt().item<float>();
    }

    internal static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    sealed class GanStepper : ITrainingRecipe
    {
        readonly TrainingConfig _config;
        readonly Device _device;
        readonly GanGenerator _generator;
        readonly GanGenerator? _ema;
        readonly nn.Module<Tensor, Tensor?, Tensor> _discriminator;   // GanDiscriminator, or PackedDiscriminator with --pack
        readonly Adam _optimizerG;
        readonly Adam _optimizerD;
        readonly Curiosity? _curiosity;

        public GanStepper(TrainingConfig config, Device device)
        {
            _config = config;
            _device = device;
            _generator = new GanGenerator(config.Model).to(device);
            _discriminator = config.Pack > 1 ? new PackedDiscriminator(config.Model, config.Pack).to(device) : new GanDiscriminator(config.Model).to(device);
            if (config.EmaDecay > 0)
            {
                _ema = new GanGenerator(config.Model).to(device);
                Ema.CopyInto(_ema, _generator);
                _ema.eval();
            }
            _optimizerG = Optimizers.Adam(_generator.parameters(), config.LearningRateG, config.Beta1, config.Beta2);
            _optimizerD = Optimizers.Adam(_discriminator.parameters(), config.LearningRateD, config.Beta1, config.Beta2);
            // Built last, so that runs without curiosity draw the same initial weights as before it existed.
            if (config.Curiosity is { } curiosity) _curiosity = Curiosity.Create(curiosity, config.Model, device);
        }

        public IGenerativeModel? Sampler => _ema ?? _generator;

        public StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients)
        {
            SetLearningRate(_optimizerG, _config.LearningRateG * lrScale);
            SetLearningRate(_optimizerD, _config.LearningRateD * lrScale);
            _generator.train();
            _discriminator.train();
            int dSteps = _config.EffectiveDiscriminatorSteps;
            int batch = _config.BatchSize;
            long latent = _config.Model.LatentSize;
            Tensor? labels = null;
            Tensor lossD = torch.zeros(1), dReal = torch.zeros(1), dFake = torch.zeros(1), penalty = torch.zeros(1);
            double gradNormD = 0;

            for (int k = 0; k < dSteps; k++)
            {
                var (real, y) = data.Gather(sampler.Indices(step * dSteps + k));
                real = real.to(_device);
                labels = _config.Model.IsConditional ? y?.to(_device) : null;
                var z = torch.randn([batch, latent], generator: random.For(step, StepRandom.Stream.DiscriminatorLatent, k), device: _device);
                Tensor fake;
                using (torch.no_grad()) fake = _generator.call(z, labels);

                bool needsR1 = _config.R1Gamma > 0;
                if (needsR1) real.requires_grad_(true);
                var scoreReal = _discriminator.call(real, labels);    // (B,)
                var scoreFake = _discriminator.call(fake, labels);    // (B,)
                lossD = Losses.Discriminator(_config.Loss, scoreReal, scoreFake);
                penalty = torch.zeros(1, device: _device);
                if (needsR1) penalty = penalty + Regularisers.R1(scoreReal, real, _config.R1Gamma);
                if (_config.EffectiveGradientPenalty > 0)
                {
                    var shape = new long[real.dim()];
                    shape[0] = batch;
                    for (int d = 1; d < shape.Length; d++) shape[d] = 1;
                    var alpha = torch.rand(shape, generator: random.For(step, StepRandom.Stream.Interpolation, k), device: _device);
                    penalty = penalty + Regularisers.GradientPenalty(x => _discriminator.call(x, labels), real, fake, alpha, _config.EffectiveGradientPenalty);
                }
                lossD = lossD + penalty;
                if (_config.L1Weight > 0 || _config.L2Weight > 0) lossD = lossD + Regularisers.WeightPenalty(_discriminator, _config.L1Weight, _config.L2Weight);

                _optimizerD.zero_grad();
                lossD.backward();
                if (measureGradients) gradNormD = GradientNorm(_discriminator);
                _optimizerD.step();

                bool probabilities = _config.Loss == GanLoss.Ns;
                dReal = (probabilities ? torch.sigmoid(scoreReal) : scoreReal).detach().mean();
                dFake = (probabilities ? torch.sigmoid(scoreFake) : scoreFake).detach().mean();
            }

            var zG = torch.randn([batch, latent], generator: random.For(step, StepRandom.Stream.GeneratorLatent), device: _device);
            var fakeG = _generator.call(zG, labels);
            var scoreG = _discriminator.call(fakeG, labels);
            var lossG = Losses.Generator(_config.Loss, scoreG);
            var adversarialG = lossG;
            if (_config.ModeSeekingWeight > 0) lossG = lossG + _config.ModeSeekingWeight * ModeSeeking.Term(fakeG, zG);
            Tensor? bonus = null;
            if (_curiosity is not null)
            {
                bonus = _curiosity.Bonus(fakeG).mean();
                lossG = lossG - _config.Curiosity!.Weight * bonus;
            }
            if (_config.L1Weight > 0 || _config.L2Weight > 0) lossG = lossG + Regularisers.WeightPenalty(_generator, _config.L1Weight, _config.L2Weight);
            _optimizerG.zero_grad();
            lossG.backward();
            double gradNormG = measureGradients ? GradientNorm(_generator) : 0;
            _optimizerG.step();
            if (_ema is not null) Ema.Update(_ema, _generator, _config.EmaDecay);
            var curious = _curiosity?.Learn(fakeG);
            _generator.eval();
            _discriminator.eval();

            var values = StepMetrics.Adversarial(lossD, lossG, dReal, dFake, measureGradients ? (gradNormD, gradNormG) : null,
                _config.R1Gamma > 0 || _config.EffectiveGradientPenalty > 0 ? penalty : null);
            if (curious is not null)
            {
                values["novelty"] = curious.MeanNovelty;
                if (curious.PredictorLoss is { } predictorLoss) values["predictorLoss"] = predictorLoss;
                double weighted = _config.Curiosity!.Weight * bonus!.item<float>(), adversarial = adversarialG.item<float>();
                values["bonusShare"] = weighted == 0 ? 0 : Math.Abs(weighted) / (Math.Abs(adversarial) + Math.Abs(weighted));
            }
            return new StepMetrics(values, _config.LearningRateG * lrScale, _config.LearningRateD * lrScale);
        }

        public void PrepareSampler(long step, StepRandom random)
        {
            if (_ema is null || !_config.EmaBatchNormReestimate) return;
            const int passes = 8, batch = 256;
            var model = _config.Model;
            Ema.ReestimateBatchNorm(_ema, passes, k =>
            {
                var generator = random.For(step, StepRandom.Stream.BatchNormStatistics, k);
                var z = torch.randn([batch, model.LatentSize], generator: generator, device: _device);          // (256, d)
                var labels = model.IsConditional ? torch.randint(0, model.ConditionCount, [batch], ScalarType.Int64, generator: generator, device: _device) : null; // (256,)
                _ema.call(z, labels);
            });
        }

        public IReadOnlyList<NetworkDescription> Describe()
        {
            var list = new List<NetworkDescription> { _generator.Describe(), ((IDescribedNetwork)_discriminator).Describe() };
            if (_ema is not null) list.Add(_generator.Describe() with { Name = "generator_ema" });
            if (_curiosity is not null) list.AddRange(_curiosity.Describe());
            return list;
        }

        public IReadOnlyDictionary<string, Action<string>> Writers()
        {
            var writers = new Dictionary<string, Action<string>>
            {
                ["generator.safetensors"] = p => ModuleWeights.Save(_generator, p),
                [DiscriminatorFile] = p => ModuleWeights.Save(_discriminator, p),
                ["optimizer_g.bin"] = p => Checkpoint.SaveOptimizer(_optimizerG, p),
                ["optimizer_d.bin"] = p => Checkpoint.SaveOptimizer(_optimizerD, p),
            };
            if (_ema is not null) writers["generator_ema.safetensors"] = p => ModuleWeights.Save(_ema, p);
            if (_curiosity is not null) foreach (var (file, write) in _curiosity.Writers()) writers[file] = write;
            return writers;
        }

        public void Load(string folder)
        {
            ModuleWeights.Load(_generator, Path.Combine(folder, "generator.safetensors"));
            ModuleWeights.Load(_discriminator, Path.Combine(folder, DiscriminatorFile));
            _curiosity?.Load(folder);
            if (_ema is not null) ModuleWeights.Load(_ema, Path.Combine(folder, "generator_ema.safetensors"));
            Checkpoint.LoadOptimizer(_optimizerG, Path.Combine(folder, "optimizer_g.bin"));
            Checkpoint.LoadOptimizer(_optimizerD, Path.Combine(folder, "optimizer_d.bin"));
        }

        // A packed discriminator scores packs, not samples: its own file name keeps RunLoader from opening it as a per-sample one.
        string DiscriminatorFile => _config.Pack > 1 ? "discriminator_packed.safetensors" : "discriminator.safetensors";

        public void Dispose()
        {
            _curiosity?.Dispose();
            _optimizerG.Dispose();
            _optimizerD.Dispose();
            _generator.Dispose();
            _discriminator.Dispose();
            _ema?.Dispose();
        }
    }

    sealed class VaeStepper : ITrainingRecipe
    {
        readonly TrainingConfig _config;
        readonly Device _device;
        readonly Vae _vae;
        readonly Adam _optimizer;

        public VaeStepper(TrainingConfig config, Device device)
        {
            _config = config;
            _device = device;
            _vae = new Vae(config.Model).to(device);
            _vae.eval();
            _optimizer = Optimizers.Adam(_vae.parameters(), config.LearningRateG, config.Beta1, config.Beta2);
        }

        public IGenerativeModel? Sampler => _vae;

        public StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients)
        {
            SetLearningRate(_optimizer, _config.LearningRateG * lrScale);
            _vae.train();
            var (x, y) = data.Gather(sampler.Indices(step));
            x = x.to(_device);
            var labels = _config.Model.IsConditional ? y?.to(_device) : null;
            var (mean, logVariance) = _vae.Encode(x, labels);                   // (B, d) each
            var noise = torch.randn(mean.shape, generator: random.For(step, StepRandom.Stream.Reparameterisation), device: _device);
            var z = mean + torch.exp(0.5 * logVariance) * noise;
            var reconstruction = _vae.Decode(z, labels);                         // (B, ...)
            var recon = Losses.Reconstruction(_config.Model.Likelihood, _config.Model.GaussianSigma, reconstruction, x);
            var kl = Losses.GaussianKl(mean, logVariance);
            var loss = recon + _config.VaeBeta * kl;
            if (_config.L1Weight > 0 || _config.L2Weight > 0) loss = loss + Regularisers.WeightPenalty(_vae, _config.L1Weight, _config.L2Weight);
            _optimizer.zero_grad();
            loss.backward();
            double gradNorm = measureGradients ? GradientNorm(_vae) : 0;
            _optimizer.step();
            _vae.eval();
            var values = new Dictionary<string, double>
            {
                ["loss"] = loss.item<float>(),
                ["recon"] = recon.item<float>(),
                ["kl"] = kl.item<float>(),
            };
            if (measureGradients) values["gradNormG"] = gradNorm;
            return new StepMetrics(values, _config.LearningRateG * lrScale, null);
        }

        public IReadOnlyList<NetworkDescription> Describe() => [_vae.Describe()];

        public void PrepareSampler(long step, StepRandom random) { }

        public IReadOnlyDictionary<string, Action<string>> Writers() => new Dictionary<string, Action<string>>
        {
            ["vae.safetensors"] = p => ModuleWeights.Save(_vae, p),
            ["optimizer.bin"] = p => Checkpoint.SaveOptimizer(_optimizer, p),
        };

        public void Load(string folder)
        {
            ModuleWeights.Load(_vae, Path.Combine(folder, "vae.safetensors"));
            Checkpoint.LoadOptimizer(_optimizer, Path.Combine(folder, "optimizer.bin"));
        }

        public void Dispose()
        {
            _optimizer.Dispose();
            _vae.Dispose();
        }
    }
}
