using System.Diagnostics;
using System.Globalization;
using System.Text;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// The mode-collapse benchmark of docs/benchmarks.md: ring8 and grid25, several training recipes,
/// ten seeds each, 2,500 generated points per run evaluated as in the PacGAN code (modes captured,
/// high-quality fraction, reverse KL of the mode histogram to uniform). Writes a Markdown table.
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- mode-collapse [--seeds 10] [--data ring8,grid25] [--recipes 1,2,3] [--out FILE]
/// </summary>
static class ModeCollapseBenchmark
{
    const int EvaluationPoints = 2500;

    /// <summary>A training recipe: a name and the change it makes to the GenAudit defaults.</summary>
    sealed record Recipe(string Name, string Description, Func<TrainingConfig, TrainingConfig> Apply);

    static readonly Recipe[] Recipes =
    [
        new("GAN (ns)", "non-saturating loss, constant lr 1e-3, no penalty, no EMA", c => c with
        {
            R1Gamma = 0, EmaDecay = 0, LearningRateDecay = 1, LearningRateG = 1e-3, LearningRateD = 1e-3,
        }),
        new("WGAN-GP", "Gulrajani et al.'s settings: λ = 10, 5 critic steps per G step, Adam 1e-4 (0.5, 0.9), constant, no EMA; a fifth of the G steps, so the critic gets the same number of updates as the other recipes' discriminators", c => c with
        {
            Loss = GanLoss.WganGp, R1Gamma = 0, EmaDecay = 0, LearningRateDecay = 1, LearningRateG = 1e-4, LearningRateD = 1e-4,
            Beta1 = 0.5, Beta2 = 0.9, Steps = c.Steps / 5,
        }),
        new("ns + R1 (GenAudit default)", "R1 γ = 0.1, lr 2e-3 decayed tenfold, EMA 0.999", c => c),
    ];

    public static int Run(string[] args)
    {
        int seeds = 10;
        string output = "docs/benchmarks-mode-collapse.md";
        string[] datasets = ["ring8", "grid25"];
        HashSet<int>? recipeFilter = null; // 1-based recipe numbers, to split the work over processes
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--seeds") seeds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--out") output = args[i + 1];
            if (args[i] == "--data") datasets = args[i + 1].Split(',');
            if (args[i] == "--recipes") recipeFilter = args[i + 1].Split(',').Select(int.Parse).ToHashSet();
        }
        var table = new StringBuilder();
        table.AppendLine($"| data | recipe | G steps | modes captured | high quality (%) | reverse KL | seconds per run |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var name in datasets)
        {
            var mixture = Mixture2D.FromName(name)!;
            using var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve(name));
            foreach (var (recipe, number) in Recipes.Select((r, i) => (r, i + 1)))
            {
                if (recipeFilter is not null && !recipeFilter.Contains(number)) continue;
                var modes = new List<double>();
                var quality = new List<double>();
                var kl = new List<double>();
                var seconds = new List<double>();
                long steps = 0;
                for (int seed = 0; seed < seeds; seed++)
                {
                    var config = recipe.Apply(TrainingConfig.DefaultsFor(name)) with { Seed = seed, CheckpointEvery = 1_000_000 };
                    steps = config.Steps;
                    var folder = Directory.CreateTempSubdirectory("genaudit-modes-").FullName;
                    try
                    {
                        var clock = Stopwatch.StartNew();
                        using var trainer = new Trainer(config, data, folder);
                        trainer.Run();
                        seconds.Add(clock.Elapsed.TotalSeconds);
                        using var scope = NewDisposeScope();
                        using var noGrad = torch.no_grad();
                        using var generator = new Generator((ulong)(1000 + seed));
                        var points = trainer.Sampler.Generate(torch.randn([EvaluationPoints, config.Model.LatentSize], generator: generator));
                        var means = torch.tensor(mixture.Means.SelectMany(m => new[] { m.X, m.Y }).ToArray()).reshape(mixture.ModeCount, 2);
                        var result = ModeCoverage.Compute(points, means, mixture.Std);
                        modes.Add(result.ModesCaptured);
                        quality.Add(100 * result.HighQualityFraction);
                        kl.Add(result.ReverseKl ?? double.NaN);
                        Console.Out.WriteLine($"{name} {recipe.Name} seed {seed}: {result.ModesCaptured} modes, {100 * result.HighQualityFraction:F1}% high quality, reverse KL {result.ReverseKl:F3}, {seconds[^1]:F0} s");
                    }
                    finally
                    {
                        Directory.Delete(folder, recursive: true);
                    }
                }
                table.AppendLine($"| {name} | {recipe.Name} | {steps:N0} | {MeanSe(modes, "F1")} | {MeanSe(quality, "F1")} | {MeanSe(kl, "F3")} | {seconds.Average():F0} |");
                Write(output, seeds, string.Join(" ", args), table); // after every row, so that a long run's finished rows are never lost
            }
        }
        Console.WriteLine(File.ReadAllText(output));
        return 0;
    }

    static void Write(string output, int seeds, string arguments, StringBuilder table)
    {
        var text = new StringBuilder()
            .AppendLine($"Mode-collapse benchmark: {seeds} seeds per row, {EvaluationPoints} generated points per run; mean ± standard error over seeds.")
            .AppendLine($"Written by `dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- mode-collapse {arguments}` on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}.")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine("Recipes (changes to the ring8/grid25 defaults: MLPs of 3 hidden layers of 128, latent 16, batch 256, Adam β = (0.5, 0.999), 20,000 steps, one thread; PacGAN trains 400,000 steps of batch 100):")
            .AppendLine();
        foreach (var recipe in Recipes) text.AppendLine($"- **{recipe.Name}**: {recipe.Description}.");
        AtomicFile.WriteAllText(output, text.ToString());
    }

    internal static string MeanSe(List<double> values, string format)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return "n/a";
        double mean = finite.Average();
        double se = finite.Count > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Count - 1) / finite.Count) : 0;
        var suffix = finite.Count < values.Count ? $" ({values.Count - finite.Count} undefined)" : "";
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {se.ToString(format, CultureInfo.InvariantCulture)}{suffix}";
    }
}
