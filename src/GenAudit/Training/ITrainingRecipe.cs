using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// What a <see cref="Trainer"/> trains and how: the networks, their optimisers and one step of the
/// objective. The trainer owns the loop, history, checkpoints, NaN stop and resume; a recipe owns
/// everything that depends on the model family (GAN, VAE, token MLE, SeqGAN).
/// </summary>
public interface ITrainingRecipe : IDisposable
{
    /// <summary>The latent-to-sample generator to draw and audit (the EMA copy when EMA is on); null when the model is not one (token language models).</summary>
    IGenerativeModel? Sampler { get; }

    /// <summary>
    /// Runs optimisation step <paramref name="step"/> (0-based). Every random draw comes from
    /// <paramref name="random"/> keyed by the step, and every batch from <paramref name="sampler"/>, so a
    /// resumed run repeats an uninterrupted one. Called inside the trainer's dispose scope.
    /// </summary>
    /// <param name="step">The step about to run.</param>
    /// <param name="lrScale">Factor on the configured learning rates (the decay schedule).</param>
    /// <param name="data">The training data.</param>
    /// <param name="sampler">The data order.</param>
    /// <param name="random">The step-keyed random streams.</param>
    /// <param name="measureGradients">Also measure gradient norms (and other costly diagnostics): the step is logged or checkpointed.</param>
    StepMetrics Step(long step, double lrScale, ITrainingData data, EpochSampler sampler, StepRandom random, bool measureGradients);

    /// <summary>The networks, for the manifest.</summary>
    IReadOnlyList<NetworkDescription> Describe();

    /// <summary>Brings the sampler up to date before a checkpoint is written (the EMA generator's batch-norm statistics); nothing by default.</summary>
    void PrepareSampler(long step, StepRandom random) { }

    /// <summary>The files of a checkpoint by name, each with the action that writes it.</summary>
    IReadOnlyDictionary<string, Action<string>> Writers();

    /// <summary>Restores the state written by <see cref="Writers"/> from a checkpoint folder.</summary>
    void Load(string folder);
}

/// <summary>The scalar measurements of one training step, by history key (lossD, lossG, nllOracle, reward, ...).</summary>
public sealed class StepMetrics(Dictionary<string, double> values, double lrG, double? lrD)
{
    /// <summary>
    /// The values of an adversarial step (a GAN's or a recurrent GAN's): both losses, the discriminator's mean
    /// outputs on real and fake, the gradient norms when measured and the penalty when one was applied.
    /// </summary>
    public static Dictionary<string, double> Adversarial(Tensor lossD, Tensor lossG, Tensor dReal, Tensor dFake,
        (double D, double G)? gradientNorms, Tensor? penalty)
    {
        var values = new Dictionary<string, double>
        {
            ["lossD"] = lossD.item<float>(),
            ["lossG"] = lossG.item<float>(),
            ["dReal"] = dReal.item<float>(),
            ["dFake"] = dFake.item<float>(),
        };
        if (gradientNorms is var (d, g))
        {
            values["gradNormD"] = d;
            values["gradNormG"] = g;
        }
        if (penalty is not null) values["penalty"] = penalty.item<float>();
        return values;
    }

    /// <summary>The values by key; every one must be finite or the run stops.</summary>
    public IReadOnlyDictionary<string, double> Values => values;

    /// <summary>The history line of this step.</summary>
    public HistoryEntry ToHistory(long step, double seconds) => new()
    {
        Step = step,
        LossD = Get("lossD"), LossG = Get("lossG"), GradNormD = Get("gradNormD"), GradNormG = Get("gradNormG"),
        DReal = Get("dReal"), DFake = Get("dFake"), Penalty = Get("penalty"),
        Loss = Get("loss"), Recon = Get("recon"), Kl = Get("kl"),
        NllOracle = Get("nllOracle"), Reward = Get("reward"), Entropy = Get("entropy"), DAccuracy = Get("dAccuracy"),
        Novelty = Get("novelty"), PredictorLoss = Get("predictorLoss"), BonusShare = Get("bonusShare"),
        LrG = lrG, LrD = lrD, Seconds = Math.Round(seconds, 3),
    };

    double? Get(string key) => values.TryGetValue(key, out var v) ? v : null;
}
