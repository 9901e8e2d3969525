using System.Diagnostics;
using System.Globalization;
using GenAudit.Data;
using GenAudit.Training;
using TorchSharp;

namespace GenAudit.Benchmarks;

/// <summary>
/// GenAudit's per-step overhead against the bare loop, measured by interleaving: rounds of 100
/// bare steps and 100 trainer steps alternate in one process, so that drifts in machine speed
/// (other tenants, thermal state) hit both sides alike. Reports each round's ratio and the median.
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- training-overhead [--rounds 7]
/// </summary>
static class TrainingOverhead
{
    public static int Run(string[] args)
    {
        int rounds = 7;
        for (int i = 0; i < args.Length - 1; i++) if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        const int steps = 100;
        torch.set_num_threads(Environment.ProcessorCount);
        using var data = TensorTrainingData.FromDataset(MnistEmbedded.Load(DataSplit.Train));
        var config = TrainingConfig.DefaultsFor("mnist") with { Steps = 1_000_000, CheckpointEvery = 1_000_000 };
        var folder = Directory.CreateTempSubdirectory("genaudit-overhead-").FullName;
        try
        {
            using var trainer = new Trainer(config, data, folder);
            using var bare = new BareLoop(config.Model with { DataShape = [1, 28, 28] }, data);
            bare.Run(20);
            trainer.Run(stopAtStep: 20, checkpointAtStop: false);
            var ratios = new List<double>();
            double bareTotal = 0, trainerTotal = 0;
            for (int r = 0; r < rounds; r++)
            {
                var clock = Stopwatch.StartNew();
                bare.Run(steps);
                double b = clock.Elapsed.TotalSeconds;
                clock.Restart();
                trainer.Run(stopAtStep: trainer.Step + steps, checkpointAtStop: false);
                double t = clock.Elapsed.TotalSeconds;
                bareTotal += b;
                trainerTotal += t;
                ratios.Add(t / b);
                Console.WriteLine($"round {r + 1}: bare {steps * 64 / b:F0} images/s, GenAudit {steps * 64 / t:F0} images/s, ratio {t / b:F3}");
            }
            ratios.Sort();
            Console.WriteLine($"{Environment.ProcessorCount} threads, {rounds} rounds of {steps} steps: bare {rounds * steps * 64 / bareTotal:F0} images/s, " +
                              $"GenAudit {rounds * steps * 64 / trainerTotal:F0} images/s, median ratio {ratios[rounds / 2]:F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }
}
