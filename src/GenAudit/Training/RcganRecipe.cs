using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// Adversarial training of a recurrent GAN over real-valued sequences: RCGAN (Esteban et al. 2017) or C-RNN-GAN
/// (Mogren 2016), by <see cref="ModelConfig.Family"/>. The discriminator scores every step and the GAN loss is
/// taken over all (sequence, step) scores, RCGAN's per-step cross-entropy for <c>ns</c>; R1 and the gradient
/// penalty constrain the sequence score (the mean over steps), and spectral norm, EMA and L1/L2 apply as for
/// the other GANs. A conditional run (<c>--conditional</c>) feeds the batch's labels to both networks at every
/// step, the real sequences' labels also to the fakes of the discriminator step and to the generator step, as
/// the conditional GAN of images does.
/// </summary>
sealed class RcganRecipe : ITrainingRecipe
{
    readonly TrainingConfig _config;
    readonly Device _device;
    readonly RecurrentGenerator _generator;
    readonly RecurrentGenerator? _ema;
    readonly RecurrentDiscriminator _discriminator;
    readonly Adam _optimizerG;
    readonly Adam _optimizerD;

    public RcganRecipe(TrainingConfig config, Device device)
    {
        _config = config;
        _device = device;
        _generator = new RecurrentGenerator(config.Model).to(device);
        _discriminator = new RecurrentDiscriminator(config.Model).to(device);
        if (config.EmaDecay > 0)
        {
            _ema = new RecurrentGenerator(config.Model).to(device);
            Ema.CopyInto(_ema, _generator);
            _ema.eval();
        }
        _generator.eval();
        _discriminator.eval();
        _optimizerG = Optimizers.Adam(_generator.parameters(), config.LearningRateG, config.Beta1, config.Beta2);
        _optimizerD = Optimizers.Adam(_discriminator.parameters(), config.LearningRateD, config.Beta1, config.Beta2);
    }

    public IGenerativeModel? Sampler => _ema ?? _generator;

    public StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients)
    {
        Trainer.SetLearningRate(_optimizerG, _config.LearningRateG * lrScale);
        Trainer.SetLearningRate(_optimizerD, _config.LearningRateD * lrScale);
        _generator.train();
        _discriminator.train();
        int dSteps = _config.EffectiveDiscriminatorSteps;
        int batch = _config.BatchSize;
        long latent = _config.Model.LatentSize;
        bool penalised = _config.R1Gamma > 0 || _config.EffectiveGradientPenalty > 0;
        Tensor? labels = null;
        Tensor lossD = zeros(1), dReal = zeros(1), dFake = zeros(1), penalty = zeros(1);
        double gradNormD = 0;

        for (int k = 0; k < dSteps; k++)
        {
            var (real, y) = data.Gather(sampler.Indices(step * dSteps + k));
            real = real.to(_device);                                                             // (B, T, F)
            labels = _config.Model.IsConditional ? y?.to(_device) : null;                        // (B,)
            var z = randn([batch, latent], generator: random.For(step, StepRandom.Stream.DiscriminatorLatent, k), device: _device);
            Tensor fake;
            using (no_grad()) fake = _generator.call(z, labels);                                 // (B, T, F)

            if (_config.R1Gamma > 0) real.requires_grad_(true);
            var scoreReal = _discriminator.call(real, labels);                                   // (B, T)
            var scoreFake = _discriminator.call(fake, labels);                                   // (B, T)
            lossD = Losses.Discriminator(_config.Loss, scoreReal.flatten(), scoreFake.flatten());
            penalty = zeros(1, device: _device);
            if (_config.R1Gamma > 0) penalty = penalty + Regularisers.R1(scoreReal.mean([1]), real, _config.R1Gamma);
            if (_config.EffectiveGradientPenalty > 0)
            {
                var alpha = rand([batch, 1, 1], generator: random.For(step, StepRandom.Stream.Interpolation, k), device: _device);
                penalty = penalty + Regularisers.GradientPenalty(x => _discriminator.Score(x, labels), real, fake, alpha, _config.EffectiveGradientPenalty);
            }
            lossD = lossD + penalty;
            if (_config.L1Weight > 0 || _config.L2Weight > 0) lossD = lossD + Regularisers.WeightPenalty(_discriminator, _config.L1Weight, _config.L2Weight);

            _optimizerD.zero_grad();
            lossD.backward();
            if (measureGradients) gradNormD = Trainer.GradientNorm(_discriminator);
            _optimizerD.step();

            bool probabilities = _config.Loss == GanLoss.Ns;
            dReal = (probabilities ? sigmoid(scoreReal) : scoreReal).detach().mean();
            dFake = (probabilities ? sigmoid(scoreFake) : scoreFake).detach().mean();
        }

        var zG = randn([batch, latent], generator: random.For(step, StepRandom.Stream.GeneratorLatent), device: _device);
        var scoreG = _discriminator.call(_generator.call(zG, labels), labels);                   // (B, T)
        var lossG = Losses.Generator(_config.Loss, scoreG.flatten());
        if (_config.L1Weight > 0 || _config.L2Weight > 0) lossG = lossG + Regularisers.WeightPenalty(_generator, _config.L1Weight, _config.L2Weight);
        _optimizerG.zero_grad();
        lossG.backward();
        double gradNormG = measureGradients ? Trainer.GradientNorm(_generator) : 0;
        _optimizerG.step();
        if (_ema is not null) Ema.Update(_ema, _generator, _config.EmaDecay);
        _generator.eval();
        _discriminator.eval();

        var values = StepMetrics.Adversarial(lossD, lossG, dReal, dFake, measureGradients ? (gradNormD, gradNormG) : null, penalised ? penalty : null);
        return new StepMetrics(values, _config.LearningRateG * lrScale, _config.LearningRateD * lrScale);
    }

    public IReadOnlyList<NetworkDescription> Describe()
    {
        var list = new List<NetworkDescription> { _generator.Describe(), _discriminator.Describe() };
        if (_ema is not null) list.Add(_generator.Describe() with { Name = "generator_ema" });
        return list;
    }

    public IReadOnlyDictionary<string, Action<string>> Writers()
    {
        var writers = new Dictionary<string, Action<string>>
        {
            ["generator.safetensors"] = p => ModuleWeights.Save(_generator, p),
            ["discriminator.safetensors"] = p => ModuleWeights.Save(_discriminator, p),
            ["optimizer_g.bin"] = p => Checkpoint.SaveOptimizer(_optimizerG, p),
            ["optimizer_d.bin"] = p => Checkpoint.SaveOptimizer(_optimizerD, p),
        };
        if (_ema is not null) writers["generator_ema.safetensors"] = p => ModuleWeights.Save(_ema, p);
        return writers;
    }

    public void Load(string folder)
    {
        ModuleWeights.Load(_generator, Path.Combine(folder, "generator.safetensors"));
        ModuleWeights.Load(_discriminator, Path.Combine(folder, "discriminator.safetensors"));
        if (_ema is not null) ModuleWeights.Load(_ema, Path.Combine(folder, "generator_ema.safetensors"));
        Checkpoint.LoadOptimizer(_optimizerG, Path.Combine(folder, "optimizer_g.bin"));
        Checkpoint.LoadOptimizer(_optimizerD, Path.Combine(folder, "optimizer_d.bin"));
    }

    public void Dispose()
    {
        _optimizerG.Dispose();
        _optimizerD.Dispose();
        _generator.Dispose();
        _discriminator.Dispose();
        _ema?.Dispose();
    }
}
