using GenAudit.Models;

namespace GenAudit.Training;

/// <summary>The GAN objective.</summary>
public enum GanLoss
{
    /// <summary>Non-saturating loss (Goodfellow et al. 2014): D minimises softplus(−D(x)) + softplus(D(G(z))), G minimises softplus(−D(G(z))).</summary>
    Ns,
    /// <summary>Hinge loss (Lim and Ye 2017; Miyato et al. 2018): D minimises relu(1 − D(x)) + relu(1 + D(G(z))), G minimises −D(G(z)).</summary>
    Hinge,
    /// <summary>Wasserstein loss with gradient penalty (Gulrajani et al. 2017).</summary>
    WganGp,
}

/// <summary>
/// Every setting of a training run, with its default in one place. The CLI flags, the manifest and
/// library callers all use this record, so a flag and a field always mean the same thing.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>The data specification as given to <c>--data</c> (ring8, grid25, oracle, words, mnist, fashion-mnist, or a folder).</summary>
    public string Data { get; init; } = "ring8";

    /// <summary>Image folders: side of the square the images are resized to.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Image folders: keep three colour channels instead of converting to grayscale.</summary>
    public bool Rgb { get; init; }

    /// <summary>How <see cref="Data"/> is loaded (image size and colour for folders; train or test split).</summary>
    public GenAudit.Data.DatasetOptions DataOptions(GenAudit.Data.DataSplit split = GenAudit.Data.DataSplit.Train) => new()
    {
        Split = split,
        ImageSize = ImageSize,
        Color = Rgb ? GenAudit.Data.ColorMode.Rgb : GenAudit.Data.ColorMode.Grayscale,
        MixtureSeed = split == GenAudit.Data.DataSplit.Train ? 0 : 1,
        OracleSeed = Sequence?.OracleSeed ?? 0,
        SequenceLength = Sequence?.Length ?? GenAudit.Data.TokenOracle.DefaultLength,
        SeriesWindow = Series?.Window ?? GenAudit.Data.SeriesCsv.DefaultWindow,
    };

    /// <summary>Token-sequence settings (length, oracle, SeqGAN's roll-outs and pre-training); null for points and images.</summary>
    public SequenceOptions? Sequence { get; init; }

    /// <summary>Real-valued sequence settings (the CSV window); null unless the model is a recurrent GAN (rcgan, crnngan).</summary>
    public SeriesOptions? Series { get; init; }

    /// <summary>Architecture and family; its DataShape and ConditionCount are filled in from the data.</summary>
    public ModelConfig Model { get; init; } = new();

    /// <summary>GAN objective (ignored by VAEs).</summary>
    public GanLoss Loss { get; init; } = GanLoss.Ns;

    /// <summary>R1 penalty weight γ (Mescheder et al. 2018): γ/2 · E‖∇ₓD(x)‖² on real data; 0 disables it.</summary>
    public double R1Gamma { get; init; }

    /// <summary>Gradient-penalty weight λ (Gulrajani et al. 2017): λ · E(‖∇D(x̂)‖ − 1)² on interpolates; 0 disables it. Defaults to 10 for WGAN-GP when not set.</summary>
    public double? GradientPenaltyWeight { get; init; }

    /// <summary>L1 weight penalty on the weights (not biases or normalisation parameters) of every network.</summary>
    public double L1Weight { get; init; }

    /// <summary>L2 weight penalty on the weights (not biases or normalisation parameters) of every network.</summary>
    public double L2Weight { get; init; }

    /// <summary>Decay β of the exponential moving average of generator weights (Karras et al. 2018; Yazıcı et al. 2019); 0 disables EMA.</summary>
    public double EmaDecay { get; init; }

    /// <summary>
    /// Re-estimate the EMA generator's batch-norm statistics for its averaged weights whenever a checkpoint is
    /// written (<see cref="Ema.ReestimateBatchNorm"/>, 8 passes of 256 latents); false keeps the trained
    /// generator's statistics, as runs made before this setting existed did. Default: false here (so older
    /// manifests read as they ran), true in <see cref="DefaultsFor"/>.
    /// </summary>
    public bool EmaBatchNormReestimate { get; init; }

    /// <summary>Number of optimisation steps (generator updates for GANs).</summary>
    public long Steps { get; init; } = 3000;

    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; } = 64;

    // Adam's settings default by objective: unset, they read as Gulrajani et al.'s for a WGAN-GP and as
    // DCGAN's (Radford et al. 2016) otherwise. A manifest records the values read, so a run keeps them.
    readonly double? _learningRateG, _learningRateD, _beta1, _beta2;

    bool IsWganGp => (Model.IsGan || Model.IsSeries) && Loss == GanLoss.WganGp;

    /// <summary>Adam learning rate of the generator (or of the VAE). Default: 1e-4 for a WGAN-GP (Gulrajani et al. 2017, Algorithm 1), 2e-4 otherwise.</summary>
    public double LearningRateG { get => _learningRateG ?? (IsWganGp ? 1e-4 : 2e-4); init => _learningRateG = value; }

    /// <summary>Adam learning rate of the discriminator. Default: 1e-4 for a WGAN-GP, 2e-4 otherwise.</summary>
    public double LearningRateD { get => _learningRateD ?? (IsWganGp ? 1e-4 : 2e-4); init => _learningRateD = value; }

    /// <summary>Adam β₁. Default: 0 for a WGAN-GP (Gulrajani et al. 2017), 0.5 otherwise.</summary>
    public double Beta1 { get => _beta1 ?? (IsWganGp ? 0.0 : 0.5); init => _beta1 = value; }

    /// <summary>Adam β₂. Default: 0.9 for a WGAN-GP (Gulrajani et al. 2017), 0.999 otherwise.</summary>
    public double Beta2 { get => _beta2 ?? (IsWganGp ? 0.9 : 0.999); init => _beta2 = value; }

    /// <summary>
    /// Final learning rate as a fraction of the initial one; the rate decays exponentially,
    /// lr(s) = lr₀ · f^(s / Steps). 1 keeps it constant.
    /// </summary>
    public double LearningRateDecay { get; init; } = 1.0;

    /// <summary>Discriminator updates per generator update. Defaults to 5 for WGAN-GP and 1 otherwise.</summary>
    public int? DiscriminatorSteps { get; init; }

    /// <summary>GANs: a novelty bonus for the generator (<see cref="CuriosityOptions"/>); null (the default, and what manifests written before it read as) is none.</summary>
    public CuriosityOptions? Curiosity { get; init; }

    /// <summary>GANs: weight λ of MSGAN's mode-seeking term (Mao et al. 2019, <see cref="ModeSeeking"/>) in the generator loss; 0 (the default) disables it.</summary>
    public double ModeSeekingWeight { get; init; }

    /// <summary>GANs: PacGAN packing degree m (Lin et al. 2018): the discriminator scores m samples concatenated (<see cref="Packing"/>); 1 (the default) is no packing.</summary>
    public int Pack { get; init; } = 1;

    /// <summary>VAE: weight β of the KL term in the ELBO (Higgins et al. 2017); 1 is the plain ELBO.</summary>
    public double VaeBeta { get; init; } = 1.0;

    /// <summary>Seed for weights, latent draws and data order.</summary>
    public long Seed { get; init; }

    /// <summary>A history line is written every this many steps.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>A checkpoint (weights, optimiser state, sample grid) is written every this many steps, and always at the end.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Also write history lines and checkpoint sample grids as TensorBoard events in the run folder (<c>--no-tensorboard</c> turns it off).</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>How many checkpoints to keep (oldest removed first).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Intra-op CPU threads for libtorch; 0 uses every core. Results are bit-reproducible only for a fixed count.</summary>
    public int Threads { get; init; }

    /// <summary>"cpu" or "cuda".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Effective gradient-penalty weight.</summary>
    public double EffectiveGradientPenalty => GradientPenaltyWeight ?? (Loss == GanLoss.WganGp ? 10.0 : 0.0);

    /// <summary>Effective discriminator steps per generator step.</summary>
    public int EffectiveDiscriminatorSteps => DiscriminatorSteps ?? (Loss == GanLoss.WganGp ? 5 : 1);

    /// <summary>Checks ranges and combinations; throws <see cref="ArgumentException"/> naming the option and the fix.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(Steps >= 1, $"--steps must be at least 1, got {Steps}");
        Check(BatchSize >= 2, $"--batch must be at least 2, got {BatchSize}");
        Check(R1Gamma >= 0 && double.IsFinite(R1Gamma), $"--r1 must be a finite number ≥ 0, got {R1Gamma}");
        Check(EffectiveGradientPenalty >= 0 && double.IsFinite(EffectiveGradientPenalty), $"--gp must be a finite number ≥ 0, got {EffectiveGradientPenalty}");
        Check(L1Weight >= 0 && double.IsFinite(L1Weight), $"--l1 must be a finite number ≥ 0, got {L1Weight}");
        Check(L2Weight >= 0 && double.IsFinite(L2Weight), $"--l2 must be a finite number ≥ 0, got {L2Weight}");
        Check(EmaDecay >= 0 && EmaDecay < 1, $"--ema must be in [0, 1), got {EmaDecay}");
        Check(LearningRateG > 0 && LearningRateD > 0, "learning rates must be positive");
        Check(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1, "Adam betas must be in [0, 1)");
        Check(LearningRateDecay > 0 && LearningRateDecay <= 1, $"--lr-decay must be in (0, 1], got {LearningRateDecay}");
        Check(EffectiveDiscriminatorSteps >= 1, $"--d-steps must be at least 1, got {EffectiveDiscriminatorSteps}");
        Check(VaeBeta >= 0, $"--beta must be ≥ 0, got {VaeBeta}");
        Check(LogEvery >= 1 && CheckpointEvery >= 1 && KeepCheckpoints >= 1, "log, checkpoint and keep counts must be at least 1");
        Check(Threads >= 0, $"--threads must be ≥ 0, got {Threads}");
        Check(ImageSize >= 8 && ImageSize % 4 == 0, $"--image-size must be a multiple of 4 and at least 8, got {ImageSize}");
        Check(Device is "cpu" or "cuda", $"--device must be cpu or cuda, got '{Device}'");
        Check(Model.IsGan || Model.IsSeries || (R1Gamma == 0 && GradientPenaltyWeight is null or 0 && EmaDecay == 0 && !Model.SpectralNorm),
            "--r1, --gp, --ema and --spectral-norm apply to GANs only");
        Check(Model.IsTokenSequence == Sequence is not null, Model.IsTokenSequence
            ? $"a {Model.Family} run needs sequence settings (TrainingConfig.Sequence)"
            : $"sequence settings apply to token models (--model mle, seqgan), not {Model.Family}");
        Sequence?.Validate();
        Check(Model.IsSeries == Series is not null, Model.IsSeries
            ? $"a {Model.Family} run needs series settings (TrainingConfig.Series)"
            : $"series settings apply to recurrent GANs (--model rcgan, crnngan), not {Model.Family}");
        Series?.Validate();
        Check(Model.IsGan || (Curiosity is null && ModeSeekingWeight == 0 && Pack == 1),
            "--curiosity, --mode-seeking and --pack apply to GANs (--model gan or cgan) only");
        Curiosity?.Validate(Model);
        Check(ModeSeekingWeight >= 0 && double.IsFinite(ModeSeekingWeight), $"--mode-seeking must be a finite number ≥ 0, got {ModeSeekingWeight}");
        Check(ModeSeekingWeight == 0 || BatchSize >= 4, $"--mode-seeking pairs the two halves of a batch; --batch must be at least 4, got {BatchSize}");
        Check(Pack is >= 1 and <= 4, $"--pack must be 1 (off), 2, 3 or 4, got {Pack}");
        Check(Pack == 1 || BatchSize % Pack == 0, $"--pack {Pack} groups the batch into packs of {Pack}; --batch ({BatchSize}) must be a multiple of {Pack}");
        Check(Pack == 1 || !Model.IsConditional, "--pack applies to unconditional GANs (--model gan); a packed discriminator has no single label to project");
        Check(Pack == 1 || EffectiveGradientPenalty == 0, "--pack with a gradient penalty (--gp, wgan-gp) is not supported: the penalty's gradient norm is per sample, not per pack; use --r1 or --loss ns/hinge");
        if (Model.Family == ModelFamily.SeqGan)
            Check(Sequence!.PretrainGeneratorSteps + Sequence.PretrainDiscriminatorSteps < Steps,
                $"--steps ({Steps}) counts SeqGAN's pre-training too and must exceed --pretrain-g + --pretrain-d ({Sequence.PretrainGeneratorSteps} + {Sequence.PretrainDiscriminatorSteps}) to leave adversarial steps");
        Model.Validate();
    }

    /// <summary>Noise values per step of the defaults for audio (digits-speech): 8, a fifth of its 40 mel bands.</summary>
    public const int AudioNoisePerStep = 8;

    /// <summary>
    /// The defaults for a data set and GAN objective: those that make the 2D mixture benchmarks train
    /// well (see docs/benchmarks.md for the measurements behind them), except that a WGAN-GP keeps
    /// Gulrajani et al.'s Adam settings (lr 1e-4, β = (0, 0.9)) on every data set.
    /// </summary>
    public static TrainingConfig DefaultsFor(string data, GanLoss loss = GanLoss.Ns)
    {
        if (GenAudit.Data.DatasetRegistry.IsTokenSequences(data))
        {
            // SeqGAN's generator and optimiser (Yu et al. 2017, code): embedding 32, one LSTM layer of 32,
            // batch 64, Adam lr 0.01 with default betas; its discriminator learns at 1e-4.
            return new TrainingConfig
            {
                Data = data,
                Model = new ModelConfig { Family = ModelFamily.Mle, EmbeddingSize = 32, Width = 32, Depth = 1, DataShape = [GenAudit.Data.TokenOracle.DefaultLength] },
                Sequence = new SequenceOptions(),
                BatchSize = 64,
                Steps = 3000,
                LearningRateG = 1e-2,
                LearningRateD = 1e-4,
                Beta1 = 0.9,
                Beta2 = 0.999,
                CheckpointEvery = 500,
            };
        }
        if (GenAudit.Data.DatasetRegistry.IsAudio(data))
        {
            // digits-speech as 65 log-mel frames × 40 bands: an LSTM of 64 units reads 8 fresh noise values per frame
            // (seconds per step on 2 CPU cores in docs/data.md#digits-speech).
            var frames = new GenAudit.Data.LogMelFrames();
            return new TrainingConfig
            {
                Data = data,
                Model = new ModelConfig { Family = ModelFamily.Rcgan, LatentSize = AudioNoisePerStep * frames.Frames, Width = 64, Depth = 1, DataShape = [frames.Frames, frames.Bands] },
                Series = new SeriesOptions(),
                Loss = loss,
                BatchSize = 32,
                Steps = 2000,
                LearningRateG = loss == GanLoss.WganGp ? 1e-4 : 1e-3,
                LearningRateD = loss == GanLoss.WganGp ? 1e-4 : 1e-3,
                CheckpointEvery = 500,
            };
        }
        if (GenAudit.Data.DatasetRegistry.IsSeries(data))
        {
            // Small LSTMs that train on 2 CPU cores in minutes; TimeGAN's benchmark networks are 3 layers of 24 units.
            return new TrainingConfig
            {
                Data = data,
                Model = new ModelConfig { Family = ModelFamily.Rcgan, LatentSize = SeriesOptions.DefaultNoisePerStep * GenAudit.Data.SeriesCsv.DefaultWindow, Width = 32, Depth = 1, DataShape = [GenAudit.Data.Sines.DefaultLength, GenAudit.Data.Sines.DefaultFeatures] },
                Series = new SeriesOptions(),
                Loss = loss,
                BatchSize = 64,
                Steps = 3000,
                LearningRateG = loss == GanLoss.WganGp ? 1e-4 : 1e-3,
                LearningRateD = loss == GanLoss.WganGp ? 1e-4 : 1e-3,
                CheckpointEvery = 500,
            };
        }
        if (data is not ("ring8" or "grid25"))
        {
            return new TrainingConfig
            {
                Data = data,
                Model = new ModelConfig { LatentSize = 64, Width = 64, DataShape = [1, 28, 28], Activation = HiddenActivation.Silu },
                Loss = loss,
                BatchSize = 64,
                Steps = 3000,
                EmaBatchNormReestimate = true,
            };
        }
        var mixture = new TrainingConfig
        {
            Data = data,
            Model = new ModelConfig { LatentSize = 16, Width = 128, Depth = 3 },
            Loss = loss,
            BatchSize = 256,
            R1Gamma = 0.1,
            LearningRateDecay = 0.1,
            Steps = 20000,
            EmaDecay = 0.999,
            EmaBatchNormReestimate = true,
            CheckpointEvery = 2000,
            Threads = 1,
        };
        // The learning rate was tuned for the non-saturating loss; a WGAN-GP keeps Gulrajani et al.'s.
        return loss == GanLoss.WganGp ? mixture : mixture with { LearningRateG = 2e-3, LearningRateD = 2e-3 };
    }
}
