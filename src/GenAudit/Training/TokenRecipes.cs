using System.Text;
using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>A recipe that trains a token language model; <see cref="Trainer.Recipe"/> of an mle or seqgan run is one.</summary>
public interface ITokenRecipe : ITrainingRecipe
{
    /// <summary>The language model being trained, in eval mode between steps.</summary>
    TokenGenerator Generator { get; }
}

/// <summary>What the token recipes share: the teacher-forced MLE update, NLL-oracle at logged steps, sample files.</summary>
static class TokenSteps
{
    /// <summary>Sequences written to samples.txt in every checkpoint.</summary>
    public const int SampleFileCount = 32;

    /// <summary>
    /// One MLE update on a data batch; returns the NLL per token and the gradient norm before clipping. A model with a
    /// state latent scores each sequence under a fresh z drawn from <paramref name="latentRandom"/> (the expected NLL over the prior).
    /// </summary>
    public static (double Nll, double GradNorm) MaximumLikelihood(TokenGenerator generator, Adam optimizer, Tensor batch, double clip, Generator latentRandom)
    {
        var latent = generator.DrawLatent(batch.shape[0], latentRandom);                       // (B, N) or none
        generator.train();
        var loss = SequenceLosses.NegativeLogLikelihood(generator.LogProbabilities(batch, latent));
        optimizer.zero_grad();
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(generator.parameters(), clip);
        optimizer.step();
        generator.eval();
        return (loss.item<float>(), norm);
    }

    /// <summary>NLL-oracle of fresh samples at a logged step, when the data has an oracle and the option is on.</summary>
    public static void AddOracleNll(Dictionary<string, double> values, TokenGenerator generator, TokenTrainingData data, SequenceOptions options, long step, StepRandom random)
    {
        if (data.Oracle is not { } oracle || options.OracleEvaluationSamples == 0) return;
        var samples = generator.Sample(options.OracleEvaluationSamples, random.For(step, StepRandom.Stream.Evaluation)); // (N, T)
        values["nllOracle"] = oracle.NegativeLogLikelihoodPerToken(samples);
    }

    /// <summary>Writes samples.txt: <see cref="SampleFileCount"/> sequences drawn with the run's seed, spelled one a line.</summary>
    public static void WriteSamples(TokenGenerator generator, TokenTrainingData data, long seed, string path)
    {
        using var scope = NewDisposeScope();
        using var random = new Generator((ulong)seed, generator.Device);
        var tokens = generator.Sample(SampleFileCount, random).cpu().data<long>().ToArray();
        var text = new StringBuilder();
        for (int i = 0; i < SampleFileCount; i++) text.Append(data.Vocabulary.Spell(tokens.AsSpan(i * generator.Length, generator.Length))).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }
}

/// <summary>
/// Maximum likelihood with teacher forcing: each step lowers the NLL per token of one data batch. The
/// baseline that Caccia et al. 2020 ("Language GANs Falling Short") found hard to beat.
/// </summary>
sealed class MleRecipe : ITokenRecipe
{
    readonly TrainingConfig _config;
    readonly SequenceOptions _options;
    readonly TokenTrainingData _data;
    readonly Device _device;
    readonly TokenGenerator _generator;
    readonly Adam _optimizer;

    public MleRecipe(TrainingConfig config, TokenTrainingData data, Device device)
    {
        _config = config;
        _options = config.Sequence!;
        _data = data;
        _device = device;
        _generator = new TokenGenerator(config.Model).to(device);
        _generator.eval();
        _optimizer = Optimizers.Adam(_generator.parameters(), config.LearningRateG, config.Beta1, config.Beta2);
    }

    public IGenerativeModel? Sampler => null;

    public TokenGenerator Generator => _generator;

    public StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients)
    {
        Trainer.SetLearningRate(_optimizer, _config.LearningRateG * lrScale);
        var (batch, _) = data.Gather(sampler.Indices(step));
        var (nll, norm) = TokenSteps.MaximumLikelihood(_generator, _optimizer, batch.to(_device), _options.GradientClip, random.For(step, StepRandom.Stream.GeneratorLatent));
        var values = new Dictionary<string, double> { ["loss"] = nll };
        if (measureGradients)
        {
            values["gradNormG"] = norm;
            TokenSteps.AddOracleNll(values, _generator, _data, _options, step, random);
        }
        return new StepMetrics(values, _config.LearningRateG * lrScale, null);
    }

    public IReadOnlyList<NetworkDescription> Describe() => [_generator.Describe()];

    public IReadOnlyDictionary<string, Action<string>> Writers() => new Dictionary<string, Action<string>>
    {
        ["generator.safetensors"] = p => ModuleWeights.Save(_generator, p),
        ["optimizer_g.bin"] = p => Checkpoint.SaveOptimizer(_optimizer, p),
        ["samples.txt"] = p => TokenSteps.WriteSamples(_generator, _data, _config.Seed, p),
    };

    public void Load(string folder)
    {
        ModuleWeights.Load(_generator, Path.Combine(folder, "generator.safetensors"));
        Checkpoint.LoadOptimizer(_optimizer, Path.Combine(folder, "optimizer_g.bin"));
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _generator.Dispose();
    }
}

/// <summary>
/// SeqGAN (Yu et al. 2017, https://arxiv.org/abs/1609.05473) in three phases over the run's steps: MLE
/// pre-training of the generator, pre-training of the discriminator on real against generated batches,
/// then adversarial steps: a REINFORCE update of the generator with Monte-Carlo roll-out rewards from a
/// slowly following roll-out network, the roll-out update, and <see cref="TrainingConfig.EffectiveDiscriminatorSteps"/>
/// discriminator updates.
/// </summary>
sealed class SeqGanRecipe : ITokenRecipe
{
    readonly TrainingConfig _config;
    readonly SequenceOptions _options;
    readonly TokenTrainingData _data;
    readonly Device _device;
    readonly TokenGenerator _generator;
    readonly TokenGenerator _rollout;
    readonly TokenDiscriminator _discriminator;
    readonly Adam _optimizerG;
    readonly Adam _optimizerD;

    public SeqGanRecipe(TrainingConfig config, TokenTrainingData data, Device device)
    {
        _config = config;
        _options = config.Sequence!;
        _data = data;
        _device = device;
        _generator = new TokenGenerator(config.Model).to(device);
        _rollout = new TokenGenerator(config.Model).to(device);
        Ema.CopyInto(_rollout, _generator);
        _discriminator = new TokenDiscriminator(config.Model).to(device);
        _generator.eval();
        _rollout.eval();
        _discriminator.eval();
        _optimizerG = Optimizers.Adam(_generator.parameters(), config.LearningRateG, config.Beta1, config.Beta2);
        _optimizerD = Optimizers.Adam(_discriminator.parameters(), config.LearningRateD, config.Beta1, config.Beta2);
    }

    public IGenerativeModel? Sampler => null;

    public TokenGenerator Generator => _generator;

    long AdversarialStart => _options.PretrainGeneratorSteps + _options.PretrainDiscriminatorSteps;

    public StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients)
    {
        Trainer.SetLearningRate(_optimizerG, _config.LearningRateG * lrScale);
        Trainer.SetLearningRate(_optimizerD, _config.LearningRateD * lrScale);
        var values = new Dictionary<string, double>();
        if (step < _options.PretrainGeneratorSteps)
        {
            var (batch, _) = data.Gather(sampler.Indices(step));
            var (nll, norm) = TokenSteps.MaximumLikelihood(_generator, _optimizerG, batch.to(_device), _options.GradientClip, random.For(step, StepRandom.Stream.GeneratorLatent));
            values["loss"] = nll;
            if (measureGradients) values["gradNormG"] = norm;
        }
        else if (step < AdversarialStart)
        {
            var (real, _) = data.Gather(sampler.Indices(step));
            DiscriminatorUpdate(values, real.to(_device), random.For(step, StepRandom.Stream.TokenDiscriminatorSampling), measureGradients);
        }
        else
        {
            // The roll-out network starts from the pre-trained generator (SeqGAN's ROLLOUT(generator, 0.8)).
            if (step == AdversarialStart) Ema.CopyInto(_rollout, _generator);
            AdversarialUpdate(values, step, random, measureGradients);
            int dSteps = _config.EffectiveDiscriminatorSteps;
            for (int k = 0; k < dSteps; k++)
            {
                var (real, _) = data.Gather(sampler.Indices(step * dSteps + k));
                DiscriminatorUpdate(values, real.to(_device), random.For(step, StepRandom.Stream.TokenDiscriminatorSampling, k), measureGradients);
            }
        }
        if (measureGradients) TokenSteps.AddOracleNll(values, _generator, _data, _options, step, random);
        return new StepMetrics(values, _config.LearningRateG * lrScale, _config.LearningRateD * lrScale);
    }

    void AdversarialUpdate(Dictionary<string, double> values, long step, StepRandom random, bool measureGradients)
    {
        // With a state latent, the roll-outs and the policy's log-probabilities condition on the z each sample was drawn with.
        var latent = _generator.DrawLatent(_config.BatchSize, random.For(step, StepRandom.Stream.GeneratorLatent));     // (B, N) or none
        var samples = _generator.Sample(_config.BatchSize, random.For(step, StepRandom.Stream.TokenSampling), latent: latent); // (B, T)
        var rewards = SequenceLosses.MonteCarloRewards(_rollout, _discriminator, samples, _options.Rollouts,
            t => random.For(step, StepRandom.Stream.Rollout, t), latent);                                       // (B, T)
        _generator.train();
        var logits = _generator.Logits(samples, latent);                                                        // (B, T, V)
        var logProbabilities = logits.log_softmax(2);                                                           // (B, T, V)
        var loss = SequenceLosses.PolicyGradient(logProbabilities.gather(2, samples.unsqueeze(2)).squeeze(2), rewards);
        _optimizerG.zero_grad();
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(_generator.parameters(), _options.GradientClip);
        _optimizerG.step();
        _generator.eval();
        Ema.Update(_rollout, _generator, _options.RolloutUpdateRate);
        values["lossG"] = loss.item<float>();
        values["reward"] = rewards.mean().item<float>();
        using (no_grad()) values["entropy"] = (-(logProbabilities.exp() * logProbabilities).sum(2).mean()).item<float>();
        if (measureGradients) values["gradNormG"] = norm;
    }

    void DiscriminatorUpdate(Dictionary<string, double> values, Tensor real, Generator random, bool measureGradients)
    {
        var fake = _generator.Sample(real.shape[0], random);                  // (B, T)
        _discriminator.train();
        var scoreReal = _discriminator.call(real);                            // (B,)
        var scoreFake = _discriminator.call(fake);                            // (B,)
        var loss = Losses.Discriminator(GanLoss.Ns, scoreReal, scoreFake);
        _optimizerD.zero_grad();
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(_discriminator.parameters(), _options.GradientClip);
        _optimizerD.step();
        _discriminator.eval();
        using var noGrad = no_grad();
        values["lossD"] = loss.item<float>();
        values["dReal"] = sigmoid(scoreReal).mean().item<float>();
        values["dFake"] = sigmoid(scoreFake).mean().item<float>();
        values["dAccuracy"] = ((scoreReal > 0).to_type(ScalarType.Float32).mean() + (scoreFake < 0).to_type(ScalarType.Float32).mean()).item<float>() / 2;
        if (measureGradients) values["gradNormD"] = norm;
    }

    public IReadOnlyList<NetworkDescription> Describe() =>
        [_generator.Describe(), _discriminator.Describe(), _generator.Describe() with { Name = "rollout" }];

    public IReadOnlyDictionary<string, Action<string>> Writers() => new Dictionary<string, Action<string>>
    {
        ["generator.safetensors"] = p => ModuleWeights.Save(_generator, p),
        ["rollout.safetensors"] = p => ModuleWeights.Save(_rollout, p),
        ["discriminator.safetensors"] = p => ModuleWeights.Save(_discriminator, p),
        ["optimizer_g.bin"] = p => Checkpoint.SaveOptimizer(_optimizerG, p),
        ["optimizer_d.bin"] = p => Checkpoint.SaveOptimizer(_optimizerD, p),
        ["samples.txt"] = p => TokenSteps.WriteSamples(_generator, _data, _config.Seed, p),
    };

    public void Load(string folder)
    {
        ModuleWeights.Load(_generator, Path.Combine(folder, "generator.safetensors"));
        ModuleWeights.Load(_rollout, Path.Combine(folder, "rollout.safetensors"));
        ModuleWeights.Load(_discriminator, Path.Combine(folder, "discriminator.safetensors"));
        Checkpoint.LoadOptimizer(_optimizerG, Path.Combine(folder, "optimizer_g.bin"));
        Checkpoint.LoadOptimizer(_optimizerD, Path.Combine(folder, "optimizer_d.bin"));
    }

    public void Dispose()
    {
        _optimizerG.Dispose();
        _optimizerD.Dispose();
        _generator.Dispose();
        _rollout.Dispose();
        _discriminator.Dispose();
    }
}
