using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GenAudit.Core;

namespace GenAudit.Benchmarks;

/// <summary>
/// Which convolution shapes libtorch computes wrongly under which oneDNN ISA (issue #19). For every
/// ONEDNN_MAX_CPU_ISA value and thread count it starts a child process of itself with that
/// environment (oneDNN fixes its ISA once per process), runs <see cref="ConvolutionProbe"/> over a
/// grid of layer kinds, channel counts, kernels, strides and batch sizes, forward and backward, and
/// prints a markdown table of failures per setting plus every failing shape.
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- numerics-probe [--isa ALL,AVX2] [--threads 1,2] [--repeats 3] [--full] [--out FILE.md]
/// With --cost it measures instead what the fix costs: the demo's MNIST DCGAN trained in child
/// processes that alternate between libtorch's default (ALL), GenAudit's cap (AVX2) and oneDNN
/// convolutions off (ATen), round after round, so that drifts in machine speed hit all three alike.
/// Run: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- numerics-probe --cost [--rounds 5] [--steps 60]
/// </summary>
static class NumericsProbe
{
    static readonly string[] DefaultIsas = ["ALL", "AVX512_CORE_BF16", "AVX512_CORE_VNNI", "AVX512_CORE", "AVX2"];

    public static int Run(string[] args)
    {
        var isas = DefaultIsas;
        int[] threads = [1, Environment.ProcessorCount];
        int repeats = 3;
        bool full = false, child = false, cost = false, childTrain = false, aten = false;
        int rounds = 5, steps = 60;
        string? outFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--isa": isas = Next().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--threads": threads = Next().Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--repeats": repeats = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--full": full = true; break;
                case "--child": child = true; break;
                case "--out": outFile = Next(); break;
                case "--cost": cost = true; break;
                case "--child-train": childTrain = true; break;
                case "--aten": aten = true; break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"numerics-probe: unknown option {args[i]}"); return 2;
            }
        }
        if (child) return RunChild(threads[0], repeats, full);
        if (childTrain) return RunChildTraining(steps, aten);
        if (cost) return RunCost(rounds, steps, outFile);

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"CPU: {CpuKernels.CpuModel}; flags: {string.Join(' ', CpuKernels.CpuIsaFlags)}; libtorch {TorchSharp.torch.__version__}; {Grid(full).Count} cases × {repeats} repeats, forward and backward, against float64.");
        report.AppendLine();
        report.AppendLine("| ONEDNN_MAX_CPU_ISA | threads | cases | failed | NaN/Inf | not repeatable | wrong (> 1e-4) | worst error | wall s |");
        report.AppendLine("|---|---|---|---|---|---|---|---|---|");
        var failures = new List<string>();
        foreach (var isa in isas)
            foreach (var t in threads)
            {
                var clock = Stopwatch.StartNew();
                var results = RunChildProcess(isa, t, repeats, full);
                var failed = results.Where(r => !r.Passed).ToArray();
                var worst = results.Count == 0 ? 0 : results.Max(r => Math.Max(r.ForwardError, r.GradientError));
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {isa} | {t} | {results.Count} | {failed.Length} | {failed.Count(r => !r.Finite)} | {failed.Count(r => r.Finite && !r.Repeatable)} | {failed.Count(r => r.Finite && r.Repeatable)} | {worst:0.0e0} | {clock.Elapsed.TotalSeconds:0} |");
                failures.AddRange(failed.Select(r => $"- {isa}, {t} thread(s): {r.Case}: {r.Failure}"));
                Console.Error.WriteLine($"numerics-probe: {isa} on {t} thread(s): {failed.Length} of {results.Count} failed");
            }
        report.AppendLine();
        report.AppendLine(failures.Count == 0 ? "No case failed." : "Failing cases:");
        foreach (var f in failures) report.AppendLine(f);
        Console.Write(report.ToString());
        if (outFile is not null) AtomicFile.WriteAllText(outFile, report.ToString());
        return 0;
    }

    // The grid: every layer kind over channel counts around oneDNN's 8- and 16-lane blocks.
    static List<ProbeCase> Grid(bool full)
    {
        int[] inChannels = full ? [1, 2, 3, 4, 7, 8, 15, 16, 17, 32, 64] : [1, 3, 4, 8, 16, 17, 64];
        int[] outChannels = full ? [1, 2, 4, 8, 15, 16, 32, 64] : [1, 4, 8, 16, 64];
        int[] kernels = full ? [1, 3, 4, 5] : [3, 4];
        int[] strides = [1, 2];
        int[] batches = full ? [1, 2, 16, 64] : [1, 16];
        var cases = new List<ProbeCase>();
        foreach (var b in batches)
            foreach (var ci in inChannels)
            {
                cases.Add(new ProbeCase(ProbeOperation.BatchNorm2d, Math.Max(b, 2), ci, ci, 1, 1, 0, 8));
                foreach (var co in outChannels)
                    foreach (var k in kernels)
                        foreach (var s in strides)
                        {
                            var p = k == 4 ? 1 : k / 2;
                            foreach (var op in new[] { ProbeOperation.Conv2d, ProbeOperation.Conv2dNoBias, ProbeOperation.ConvTranspose2d, ProbeOperation.ConvTranspose2dNoBias })
                                cases.Add(new ProbeCase(op, b, ci, co, k, s, p, op is ProbeOperation.ConvTranspose2d or ProbeOperation.ConvTranspose2dNoBias ? 4 : 8));
                            if (b > 1) cases.Add(new ProbeCase(ProbeOperation.ConvBatchNormSilu, b, ci, co, k, s, p, 8));
                        }
            }
        return cases;
    }

    static int RunChild(int threads, int repeats, bool full)
    {
        TorchSharp.torch.set_num_threads(threads);
        var grid = Grid(full);
        for (var i = 0; i < grid.Count; i++)
        {
            var r = ConvolutionProbe.Run(grid[i], repeats, seed: i);
            Console.WriteLine(JsonSerializer.Serialize(r, Json.Compact));
        }
        return 0;
    }

    // Images per second of the demo's MNIST DCGAN (width 64, batch 64) over `steps` steps after 10 warm-up steps.
    static int RunChildTraining(int steps, bool aten)
    {
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        TorchRuntime.EnsureLoaded();
        if (aten) CpuKernels.OneDnnEnabled = false;
        using var data = GenAudit.Training.TensorTrainingData.FromDataset(GenAudit.Data.MnistEmbedded.Load(GenAudit.Data.DataSplit.Train));
        var config = GenAudit.Training.TrainingConfig.DefaultsFor("mnist") with { Steps = 1_000_000, CheckpointEvery = 1_000_000 };
        var folder = Directory.CreateTempSubdirectory("genaudit-numerics-cost-").FullName;
        try
        {
            using var trainer = new GenAudit.Training.Trainer(config, data, folder);
            trainer.Run(stopAtStep: 10, checkpointAtStop: false);
            var clock = Stopwatch.StartNew();
            trainer.Run(stopAtStep: 10 + steps, checkpointAtStop: false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"images/s {steps * config.BatchSize / clock.Elapsed.TotalSeconds:R}"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    static int RunCost(int rounds, int steps, string? outFile)
    {
        (string Name, string Isa, bool Aten)[] settings = [("libtorch default (ALL)", "ALL", false), ("GenAudit's cap (AVX2)", "AVX2", false), ("oneDNN convolutions off (ATen)", "ALL", true)];
        var rates = settings.ToDictionary(s => s.Name, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
            foreach (var (name, isa, aten) in settings)
            {
                string[] extra = aten ? ["--child-train", "--steps", steps.ToString(CultureInfo.InvariantCulture), "--aten"] : ["--child-train", "--steps", steps.ToString(CultureInfo.InvariantCulture)];
                var line = ChildLines(isa, extra).LastOrDefault(l => l.StartsWith("images/s ", StringComparison.Ordinal))
                           ?? throw new InvalidOperationException($"the training child for {name} printed no rate");
                var rate = double.Parse(line["images/s ".Length..], CultureInfo.InvariantCulture);
                rates[name].Add(rate);
                Console.Error.WriteLine($"round {r + 1}: {name}: {rate:F0} images/s");
            }
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"MNIST DCGAN (width 64, batch 64), {Environment.ProcessorCount} threads, {rounds} interleaved rounds of {steps} steps; CPU {CpuKernels.CpuModel}.");
        report.AppendLine();
        report.AppendLine("| setting | median images/s | min | max | median vs default |");
        report.AppendLine("|---|---|---|---|---|");
        var baseline = Median(rates[settings[0].Name]);
        foreach (var (name, _, _) in settings)
        {
            var m = Median(rates[name]);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {m:F0} | {rates[name].Min():F0} | {rates[name].Max():F0} | {m / baseline:F3} |");
        }
        Console.Write(report.ToString());
        if (outFile is not null) AtomicFile.WriteAllText(outFile, report.ToString());
        return 0;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static List<string> ChildLines(string isa, IEnumerable<string> arguments)
    {
        var start = ChildStart(isa, arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the child");
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
        process.WaitForExit();
        return lines;
    }

    static ProcessStartInfo ChildStart(string isa, IEnumerable<string> arguments)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(NumericsProbe).Assembly.Location);
        start.ArgumentList.Add("numerics-probe");
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["ONEDNN_MAX_CPU_ISA"] = isa;
        return start;
    }

    static List<ProbeResult> RunChildProcess(string isa, int threads, int repeats, bool full)
    {
        string[] arguments = ["--child", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--repeats", repeats.ToString(CultureInfo.InvariantCulture)];
        var start = ChildStart(isa, full ? [.. arguments, "--full"] : arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the probe child");
        var results = new List<ProbeResult>();
        while (process.StandardOutput.ReadLine() is { } line)
            if (line.StartsWith('{')) results.Add(JsonSerializer.Deserialize<ProbeResult>(line, Json.Compact)!);
        process.WaitForExit();
        if (process.ExitCode != 0) Console.Error.WriteLine($"numerics-probe: child for {isa}/{threads} exited {process.ExitCode} after {results.Count} cases (a crash inside a kernel counts as a failure of the next case)");
        return results;
    }
}
