using GenAudit.Tests.Hardening.Fuzz;

namespace GenAudit.Tests.Hardening;

/// <summary>The bounded fuzz run of the suite (the long one is the benchmarks' fuzz command).</summary>
public class FuzzTests
{
    static string Corpus()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "GenAudit.sln"))) dir = dir.Parent!;
        return Path.Combine(dir.FullName, "tests", "GenAudit.Tests", "Fixtures", "fuzz");
    }

    public static TheoryData<string> Targets() => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryMutatedInputEndsInADocumentedErrorNamingTheFile(string name)
    {
        var target = FuzzTargets.All.Single(t => t.Name == name);
        // The first input comes from a fixed CsCheck seed, the rest are fresh; a failure prints the seed that reproduces it.
        var report = FuzzHarness.Run([target], Corpus(), iterationsPerTarget: 150, seed: "0N0XIzNsQ0O2");
        Assert.True(report.Violations.Count == 0, string.Join("\n\n", report.Violations));
        Assert.True(report.Executions[name] > 150);
    }

    [Fact]
    public void MutationsAreStructured()
    {
        // Hand-worked: truncation at 0.5 of 8 bytes keeps 4; a 32-bit overwrite at 0 with 0xFFFFFFFF; duplication of the whole.
        byte[] seed = [1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal([1, 2, 3, 4], FuzzHarness.Apply(seed, [new Mutation(MutationKind.Truncate, 0.5, 0, 0)]));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF, 5, 6, 7, 8], FuzzHarness.Apply(seed, [new Mutation(MutationKind.HugeU32, 0, 0, 0xFFFF_FFFF)]));
        Assert.Equal(seed.Concat(seed), FuzzHarness.Apply(seed, [new Mutation(MutationKind.Duplicate, 0, 1, 0)]));
        Assert.Equal(5008, FuzzHarness.Apply(seed, [new Mutation(MutationKind.Nest, 1, 0, 0)]).Length);
    }
}
