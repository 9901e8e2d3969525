using System.Diagnostics;
using System.Globalization;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// The demo generator's quality as the demo's audit measures it: trains the demo's MNIST recipe with
/// changes given as key=value pairs, and at chosen steps measures FID, precision, recall, density and
/// coverage in the feature classifier's space with the audit's N (AuditOptions.Quick: 1,000 generated
/// against 1,000 held-out digits, seed 0). The real row measures N training digits against the same
/// N held-out digits with the same extractor, so "FID ratio" = FID(generator) / FID(real).
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- demo-quality
///      [--set loss=hinge,sn=true,lrG=2e-4,...] [--eval 1000,2000,3000] [--name NAME] [--out FILE] [--seed 0] [--keep RUNDIR]
///  or: demo-quality --run RUNDIR --name NAME [--samples PNG] (every checkpoint left in a trained run, e.g. a demo's
///      mnist-dcgan; --samples draws the last checkpoint's EMA generator, statistics re-estimated, as a checkpoint grid)
/// Keys of --set: steps, batch, lr (both), lrG, lrD, beta1, beta2, loss (ns|hinge|wgan-gp), sn, ema, dsteps,
/// width, latent, r1, gp, decay (final lr fraction), act (silu|relu), bnstats (re-estimate the EMA's batch-norm statistics).
/// </summary>
static class DemoQuality
{
    const int SampleCount = 1000;

    public static int Run(string[] args)
    {
        string set = "", name = "", output = "docs/benchmarks-demo-quality.log";
        string? existingRun = null, keep = null, samples = null;
        long seed = 0;
        long[]? evalSteps = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--set": set = Value(); break;
                case "--name": name = Value(); break;
                case "--run": existingRun = Value(); break;
                case "--keep": keep = Value(); break;
                case "--samples": samples = Value(); break;
                case "--out": output = Value(); break;
                case "--seed": seed = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--eval": evalSteps = Value().Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        TorchRuntime.EnsureLoaded();
        var config = Apply(DemoMnistConfig(seed), set) with { CheckpointEvery = 1_000_000, TensorBoard = false };
        evalSteps ??= [config.Steps];
        if (name == "") name = set == "" ? "demo" : set;

        var train = DatasetRegistry.Resolve("mnist", config.DataOptions(DataSplit.Train));
        var test = DatasetRegistry.Resolve("mnist", config.DataOptions(DataSplit.Test));
        var (extractor, classifier) = FeatureSpaces.For(OutputKind.Images, train).Open(train, test, "mnist", new Progress<string>(Console.WriteLine));
        using var _ = classifier;
        // The audit's quality options (AuditOptions.Quick); copy detection is not read here, so it compares against a small subsample.
        var evaluator = new QualityEvaluator(extractor, train, test, new QualityEvaluationOptions
        {
            SampleCount = SampleCount, Seed = seed, MaxRealSamples = SampleCount, MaxCopyTrainingSamples = 2000,
        });

        var lines = new List<string>();
        (double Fid, PrecisionRecallDensityCoverageResult Prdc)? realRow = null;
        // What the run samples with (the EMA generator when EMA is on), the trained generator itself,
        // and the EMA generator with its batch-norm statistics re-estimated for its own weights.
        void EvaluateCheckpoint(ModelConfig model, string checkpoint, long step, double seconds)
        {
            var variants = new List<(string Variant, string File, bool Recalibrate)> { ("live", "generator.safetensors", false) };
            if (File.Exists(Path.Combine(checkpoint, "generator_ema.safetensors")))
            {
                variants.Add(("ema", "generator_ema.safetensors", false));
                variants.Add(("ema+bn", "generator_ema.safetensors", true));
            }
            foreach (var (variant, file, recalibrate) in variants)
            {
                using var generator = LoadGenerator(model, Path.Combine(checkpoint, file));
                if (recalibrate) RecalibrateBatchNorm(generator, seed);
                var result = evaluator.Evaluate(generator);
                realRow ??= RealRow(result, extractor, train, seed);
                var (realFid, realPrdc) = realRow.Value;
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {variant} | {step} | {seconds:F0} | {result.Fid.Distance:F1} | {realFid:F1} | {result.Fid.Distance / realFid:F2} | " +
                    $"{result.Prdc.Precision:F3} | {result.Prdc.Recall:F3} | {result.Prdc.Density:F3} | {result.Prdc.Coverage:F3} | " +
                    $"{realPrdc.Precision:F3} / {realPrdc.Density:F3} / {realPrdc.Coverage:F3} |");
                Console.WriteLine(line);
                lines.Add(line);
            }
        }

        if (existingRun is not null)
        {
            // Every checkpoint still in a run folder (for example a demo run), with the history's seconds.
            var directory = new RunDirectory(existingRun);
            var manifest = Json.ReadFile<RunManifest>(directory.Manifest);
            var history = File.ReadAllLines(directory.History).Where(l => l.Length > 0)
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
                .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("seconds").GetDouble());
            foreach (var folder in Directory.GetDirectories(directory.Checkpoints).Order())
            {
                var step = long.Parse(Path.GetFileName(folder)["step-".Length..], CultureInfo.InvariantCulture);
                EvaluateCheckpoint(manifest.Config.Model, folder, step, history.GetValueOrDefault(step, double.NaN));
            }
            if (samples is not null)
            {
                // The last checkpoint's EMA generator with re-estimated statistics, drawn as a checkpoint's sample grid is.
                var last = Directory.GetDirectories(directory.Checkpoints).Order().Last();
                using var generator = LoadGenerator(manifest.Config.Model, Path.Combine(last, "generator_ema.safetensors"));
                RecalibrateBatchNorm(generator, seed);
                var view = GenAudit.Rendering.SampleRenderer.For(generator);
                view.Render(generator, samples, view.PreviewCount, manifest.Config.Seed);
                Console.WriteLine($"wrote {samples} from {last}");
            }
            File.AppendAllLines(output, [$"# demo-quality --run {existingRun} --name {name}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC", .. lines]);
            return 0;
        }

        using var data = TensorTrainingData.FromDataset(train);
        var runFolder = keep ?? Directory.CreateTempSubdirectory("genaudit-demo-quality-").FullName;
        try
        {
            using var trainer = new Trainer(config with { KeepCheckpoints = 1 }, data, runFolder);
            double trainingSeconds = 0;
            foreach (var step in evalSteps.Order())
            {
                var clock = Stopwatch.StartNew();
                var trained = trainer.Run(stopAtStep: Math.Min(step, config.Steps), checkpointAtStop: true);
                trainingSeconds += clock.Elapsed.TotalSeconds;
                EvaluateCheckpoint(trainer.Config.Model, trained.CheckpointFolder, trainer.Step, trainingSeconds);
            }
        }
        finally
        {
            if (keep is null) Directory.Delete(runFolder, recursive: true);
        }
        File.AppendAllLines(output, [$"# demo-quality --set '{set}' --seed {seed} on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC", .. lines]);
        return 0;
    }

    /// <summary>The demo's MNIST settings before issue 15 (DemoCommand.MnistConfig then; the CLI project is not referenced here): --set changes them.</summary>
    static TrainingConfig DemoMnistConfig(long seed) => TrainingConfig.DefaultsFor("mnist") with
    {
        Seed = seed,
        EmaDecay = 0.999,
        EmaBatchNormReestimate = false,
        Model = TrainingConfig.DefaultsFor("mnist").Model with { Family = ModelFamily.Gan },
    };

    static GanGenerator LoadGenerator(ModelConfig model, string file)
    {
        var generator = new GanGenerator(model);
        ModuleWeights.Load(generator, file);
        generator.eval();
        return generator;
    }

    /// <summary>Re-estimates batch-norm statistics as the trainer does at a checkpoint (8 passes of 256 latents), from its own seed.</summary>
    static void RecalibrateBatchNorm(GanGenerator generator, long seed)
    {
        using var random = new Generator((ulong)seed + 7);
        Ema.ReestimateBatchNorm(generator, 8, _ => generator.call(randn([256, generator.LatentSize], generator: random), null));
    }

    /// <summary>N training digits (drawn without replacement with <paramref name="seed"/> + 1) against the evaluation's held-out digits.</summary>
    static (double Fid, PrecisionRecallDensityCoverageResult Prdc) RealRow(QualityEvaluation result, IFeatureExtractor extractor, Dataset train, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var real = tensor(result.RealFeatures, [result.RealCount, result.FeatureSize]);   // (N, D)
        using var generator = new Generator((ulong)seed + 1);
        var picked = randperm(train.Count, generator: generator)[..SampleCount];
        var (x, _) = train.GetBatch(picked);
        var (features, _) = extractor.Extract(x);                                          // (N, D)
        var fid = FrechetDistance.Compute(real, features.to(ScalarType.Float32));
        var prdc = PrecisionRecallDensityCoverage.Compute(real, features.to(ScalarType.Float32));
        return (fid.Distance, prdc);
    }

    static TrainingConfig Apply(TrainingConfig config, string set)
    {
        foreach (var pair in set.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2) throw new ArgumentException($"--set: '{pair}' is not key=value");
            var (key, value) = (parts[0].Trim(), parts[1].Trim());
            double D() => double.Parse(value, CultureInfo.InvariantCulture);
            int I() => int.Parse(value, CultureInfo.InvariantCulture);
            config = key switch
            {
                "steps" => config with { Steps = I() },
                "batch" => config with { BatchSize = I() },
                "lr" => config with { LearningRateG = D(), LearningRateD = D() },
                "lrG" => config with { LearningRateG = D() },
                "lrD" => config with { LearningRateD = D() },
                "beta1" => config with { Beta1 = D() },
                "beta2" => config with { Beta2 = D() },
                "loss" => config with { Loss = value switch { "ns" => GanLoss.Ns, "hinge" => GanLoss.Hinge, "wgan-gp" => GanLoss.WganGp, _ => throw new ArgumentException($"loss {value}") } },
                "sn" => config with { Model = config.Model with { SpectralNorm = bool.Parse(value) } },
                "ema" => config with { EmaDecay = D() },
                "dsteps" => config with { DiscriminatorSteps = I() },
                "width" => config with { Model = config.Model with { Width = I() } },
                "latent" => config with { Model = config.Model with { LatentSize = I() } },
                "bnstats" => config with { EmaBatchNormReestimate = bool.Parse(value) },
                "r1" => config with { R1Gamma = D() },
                "gp" => config with { GradientPenaltyWeight = D() },
                "decay" => config with { LearningRateDecay = D() },
                "act" => config with { Model = config.Model with { Activation = value == "relu" ? HiddenActivation.Relu : HiddenActivation.Silu } },
                _ => throw new ArgumentException($"--set: unknown key '{key}'"),
            };
        }
        return config;
    }
}
