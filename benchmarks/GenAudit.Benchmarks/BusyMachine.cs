using System.Diagnostics;
using System.Globalization;

namespace GenAudit.Benchmarks;

/// <summary>
/// Issue #18 item 6, the harness only (the figures need an otherwise idle machine): wall time of a
/// `genaudit train` alone, of two concurrent trains, and of a train beside a CPU hog (one spinning
/// process per core), each with libgomp's own default wait policy (OMP_WAIT_POLICY unset and
/// GOMP_SPINCOUNT=300000, libgomp's default spin count, which also stops GenAudit from choosing) and
/// with GenAudit's default (both unset: GenAudit sets OMP_WAIT_POLICY=PASSIVE before libtorch loads).
/// Build the CLI first (dotnet build -c Release src/GenAudit.Cli), then:
/// dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- busy-machine [--repeats 3] [--steps 300] [--threads N]
/// Scenarios are interleaved per repeat so drift in the machine's load affects both policies alike.
/// </summary>
static class BusyMachine
{
    public static int Run(string[] args)
    {
        int repeats = 3, steps = 300, threads = Environment.ProcessorCount;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"busy-machine: unknown option {args[i]}"); return 2;
            }
        }
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "GenAudit.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run from inside the repository");
        var cli = Path.Combine(root, "src", "GenAudit.Cli", "bin", "Release", "net10.0", "GenAudit.Cli.dll");
        if (!File.Exists(cli)) { Console.Error.WriteLine($"{cli}: not built; run dotnet build -c Release src/GenAudit.Cli"); return 2; }
        foreach (var variable in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT" })
            if (Environment.GetEnvironmentVariable(variable) is { } inherited)
                Console.WriteLine($"note: this shell sets {variable}={inherited}; the harness sets or removes it per child");

        var results = new Dictionary<string, List<double>>();
        void Record(string name, double seconds) { if (!results.TryGetValue(name, out var list)) results[name] = list = []; list.Add(seconds); }
        var work = Directory.CreateTempSubdirectory("genaudit-busy-").FullName;
        try
        {
            for (var r = 0; r < repeats; r++)
            {
                foreach (var passive in new[] { false, true })
                {
                    var policy = passive ? "PASSIVE" : "default";
                    Record($"alone, {policy}", Train(cli, work, steps, threads, passive).WaitSeconds());
                    var pair = new[] { Train(cli, work, steps, threads, passive), Train(cli, work, steps, threads, passive) };
                    Record($"two concurrent trains (mean), {policy}", pair.Select(p => p.WaitSeconds()).Average());
                    var hogs = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Hog()).ToList();
                    try
                    {
                        Record($"beside a CPU hog, {policy}", Train(cli, work, steps, threads, passive).WaitSeconds());
                    }
                    finally
                    {
                        foreach (var hog in hogs) { hog.Kill(); hog.Dispose(); }
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.WriteLine($"| scenario ({steps} steps, --threads {threads}, {Environment.ProcessorCount} cores) | median wall s | runs |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, list) in results)
            Console.WriteLine($"| {name} | {Median(list):F1} | {string.Join(", ", list.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))} |");
        return 0;
    }

    sealed class TimedProcess(Process process, Stopwatch clock)
    {
        public double WaitSeconds()
        {
            process.WaitForExit();
            var seconds = clock.Elapsed.TotalSeconds;
            if (process.ExitCode != 0) throw new InvalidOperationException($"train exited with {process.ExitCode}");
            process.Dispose();
            return seconds;
        }
    }

    static TimedProcess Train(string cli, string work, int steps, int threads, bool passive)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { cli, "train", "--data", "mnist", "--width", "16", "--steps", steps.ToString(CultureInfo.InvariantCulture),
                                  "--threads", threads.ToString(CultureInfo.InvariantCulture), "--no-tensorboard", "--checkpoint-every", "100000",
                                  "--out", Path.Combine(work, Guid.NewGuid().ToString("N")) })
            start.ArgumentList.Add(a);
        start.Environment.Remove("OMP_WAIT_POLICY");
        start.Environment.Remove("GOMP_SPINCOUNT");
        if (!passive) start.Environment["GOMP_SPINCOUNT"] = "300000"; // libgomp's default; a user setting, so GenAudit leaves the policy alone
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return new TimedProcess(process, clock);
    }

    /// <summary>A process that keeps one core busy until killed.</summary>
    static Process Hog() => Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!;

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
