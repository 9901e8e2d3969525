using System.Diagnostics;
using System.Globalization;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// The synthetic-oracle figures of docs/benchmarks.md (issue #12): the oracle's NLL of its own held-out
/// samples (the floor), NLL-oracle of untrained generators (one per seed), and NLL-oracle after MLE and
/// after SeqGAN's adversarial steps on the same training budget, each over 10,000 samples; plus the
/// time per MLE step and per SeqGAN adversarial step.
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- oracle [--length 20] [--seeds 3] [--mle-steps 300] [--adversarial-steps 0]
/// </summary>
static class OracleBenchmark
{
    const int EvaluationSamples = 10_000;

    public static int Run(string[] args)
    {
        int length = 20, seeds = 3, mleSteps = 300, adversarialSteps = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--length": length = value; break;
                case "--seeds": seeds = value; break;
                case "--mle-steps": mleSteps = value; break;
                case "--adversarial-steps": adversarialSteps = value; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        torch.set_num_threads(Environment.ProcessorCount);
        var clock = Stopwatch.StartNew();
        var oracle = new TokenOracle(0);
        var train = oracle.Dataset(DataSplit.Train, TokenOracle.DefaultSampleCount, length);
        var test = oracle.Dataset(DataSplit.Test, TokenOracle.DefaultSampleCount, length);
        Console.WriteLine(F($"oracle seed 0, length {length}: drew 2 × 10,000 sequences in {clock.Elapsed.TotalSeconds:F1} s"));
        using (var heldOut = test.AllTokens())
            Console.WriteLine(F($"floor: NLL-oracle of the oracle's held-out samples = {oracle.NegativeLogLikelihoodPerToken(heldOut):F4}"));
        using (var own = train.AllTokens())
            Console.WriteLine(F($"       NLL-oracle of the oracle's training samples = {oracle.NegativeLogLikelihoodPerToken(own):F4}"));
        Console.WriteLine(F($"uniform sampler: NLL-oracle = {UniformNll(oracle, length):F4}"));

        using var data = new TokenTrainingData(train);
        for (int seed = 0; seed < seeds; seed++)
        {
            var config = TrainingConfig.DefaultsFor("oracle") with { Seed = seed, Steps = mleSteps + 1, LogEvery = 1_000_000, CheckpointEvery = 1_000_000, TensorBoard = false };
            var folder = Directory.CreateTempSubdirectory("genaudit-oracle-").FullName;
            try
            {
                using var trainer = new Trainer(config, data, folder);
                var generator = ((ITokenRecipe)trainer.Recipe).Generator;
                double untrained = Nll(oracle, generator, seed);
                clock.Restart();
                trainer.Run(stopAtStep: mleSteps, checkpointAtStop: false);
                double perStep = clock.Elapsed.TotalSeconds / mleSteps;
                double mle = Nll(oracle, generator, seed);
                Console.WriteLine(F($"seed {seed}: untrained {untrained:F4}; MLE after {mleSteps} steps ({mleSteps * 64.0 / 10_000:F2} epochs, {perStep * 1000:F0} ms/step) {mle:F4}"));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        if (adversarialSteps > 0) SeqGan(oracle, data, mleSteps, adversarialSteps);
        return 0;
    }

    static void SeqGan(TokenOracle oracle, TokenTrainingData data, int mleSteps, int adversarialSteps)
    {
        const int discriminatorSteps = 200;
        var config = TrainingConfig.DefaultsFor("oracle") with
        {
            Model = TrainingConfig.DefaultsFor("oracle").Model with { Family = ModelFamily.SeqGan },
            Sequence = new SequenceOptions { PretrainGeneratorSteps = mleSteps, PretrainDiscriminatorSteps = discriminatorSteps, OracleEvaluationSamples = 0 },
            Steps = mleSteps + discriminatorSteps + adversarialSteps,
            LogEvery = 1_000_000, CheckpointEvery = 1_000_000, TensorBoard = false,
        };
        var folder = Directory.CreateTempSubdirectory("genaudit-seqgan-").FullName;
        try
        {
            using var trainer = new Trainer(config, data, folder);
            var generator = ((ITokenRecipe)trainer.Recipe).Generator;
            trainer.Run(stopAtStep: mleSteps + discriminatorSteps, checkpointAtStop: false);
            double pretrained = Nll(oracle, generator, 0);
            var clock = Stopwatch.StartNew();
            trainer.Run(stopAtStep: config.Steps, checkpointAtStop: false);
            double perStep = clock.Elapsed.TotalSeconds / adversarialSteps;
            Console.WriteLine(F($"SeqGAN seed 0: after {mleSteps} MLE + {discriminatorSteps} D steps {pretrained:F4}; after {adversarialSteps} adversarial steps (16 roll-outs, {perStep:F2} s/step) {Nll(oracle, generator, 0):F4}"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static double Nll(TokenOracle oracle, TokenGenerator generator, int seed)
    {
        using var scope = NewDisposeScope();
        using var random = new Generator((ulong)(1000 + seed));
        var chunks = Enumerable.Range(0, EvaluationSamples / 1000).Select(_ => generator.Sample(1000, random)).ToList();
        return oracle.NegativeLogLikelihoodPerToken(cat(chunks, 0));
    }

    static double UniformNll(TokenOracle oracle, int length)
    {
        using var scope = NewDisposeScope();
        using var random = new Generator(7);
        return oracle.NegativeLogLikelihoodPerToken(randint(0, oracle.VocabularySize, [EvaluationSamples, length], generator: random));
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
