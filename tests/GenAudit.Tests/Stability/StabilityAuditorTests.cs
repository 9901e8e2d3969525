using GenAudit.Stability;

namespace GenAudit.Tests.Stability;

[Collection(TorchThreadsCollection.Name)]
public class StabilityAuditorTests
{
    static readonly StabilityOptions Small = new()
    {
        SampleCount = 200,
        BatchSize = 64,
        Epsilons = [0.01, 0.3],
        WorstCaseSampleCount = 32,
        WorstCaseSteps = 10,
        WorstCaseRestarts = 1,
        PathLengthSampleCount = 200,
        LipschitzSampleCount = 200,
        LipschitzWorstSampleCount = 32,
        DeterminismSampleCount = 64,
    };

    // A reshaped linear map through a sigmoid: 8 latent dimensions → 1×12×12 images in (0, 1).
    static LinearGenerator ImageGenerator() => new(Matrices.Random(144, 8, 17), [1, 12, 12], sigmoid: true);

    [Fact]
    public void AnImageGeneratorGetsEveryKeyOfTheIssue()
    {
        var report = new StabilityAuditor(Small).Run(ImageGenerator());
        var flat = report.ToFlatDictionary();

        Assert.Equal(1.0, flat["repeat"]);
        Assert.True(flat["determinism.threads.maxAbsDiff"] is double d && d <= 1e-6, $"threads max |diff| {flat["determinism.threads.maxAbsDiff"]}");
        foreach (var eps in new[] { "0.01", "0.3" })
            foreach (var similarity in new[] { "ssim", "cosine", "normalizedL2" })
            {
                var local = (double)flat[$"local.{eps}.{similarity}"]!;
                var worst = (double)flat[$"worstCase.{eps}.{similarity}"]!;
                Assert.True(worst <= local, $"worst case {worst} above local {local} at ε {eps} for {similarity}");
            }
        Assert.True((double)flat["local.0.01.ssim"]! > (double)flat["local.0.3.ssim"]!);
        Assert.Null(flat["conditionConsistency"]);
        Assert.Contains("unconditional", (string)flat["conditionConsistency.reason"]!);
        Assert.True((double)flat["ppl"]! > 0);
        Assert.True((double)flat["lipschitz.worst"]! >= (double)flat["lipschitz.mean"]!);
        Assert.Null(flat["dynamics.flags"]);
        Assert.DoesNotContain(flat.Keys, k => k.StartsWith("seeds."));
    }

    [Fact]
    public void TwoDimensionalOutputsUseCosineAndNormalizedL2Only()
    {
        var report = new StabilityAuditor(Small with { Epsilons = [0.1] }).Run(new LinearGenerator(Matrices.Random(2, 2, 5)));
        Assert.Equal([SimilarityKind.Cosine, SimilarityKind.NormalizedL2], report.Similarities);
        var keys = report.ToFlatDictionary().Keys.Where(k => k.StartsWith("local.")).ToArray();
        Assert.Equal(["local.0.1.cosine", "local.0.1.normalizedL2"], keys);
    }

    [Fact]
    public void SeedVarianceAndDynamicsFlagsAppearInTheFlatKeys()
    {
        var options = Small with { Epsilons = [0.1], CheckThreads = false };
        var history = new[] { new TrainingLogEntry(0, new Dictionary<string, double> { ["lossD"] = double.NaN }) };
        var runs = new[] { 17, 18, 19 }
            .Select(seed => new StabilityAuditor(options).Run(new LinearGenerator(Matrices.Random(144, 8, seed), [1, 12, 12], sigmoid: true), history: history))
            .ToArray();
        var flat = StabilityAuditor.WithSeedVariance(runs).ToFlatDictionary();

        var ppl = runs.Select(r => r.PathLength.Value).ToArray();
        Assert.Equal(ppl.Average(), (double)flat["seeds.ppl.mean"]!, 9);
        Assert.Equal(Math.Sqrt(ppl.Sum(v => (v - ppl.Average()) * (v - ppl.Average())) / 2), (double)flat["seeds.ppl.std"]!, 9);
        Assert.True(flat.ContainsKey("seeds.local.0.1.ssim.cv"));
        Assert.Equal(["divergence@0 lossD: lossD is NaN"], ((IReadOnlyList<DynamicsFlag>)flat["dynamics.flags"]!).Select(f => f.ToString()));
    }
}
