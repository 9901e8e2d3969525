using System.ComponentModel;
using System.Globalization;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit train: trains a model into a run directory, with a live progress bar.</summary>
public sealed class TrainCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<TrainCommand.Settings>
{
    /// <summary>Options of <c>genaudit train</c>; unset options take the defaults of <see cref="TrainingConfig.DefaultsFor"/>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Seed = "Seed for weights, latent draws and data order. Default: 0.",
            Out = new("Run directory (created; must not hold a run unless --resume). Default: runs/<data>-<model>.", Folder: true),
        };

        /// <summary>Data to train on.</summary>
        [CommandOption("--data <DATA>")]
        [Description("ring8 | grid25 | oracle (SeqGAN's synthetic LSTM, token sequences) | words[[:FILE]] (English words from wamerican, characters) | brown (Brown corpus sentences, words) | text:FILE (your UTF-8 text, one sequence a line, words) | sines (TimeGAN's 5-feature sines, length 24) | digits-speech (spoken digits by espeak-ng as 65 log-mel frames × 40 bands; built into the cache on first use, a few minutes) | series:FILE.csv (rows = time steps, columns = features) | mnist | stacked-mnist (three digits as channels, 1,000 modes) | fashion-mnist[[:FOLDER]] | FOLDER of class subfolders. Default: ring8 (or the run's data with --resume).")]
        public string? Data { get; init; }

        /// <summary>Image size for folders.</summary>
        [CommandOption("--image-size <PX>")]
        [Description("Image folders: resize to PX×PX (a multiple of 4). Default: 28.")]
        public int? ImageSize { get; init; }

        /// <summary>RGB for folders.</summary>
        [CommandOption("--rgb")]
        [Description("Image folders: keep colour (3 channels) instead of grayscale.")]
        public bool? Rgb { get; init; }

        /// <summary>Model family.</summary>
        [CommandOption("--model <MODEL>")]
        [Description("gan | cgan | vae | cvae for points and images; mle | seqgan for token sequences; rcgan | crnngan for real-valued sequences and speech. Default: gan, or mle for token data (oracle, words, brown, text:FILE), rcgan for sines, digits-speech and series.")]
        public string? Model { get; init; }

        /// <summary>Window length of a series CSV.</summary>
        [CommandOption("--window <T>")]
        [Description("series:FILE.csv: steps per training window (overlapping windows, stride 1). Default: 24, as TimeGAN.")]
        public int? Window { get; init; }

        /// <summary>Sequence length of the oracle.</summary>
        [CommandOption("--length <T>")]
        [Description("oracle: tokens per sequence. Default: 20 (SeqGAN); 40 is LeakGAN's long variant.")]
        public int? Length { get; init; }

        /// <summary>Seed of the oracle.</summary>
        [CommandOption("--oracle-seed <SEED>")]
        [Description("oracle: seed of the oracle LSTM's N(0, 1) parameters; another seed is another oracle. Default: 0.")]
        public long? OracleSeed { get; init; }

        /// <summary>Samples for NLL-oracle.</summary>
        [CommandOption("--oracle-samples <N>")]
        [Description("oracle: sequences sampled at every logged step to measure NLL-oracle (0 = off). Default: 1000.")]
        public int? OracleSamples { get; init; }

        /// <summary>Conditional recurrent GAN.</summary>
        [CommandOption("--conditional")]
        [Description("rcgan/crnngan on labelled sequences (digits-speech): both networks read the class as a one-hot vector at every step (RCGAN's conditional variant), so generate can ask for a digit. Images use --model cgan or cvae instead.")]
        public bool? Conditional { get; init; }

        /// <summary>Recurrent cell of a token generator.</summary>
        [CommandOption("--cell <CELL>")]
        [Description("mle/seqgan: the generator's recurrent cell, lstm | gru. Default: lstm (SeqGAN's).")]
        public string? Cell { get; init; }

        /// <summary>SeqGAN generator pre-training.</summary>
        [CommandOption("--pretrain-g <STEPS>")]
        [Description("seqgan: the first STEPS steps pre-train the generator by MLE. Default: 2500.")]
        public long? PretrainGenerator { get; init; }

        /// <summary>SeqGAN discriminator pre-training.</summary>
        [CommandOption("--pretrain-d <STEPS>")]
        [Description("seqgan: the next STEPS steps pre-train the discriminator; the rest of --steps are adversarial. Default: 400.")]
        public long? PretrainDiscriminator { get; init; }

        /// <summary>SeqGAN roll-outs.</summary>
        [CommandOption("--rollouts <N>")]
        [Description("seqgan: Monte-Carlo roll-outs per prefix for each token's reward. Default: 16.")]
        public int? Rollouts { get; init; }

        /// <summary>GAN loss.</summary>
        [CommandOption("--loss <LOSS>")]
        [Description("ns (non-saturating) | hinge | wgan-gp. Default: ns.")]
        public string? Loss { get; init; }

        /// <summary>R1 weight.</summary>
        [CommandOption("--r1 <GAMMA>")]
        [Description("R1 penalty weight γ on real data (Mescheder et al. 2018). Default: 0.1 for ring8/grid25, 0 otherwise.")]
        public double? R1 { get; init; }

        /// <summary>Gradient penalty weight.</summary>
        [CommandOption("--gp <LAMBDA>")]
        [Description("Gradient-penalty weight λ (Gulrajani et al. 2017). Default: 10 with wgan-gp, 0 otherwise.")]
        public double? GradientPenalty { get; init; }

        /// <summary>Spectral norm on the discriminator.</summary>
        [CommandOption("--spectral-norm")]
        [Description("Spectral normalisation on every discriminator layer (Miyato et al. 2018).")]
        public bool? SpectralNorm { get; init; }

        /// <summary>EMA decay.</summary>
        [CommandOption("--ema <BETA>")]
        [Description("Keep an exponential moving average of generator weights with decay β (0 = off). Default: 0.999 for ring8/grid25, 0 otherwise.")]
        public double? Ema { get; init; }

        /// <summary>L1 weight penalty.</summary>
        [CommandOption("--l1 <W>")]
        [Description("L1 penalty on the weights of every network. Default: 0.")]
        public double? L1 { get; init; }

        /// <summary>L2 weight penalty.</summary>
        [CommandOption("--l2 <W>")]
        [Description("L2 penalty on the weights of every network. Default: 0.")]
        public double? L2 { get; init; }

        /// <summary>Curiosity bonus.</summary>
        [CommandOption("--curiosity <KIND>")]
        [Description("GANs: reward the generator for novel samples. rnd (random network distillation, Burda et al. 2018) | count (kernel pseudo-count over the last 2,048 samples; points only) | none. Default: none.")]
        public string? Curiosity { get; init; }

        /// <summary>Curiosity weight.</summary>
        [CommandOption("--curiosity-weight <LAMBDA>")]
        [Description("Weight λ of the normalised novelty bonus in the generator loss (loss − λ·bonus). Default: 1.")]
        public double? CuriosityWeight { get; init; }

        /// <summary>Mode-seeking weight.</summary>
        [CommandOption("--mode-seeking <LAMBDA>")]
        [Description("GANs: weight of MSGAN's mode-seeking term 1/(mean|G(z1)−G(z2)| / mean|z1−z2| + 1e-5) (Mao et al. 2019). Default: 0 (off).")]
        public double? ModeSeeking { get; init; }

        /// <summary>PacGAN packing.</summary>
        [CommandOption("--pack <M>")]
        [Description("Unconditional GANs: PacGAN packing (Lin et al. 2018), the discriminator scores M samples concatenated: 2 | 3 | 4. Default: 1 (off).")]
        public int? Pack { get; init; }

        /// <summary>Step count.</summary>
        [CommandOption("--steps <N>")]
        [Description("Optimisation steps (generator updates). Default: 20000 for ring8/grid25, 3000 otherwise.")]
        public long? Steps { get; init; }

        /// <summary>Epoch count.</summary>
        [CommandOption("--epochs <N>")]
        [Description("Train for N passes over the data instead of --steps.")]
        public int? Epochs { get; init; }

        /// <summary>Batch size.</summary>
        [CommandOption("--batch <B>")]
        [Description("Batch size. Default: 256 for ring8/grid25, 64 otherwise.")]
        public int? Batch { get; init; }

        /// <summary>Latent size.</summary>
        [CommandOption("--latent <D>")]
        [Description("Latent size. Default: 16 for ring8/grid25, 64 otherwise; rcgan/crnngan: T × noise per step, 5 × T (120 for sines); mle/seqgan: size of the latent z that sets the generator's initial state, 0 = none (default).")]
        public int? Latent { get; init; }

        /// <summary>Network width.</summary>
        [CommandOption("--width <W>")]
        [Description("MLP hidden width (2D), base channel count (images) or LSTM hidden size (sequences). Default: 128 / 64 / 32.")]
        public int? Width { get; init; }

        /// <summary>MLP depth.</summary>
        [CommandOption("--depth <N>")]
        [Description("Hidden layers of each MLP (2D data; images use fixed DCGAN depths), or stacked LSTM layers (sequences). Default: 3 for ring8/grid25, 1 for sequences.")]
        public int? Depth { get; init; }

        /// <summary>Generator hidden activation.</summary>
        [CommandOption("--activation <A>")]
        [Description("Hidden activation of the generator / VAE decoder: relu | silu (smooth; Integrated Gradients then converges in 50 steps). Default: silu for images, relu for ring8/grid25.")]
        public string? Activation { get; init; }

        /// <summary>Learning rate of G.</summary>
        [CommandOption("--lr <LR>")]
        [Description("Adam learning rate of the generator (and of the discriminator unless --lr-d). Default: 1e-4 with wgan-gp (Gulrajani et al.'s Adam, betas (0, 0.9)); otherwise 2e-3 for ring8/grid25 and 2e-4 (betas (0.5, 0.999)).")]
        public double? LearningRate { get; init; }

        /// <summary>Learning rate of D.</summary>
        [CommandOption("--lr-d <LR>")]
        [Description("Adam learning rate of the discriminator.")]
        public double? LearningRateD { get; init; }

        /// <summary>Learning-rate decay.</summary>
        [CommandOption("--lr-decay <F>")]
        [Description("Final learning rate as a fraction of the first (exponential decay). Default: 0.1 for ring8/grid25, 1 otherwise.")]
        public double? LearningRateDecay { get; init; }

        /// <summary>D steps per G step.</summary>
        [CommandOption("--d-steps <K>")]
        [Description("Discriminator updates per generator update. Default: 5 with wgan-gp, 1 otherwise.")]
        public int? DiscriminatorSteps { get; init; }

        /// <summary>VAE β.</summary>
        [CommandOption("--beta <BETA>")]
        [Description("VAE: weight of the KL term. Default: 1.")]
        public double? Beta { get; init; }

        /// <summary>VAE likelihood.</summary>
        [CommandOption("--likelihood <L>")]
        [Description("VAE decoder likelihood: bernoulli | gaussian. Default: bernoulli.")]
        public string? Likelihood { get; init; }

        /// <summary>Threads.</summary>
        [CommandOption("--threads <N>")]
        [Description("CPU threads for libtorch (0 = all). Results are bit-reproducible for a fixed count. Default: 1 for ring8/grid25, 0 otherwise.")]
        public int? Threads { get; init; }

        /// <summary>Device.</summary>
        [CommandOption("--device <DEVICE>")]
        [Description("cpu | cuda. Default: cpu.")]
        public string? Device { get; init; }

        /// <summary>Checkpoint interval.</summary>
        [CommandOption("--checkpoint-every <N>")]
        [Description("Write a checkpoint every N steps (and at the end).")]
        public int? CheckpointEvery { get; init; }

        /// <summary>Log interval.</summary>
        [CommandOption("--log-every <N>")]
        [Description("Write a history line every N steps. Default: 50.")]
        public int? LogEvery { get; init; }

        /// <summary>TensorBoard switch.</summary>
        [CommandOption("--no-tensorboard")]
        [Description("Do not write TensorBoard event files. By default the history and each checkpoint's samples are also written to events.out.tfevents.* in the run directory (tensorboard --logdir runs).")]
        public bool? NoTensorBoard { get; init; }

        /// <summary>Resume flag.</summary>
        [CommandOption("--resume")]
        [Description("Continue the run in --out from its newest checkpoint; only --steps may be changed.")]
        public bool Resume { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (Steps is not null && Epochs is not null) return ValidationResult.Error("give --steps or --epochs, not both");
            if (Resume && Out is null) return ValidationResult.Error("--resume needs --out DIR, the run to continue");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureLoaded();
        TrainingConfig config;
        string data;
        if (settings.Resume)
        {
            var manifest = Json.ReadFile<RunManifest>(new RunDirectory(settings.Out!).Manifest);
            config = manifest.Config;
            data = config.Data;
            var changed = ChangedOptions(settings).Where(o => o != "--steps").ToList();
            if (changed.Count > 0)
                throw new ArgumentException($"--resume takes its settings from the run's manifest; only --steps may be given, not {string.Join(", ", changed)}");
            if (settings.Steps is { } steps) config = config with { Steps = steps };
        }
        else
        {
            data = settings.Data ?? "ring8";
            config = BuildConfig(settings, data);
        }

        console.MarkupLineInterpolated($"Loading [bold]{data}[/] ...");
        var loaded = DatasetRegistry.Resolve(data, config.DataOptions());
        if (loaded is ImageDataset { SkippedFiles.Count: > 0 } images)
        {
            console.MarkupLineInterpolated($"[yellow]Skipped {images.SkippedFiles.Count} unreadable file(s)[/] in {data}:");
            foreach (var skipped in images.SkippedFiles.Take(10)) console.MarkupLineInterpolated($"  {skipped.Path}: {skipped.Reason}");
        }
        using var dataset = TrainingDataLoader.From(loaded);
        if (!settings.Resume && settings.Epochs is { } epochs)
        {
            long batchesPerEpoch = dataset.Count / config.BatchSize;
            config = config with { Steps = Math.Max(1, epochs * batchesPerEpoch / (config.Model.IsGan || config.Model.IsSeries ? config.EffectiveDiscriminatorSteps : 1)) };
        }
        var output = settings.Out ?? Path.Combine("runs", $"{SafeName(data)}-{config.Model.Family.ToString().ToLowerInvariant()}");
        using var trainer = new Trainer(config, dataset, output, settings.Resume, new CheckpointCharts());
        console.MarkupLineInterpolated($"Training [bold]{trainer.Config.Model.Family.ToString().ToLowerInvariant()}[/] on {dataset.Name} ({dataset.Count} samples, fingerprint {dataset.Fingerprint[..12]}) into [bold]{output}[/], steps {trainer.Step} → {trainer.Config.Steps}");

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); };
        Console.CancelKeyPress += onCancel;
        TrainingResult result;
        try
        {
            result = TrainingProgressView.Run(console, progressOptions, trainer, interrupt.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        var run = new RunDirectory(output);
        if (result.Outcome == TrainingOutcome.Interrupted)
        {
            console.MarkupLineInterpolated($"[yellow]Interrupted[/] at step {result.Step}; checkpoint written to {result.CheckpointFolder}. Continue with: genaudit train --out {output} --resume");
            return ExitCode.Interrupted;
        }
        // Latent-to-sample generators get sample grids and a loss curve from CheckpointCharts; token models write samples.txt into each checkpoint.
        if (File.Exists(run.LossPlot))
            console.MarkupLineInterpolated($"[green]Done[/]: {result.Step} steps in {result.Elapsed.TotalSeconds:F1} s. Checkpoint {result.CheckpointFolder}; samples in {run.Samples}; loss curve {run.LossPlot}");
        else
            console.MarkupLineInterpolated($"[green]Done[/]: {result.Step} steps in {result.Elapsed.TotalSeconds:F1} s. Checkpoint {result.CheckpointFolder} (samples.txt holds samples); history {run.History}");
        return ExitCode.Ok;
    }

    static TrainingConfig BuildConfig(Settings s, string data)
    {
        var loss = s.Loss is null ? GanLoss.Ns : ParseEnum<GanLoss>(s.Loss.Replace("-", ""), "--loss", "ns, hinge, wgan-gp");
        var defaults = TrainingConfig.DefaultsFor(data, loss);
        var family = s.Model is null ? defaults.Model.Family : ParseEnum<ModelFamily>(s.Model, "--model", "gan, cgan, vae, cvae, mle, seqgan, rcgan, crnngan");
        bool series = family is ModelFamily.Rcgan or ModelFamily.CrnnGan;
        if (series != defaults.Series is not null)
            throw new ArgumentException(series
                ? $"--model {s.Model} trains on real-valued sequences; use --data sines, digits-speech or series:FILE.csv, not '{data}'"
                : $"'{data}' holds real-valued sequences; train it with --model rcgan or crnngan");
        bool csvSeries = data.Trim().StartsWith("series:", StringComparison.OrdinalIgnoreCase);
        if (s.Window is not null && !csvSeries)
            throw new ArgumentException("--window applies to --data series:FILE.csv (sines are always 24 steps, digits-speech 65 frames)");
        var seriesOptions = !series ? null : new SeriesOptions { Window = s.Window ?? SeriesCsv.DefaultWindow };
        if (s.Conditional == true && !series)
            throw new ArgumentException("--conditional applies to --model rcgan or crnngan; for images and points choose --model cgan or cvae");
        bool tokens = family is ModelFamily.Mle or ModelFamily.SeqGan;
        if (tokens && defaults.Sequence is null) throw new ArgumentException($"--model {s.Model} trains on token sequences; use --data oracle, words, brown or text:FILE, not '{data}'");
        if (!tokens && (s.Length ?? s.OracleSamples ?? s.Rollouts ?? (object?)s.OracleSeed ?? s.PretrainGenerator ?? s.PretrainDiscriminator ?? (object?)s.Cell) is not null)
            throw new ArgumentException("--length, --oracle-seed, --oracle-samples, --pretrain-g, --pretrain-d, --rollouts and --cell apply to token models (--model mle or seqgan)");
        if (tokens && s.Latent is < 0) throw new ArgumentException($"--latent must be 0 (no state latent) or more for a token model, got {s.Latent}");
        var sequence = !tokens ? null : defaults.Sequence! with
        {
            Length = s.Length ?? defaults.Sequence!.Length,
            OracleSeed = s.OracleSeed ?? defaults.Sequence.OracleSeed,
            OracleEvaluationSamples = s.OracleSamples ?? defaults.Sequence.OracleEvaluationSamples,
            PretrainGeneratorSteps = s.PretrainGenerator ?? defaults.Sequence.PretrainGeneratorSteps,
            PretrainDiscriminatorSteps = s.PretrainDiscriminator ?? defaults.Sequence.PretrainDiscriminatorSteps,
            Rollouts = s.Rollouts ?? defaults.Sequence.Rollouts,
        };
        var likelihood = s.Likelihood is null ? defaults.Model.Likelihood : ParseEnum<VaeLikelihood>(s.Likelihood, "--likelihood", "bernoulli, gaussian");
        bool gan = family is ModelFamily.Gan or ModelFamily.Cgan;
        if (s.CuriosityWeight is not null && s.Curiosity is null or "none")
            throw new ArgumentException("--curiosity-weight needs --curiosity rnd or count");
        var curiosity = s.Curiosity is null || s.Curiosity.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : new CuriosityOptions
        {
            Kind = ParseEnum<CuriosityKind>(s.Curiosity, "--curiosity", "rnd, count, none"),
        };
        if (curiosity is not null && s.CuriosityWeight is { } curiosityWeight) curiosity = curiosity with { Weight = curiosityWeight };
        var config = defaults with
        {
            Data = data,
            Curiosity = curiosity,
            ModeSeekingWeight = s.ModeSeeking ?? 0,
            Pack = s.Pack ?? 1,
            ImageSize = s.ImageSize ?? defaults.ImageSize,
            Rgb = s.Rgb ?? false,
            Model = defaults.Model with
            {
                Family = family,
                // A token model's --latent is its state latent; its LatentSize stays the record's default, which it does not use.
                LatentSize = tokens ? defaults.Model.LatentSize : s.Latent ?? (csvSeries && series ? SeriesOptions.DefaultNoisePerStep * seriesOptions!.Window : defaults.Model.LatentSize),
                StateLatentSize = tokens ? s.Latent ?? 0 : 0,
                Cell = s.Cell is null ? RecurrentCell.Lstm : ParseEnum<RecurrentCell>(s.Cell, "--cell", "lstm, gru"),
                Width = s.Width ?? defaults.Model.Width,
                Depth = s.Depth ?? defaults.Model.Depth,
                Activation = s.Activation is null ? defaults.Model.Activation : ParseEnum<HiddenActivation>(s.Activation, "--activation", "relu, silu"),
                SpectralNorm = s.SpectralNorm ?? false,
                ConditionalSeries = s.Conditional ?? false,
                Likelihood = likelihood,
            },
            Sequence = sequence,
            Series = seriesOptions,
            Loss = loss,
            R1Gamma = s.R1 ?? (gan ? defaults.R1Gamma : 0),
            GradientPenaltyWeight = s.GradientPenalty,
            EmaDecay = s.Ema ?? (gan ? defaults.EmaDecay : 0),
            L1Weight = s.L1 ?? defaults.L1Weight,
            L2Weight = s.L2 ?? defaults.L2Weight,
            Steps = s.Steps ?? defaults.Steps,
            BatchSize = s.Batch ?? defaults.BatchSize,
            LearningRateDecay = s.LearningRateDecay ?? defaults.LearningRateDecay,
            DiscriminatorSteps = s.DiscriminatorSteps,
            VaeBeta = s.Beta ?? defaults.VaeBeta,
            Seed = s.Seed ?? defaults.Seed,
            Threads = s.Threads ?? defaults.Threads,
            Device = s.Device ?? defaults.Device,
            CheckpointEvery = s.CheckpointEvery ?? defaults.CheckpointEvery,
            LogEvery = s.LogEvery ?? defaults.LogEvery,
            TensorBoard = s.NoTensorBoard != true,
        };
        // Learning rates left unset keep the record's defaults, which depend on the family and the loss.
        if (s.LearningRate is { } lr) config = config with { LearningRateG = lr, LearningRateD = lr };
        if (s.LearningRateD is { } lrD) config = config with { LearningRateD = lrD };
        return config;
    }

    static IEnumerable<string> ChangedOptions(Settings s)
    {
        foreach (var property in typeof(Settings).GetProperties())
        {
            var option = property.GetCustomAttributes(typeof(CommandOptionAttribute), false).Cast<CommandOptionAttribute>().FirstOrDefault();
            if (option is null || property.Name is nameof(Settings.Out) or nameof(Settings.Resume)) continue;
            if (property.GetValue(s) is not null) yield return "--" + option.LongNames[0];
        }
    }

    static T ParseEnum<T>(string value, string option, string choices) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"{option} must be one of {choices}; got '{value}'");

    static string SafeName(string data) =>
        new string(Path.GetFileName(data.TrimEnd('/', '\\')).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray()) is { Length: > 0 } name ? name : "data";
}

/// <summary>The progress of a training run: ETA and the latest losses, as a live bar or periodic plain lines.</summary>
static class TrainingProgressView
{
    public static TrainingResult Run(IAnsiConsole console, ProgressOptions options, Trainer trainer, CancellationToken cancel) =>
        StepProgress.Run(console, options, "training", steps => trainer.Run(new SynchronousProgress<TrainingProgress>(p =>
        {
            var losses = string.Join(" ", p.Losses
                .Where(kv => kv.Key is "lossD" or "lossG" or "loss" or "recon" or "kl" or "nllOracle" or "reward")
                .Select(kv => $"{kv.Key} {kv.Value.ToString("F3", CultureInfo.InvariantCulture)}"));
            steps.Report(new WorkProgress($"step {p.Step}/{p.TotalSteps} {losses}", checked((int)p.Step), checked((int)p.TotalSteps)));
        }), cancel), alreadyDone: checked((int)trainer.Step));
}
