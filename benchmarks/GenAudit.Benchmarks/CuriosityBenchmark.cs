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
/// The curiosity table of docs/benchmarks.md (issue #14): the plain non-saturating GAN of the mode-collapse
/// benchmark with and without a novelty bonus (RND, pseudo-count), against MSGAN's mode-seeking term and
/// PacGAN2/4 at the same budget, on ring8 and grid25; 2,500 generated points per run scored as in the PacGAN
/// code (modes captured, high-quality fraction, reverse KL).
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- curiosity [--seeds 3] [--steps 20000] [--data ring8,grid25] [--recipes 1,2,3,4,5,6] [--weight 1] [--out FILE]
/// </summary>
static class CuriosityBenchmark
{
    const int EvaluationPoints = 2500;

    sealed record Recipe(string Name, string Description, Func<TrainingConfig, double, TrainingConfig> Apply);

    // Every recipe starts from the mode-collapse benchmark's "GAN (ns)": no penalty, no EMA, constant lr 1e-3.
    static TrainingConfig Plain(TrainingConfig c) => c with { R1Gamma = 0, EmaDecay = 0, LearningRateDecay = 1, LearningRateG = 1e-3, LearningRateD = 1e-3 };

    static readonly Recipe[] Recipes =
    [
        new("GAN (ns)", "the mode-collapse benchmark's plain GAN: non-saturating loss, constant lr 1e-3, no penalty, no EMA", (c, _) => Plain(c)),
        new("+ RND", "plain GAN + random network distillation bonus (--curiosity rnd), weight λ", (c, w) => Plain(c) with { Curiosity = new CuriosityOptions { Kind = CuriosityKind.Rnd, Weight = w } }),
        new("+ count", "plain GAN + kernel pseudo-count bonus (--curiosity count, h = 0.1, last 2,048 samples), weight λ", (c, w) => Plain(c) with { Curiosity = new CuriosityOptions { Kind = CuriosityKind.Count, Weight = w } }),
        new("+ mode seeking", "plain GAN + MSGAN's mode-seeking term (--mode-seeking 1)", (c, _) => Plain(c) with { ModeSeekingWeight = 1 }),
        new("PacGAN2", "plain GAN with a discriminator on packs of 2 (--pack 2)", (c, _) => Plain(c) with { Pack = 2 }),
        new("PacGAN4", "plain GAN with a discriminator on packs of 4 (--pack 4)", (c, _) => Plain(c) with { Pack = 4 }),
    ];

    public static int Run(string[] args)
    {
        int seeds = 3;
        long? steps = null;
        double weight = 1;
        string output = "/tmp/curiosity-benchmark.md";
        string[] datasets = ["ring8", "grid25"];
        HashSet<int>? recipeFilter = null;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--seeds") seeds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--steps") steps = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--weight") weight = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--out") output = args[i + 1];
            if (args[i] == "--data") datasets = args[i + 1].Split(',');
            if (args[i] == "--recipes") recipeFilter = args[i + 1].Split(',').Select(int.Parse).ToHashSet();
        }
        var table = new StringBuilder();
        table.AppendLine("| data | recipe | λ | G steps | modes captured | high quality (%) | reverse KL | bonus share | seconds per run |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var name in datasets)
        {
            var mixture = Mixture2D.FromName(name) ?? throw new ArgumentException($"--data {name}: ring8 or grid25");
            using var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve(name));
            foreach (var (recipe, number) in Recipes.Select((r, i) => (r, i + 1)))
            {
                if (recipeFilter is not null && !recipeFilter.Contains(number)) continue;
                List<double> modes = [], quality = [], kl = [], seconds = [], share = [];
                long runSteps = 0;
                for (int seed = 0; seed < seeds; seed++)
                {
                    var config = recipe.Apply(TrainingConfig.DefaultsFor(name), weight) with { Seed = seed, CheckpointEvery = 1_000_000 };
                    if (steps is { } s) config = config with { Steps = s };
                    runSteps = config.Steps;
                    var folder = Directory.CreateTempSubdirectory("genaudit-curiosity-").FullName;
                    try
                    {
                        var clock = Stopwatch.StartNew();
                        using var trainer = new Trainer(config, data, folder);
                        trainer.Run();
                        seconds.Add(clock.Elapsed.TotalSeconds);
                        // The bonus's share of the generator loss over the last quarter of the logged steps.
                        var history = HistoryFile.Read(new RunDirectory(folder).History);
                        var late = history.Skip(history.Count * 3 / 4).Where(h => h.BonusShare is not null).Select(h => h.BonusShare!.Value).ToList();
                        if (late.Count > 0) share.Add(late.Average());
                        using var scope = NewDisposeScope();
                        using var noGrad = torch.no_grad();
                        using var generator = new Generator((ulong)(1000 + seed));
                        var points = trainer.Sampler.Generate(torch.randn([EvaluationPoints, config.Model.LatentSize], generator: generator));
                        var means = torch.tensor(mixture.Means.SelectMany(m => new[] { m.X, m.Y }).ToArray()).reshape(mixture.ModeCount, 2);
                        var result = ModeCoverage.Compute(points, means, mixture.Std);
                        modes.Add(result.ModesCaptured);
                        quality.Add(100 * result.HighQualityFraction);
                        kl.Add(result.ReverseKl ?? double.NaN);
                        Console.Out.WriteLine($"{name} {recipe.Name} seed {seed}: {result.ModesCaptured} modes, {100 * result.HighQualityFraction:F1}% high quality, reverse KL {result.ReverseKl:F3}, bonus share {(late.Count > 0 ? late.Average().ToString("F3", CultureInfo.InvariantCulture) : "-")}, {seconds[^1]:F0} s");
                    }
                    finally
                    {
                        Directory.Delete(folder, recursive: true);
                    }
                }
                var lambda = recipe.Name.StartsWith("+ RND", StringComparison.Ordinal) || recipe.Name.StartsWith("+ count", StringComparison.Ordinal) ? weight.ToString(CultureInfo.InvariantCulture) : recipe.Name == "+ mode seeking" ? "1" : "–";
                table.AppendLine($"| {name} | {recipe.Name} | {lambda} | {runSteps:N0} | {ModeCollapseBenchmark.MeanSe(modes, "F1")} | {ModeCollapseBenchmark.MeanSe(quality, "F1")} | {ModeCollapseBenchmark.MeanSe(kl, "F3")} | {(share.Count > 0 ? ModeCollapseBenchmark.MeanSe(share, "F3") : "–")} | {seconds.Average():F0} |");
                Write(output, seeds, string.Join(" ", args), table);
            }
        }
        Console.WriteLine(File.ReadAllText(output));
        return 0;
    }

    static void Write(string output, int seeds, string arguments, StringBuilder table)
    {
        var text = new StringBuilder()
            .AppendLine($"Curiosity benchmark: {seeds} seeds per row, {EvaluationPoints} generated points per run; mean ± standard error over seeds.")
            .AppendLine($"Written by `dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- curiosity {arguments}` on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}.")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine("Recipes (changes to the ring8/grid25 defaults: MLPs of 3 hidden layers of 128, latent 16, batch 256, Adam β = (0.5, 0.999), one thread):")
            .AppendLine();
        foreach (var recipe in Recipes) text.AppendLine($"- **{recipe.Name}**: {recipe.Description}.");
        AtomicFile.WriteAllText(output, text.ToString());
    }
}
