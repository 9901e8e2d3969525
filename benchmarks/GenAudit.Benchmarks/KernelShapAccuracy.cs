using System.Globalization;
using System.Text;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Benchmarks;

/// <summary>
/// KernelSHAP's error at a fixed coalition budget against exact Shapley values from all 2^d coalitions, on
/// ring8-style generators (an MLP of 3 hidden ReLU layers of width 128, 2D output, seeded weights) with d
/// latents, or a trained run's generator (--run DIR, d = its latent size), target output:0, zero baseline.
/// Error per example: max_i |φ̂_i − φ_i| / max_i |φ_i|.
/// Usage: kernelshap-accuracy [--features 16,20] [--run DIR] [--budgets 512,1024,2048,4096] [--seeds 5] [--examples 4] [--out FILE.md]
/// </summary>
internal static class KernelShapAccuracy
{
    static readonly (string Name, CoalitionSampling Sampling, bool Paired)[] Estimators =
    [
        ("kernel, unpaired", CoalitionSampling.Kernel, false),
        ("kernel, paired (previous default)", CoalitionSampling.Kernel, true),
        ("leverage, unpaired", CoalitionSampling.Leverage, false),
        ("leverage, paired", CoalitionSampling.Leverage, true),
        ("kernel without replacement, paired (default)", CoalitionSampling.KernelWithoutReplacement, true),
        ("leverage without replacement, paired", CoalitionSampling.LeverageWithoutReplacement, true),
    ];

    public static int Run(string[] args)
    {
        var features = Ints(Option(args, "--features") ?? "16,20");
        var budgets = Ints(Option(args, "--budgets") ?? "512,1024,2048,4096");
        var seeds = int.Parse(Option(args, "--seeds") ?? "5", CultureInfo.InvariantCulture);
        var examples = int.Parse(Option(args, "--examples") ?? "4", CultureInfo.InvariantCulture);
        var output = Option(args, "--out");
        var run = Option(args, "--run");
        using var loaded = run is null ? null : RunLoader.Load(run);
        var table = new StringBuilder();
        table.AppendLine($"| d | estimator | {string.Join(" | ", budgets.Select(b => b.ToString("N0", CultureInfo.InvariantCulture)))} |");
        table.AppendLine($"|---|---|{string.Concat(budgets.Select(_ => "---|"))}");
        foreach (var d in loaded is null ? features : [loaded.Generator.LatentSize])
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            manual_seed(d);
            IGenerativeModel generator = loaded?.Generator ?? new GanGenerator(new ModelConfig { LatentSize = d, Width = 128, Depth = 3, DataShape = [2] });
            if (generator is nn.Module module) module.eval();
            var target = AttributionTarget.From(z => generator.Generate(z).select(1, 0), "output:0");
            var z = randn([examples, d], generator: new Generator(1000UL + (ulong)d)); // (E, d)
            var exact = Enumerable.Range(0, examples).Select(e => ExactShapley(target, z[e], d)).ToArray();
            foreach (var (name, sampling, paired) in Estimators)
            {
                var cells = new List<string>();
                foreach (var budget in budgets)
                {
                    var errors = new List<double>();
                    for (var seed = 0; seed < seeds; seed++)
                    {
                        var options = new KernelShapOptions { Samples = budget, Sampling = sampling, Paired = paired, Seed = seed, InternalBatchSize = 4096 };
                        using var result = new KernelShap(target, options).Attribute(z);
                        var phi = result.GroupAttributions!.to(ScalarType.Float64).data<double>().ToArray();
                        for (var e = 0; e < examples; e++)
                        {
                            var scale = exact[e].Max(Math.Abs);
                            errors.Add(Enumerable.Range(0, d).Max(i => Math.Abs(phi[e * d + i] - exact[e][i])) / scale);
                        }
                    }
                    cells.Add($"{errors.Average():P1} (max {errors.Max():P1})");
                }
                var row = $"| {d}{(loaded is null ? "" : " (trained run)")} | {name} | {string.Join(" | ", cells)} |";
                Console.WriteLine(row);
                table.AppendLine(row);
            }
        }
        Console.WriteLine();
        Console.Write(table);
        if (output is not null) File.WriteAllText(output, table.ToString());
        return 0;
    }

    /// <summary>φ_i = Σ_{S ∌ i} s!(d − s − 1)!/d! (v(S ∪ i) − v(S)) over all 2^d coalitions S of one example (float64 sums).</summary>
    static double[] ExactShapley(AttributionTarget target, Tensor x, int d)
    {
        using var scope = NewDisposeScope();
        var count = 1 << d;
        var values = new double[count];
        var bits = tensor(Enumerable.Range(0, d).Select(i => 1L << i).ToArray()).view(1, d); // (1, d)
        const int chunk = 1 << 15;
        for (var start = 0; start < count; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var codes = arange(start, Math.Min(start + chunk, count), dtype: ScalarType.Int64).view(-1, 1);
            var mask = codes.bitwise_and(bits).ne(0).to(x.dtype); // (C, d)
            target.Evaluate(mask * x.unsqueeze(0)).to(ScalarType.Float64).data<double>().ToArray().CopyTo(values, start);
        }
        var weight = new double[d];
        for (var s = 0; s < d; s++) weight[s] = 1.0 / (d * Binomial(d - 1, s)); // s!(d−s−1)!/d!
        var phi = new double[d];
        for (var set = 0; set < count; set++)
        {
            var size = System.Numerics.BitOperations.PopCount((uint)set);
            for (var i = 0; i < d; i++)
                if ((set >> i & 1) == 0) phi[i] += weight[size] * (values[set | 1 << i] - values[set]);
        }
        return phi;
    }

    static double Binomial(int n, int k)
    {
        double result = 1;
        for (var i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result;
    }

    static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static int[] Ints(string list) => list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
