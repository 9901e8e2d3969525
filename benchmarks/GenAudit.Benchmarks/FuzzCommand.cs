using GenAudit.Tests.Hardening.Fuzz;

namespace GenAudit.Benchmarks;

/// <summary>
/// The long fuzz run: every reader of outside data against structured mutations of the committed
/// corpus (tests/GenAudit.Tests/Fixtures/fuzz). The suite runs the same harness briefly (FuzzTests).
/// dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- fuzz [--iterations N] [--seed S] [--target NAME] [--write-corpus]
/// </summary>
static class FuzzCommand
{
    public static int Run(string[] args)
    {
        long iterations = 2000;
        string? seed = null;
        string? only = null;
        var writeCorpus = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iterations": iterations = long.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--seed": seed = args[++i]; break;
                case "--target": only = args[++i]; break;
                case "--write-corpus": writeCorpus = true; break;
                default: Console.Error.WriteLine($"fuzz: unknown option {args[i]}"); return 2;
            }
        }
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "GenAudit.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run from inside the repository");
        var fixtures = Path.Combine(root, "tests", "GenAudit.Tests", "Fixtures");
        var corpus = Path.Combine(fixtures, "fuzz");
        if (writeCorpus)
        {
            FuzzTargets.WriteCorpus(corpus, fixtures);
            Console.WriteLine($"corpus written to {corpus}");
            return 0;
        }
        var targets = FuzzTargets.All.Where(t => only is null || t.Name == only).ToList();
        var report = FuzzHarness.Run(targets, corpus, iterations, seed, Console.WriteLine);
        Console.WriteLine($"{report.Executions.Values.Sum()} inputs over {report.Executions.Count} targets in {report.Elapsed.TotalSeconds:F0} s; {report.Violations.Count} violations");
        foreach (var violation in report.Violations) Console.WriteLine("VIOLATION " + violation);
        return report.Violations.Count == 0 ? 0 : 1;
    }
}
