using System.Diagnostics;
using GenAudit.Application;
using GenAudit.Audit;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Models;
using GenAudit.Tests.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenAudit.Tests.Audit;

/// <summary>The calibration's settings for tests: every stage runs, on few samples.</summary>
static class CalibrationSettings
{
    public static AuditOptions Tiny => AuditOptions.Quick() with
    {
        QualitySamples = 500,
        StabilitySamples = 24,
        WorstCaseSamples = 2,
        WorstCaseSteps = 1,
        Epsilons = [0.03],
        Methods = ["saliency"],
        ExplainSamples = 1,
        Explanation = new ComparisonOptions
        {
            IntegratedGradientsSteps = 4, IntegratedGradientsMaxSteps = 4, SmoothGradSamples = 2, PerturbationSamples = 16,
            CurveSteps = 4, FaithfulnessSubsets = 4, InfidelitySamples = 2, SensitivitySamples = 1,
        },
        TraversalDirections = 1,
        TraversalStrengths = [0],
    };

    public static DefectiveGeneratorOptions Generators => new() { BankSize = 1000 };

    /// <summary>Calibrates with the default policy and asserts acceptance: every defect fails on a key meant to catch it, the control passes.</summary>
    public static CalibrationResult RunAndCheck(string data, Dataset train, Dataset test, TrainedFeatureClassifier classifier, ITestOutputHelper output)
    {
        using var temp = new TempRun();
        var clock = Stopwatch.StartNew();
        var stages = new StageTimes();
        var result = new Calibration(Tiny, Generators).Run(data, train, test, new ClassifierFeatureExtractor(classifier), classifier, Policy.Default, temp.Path,
            observer: _ => stages);
        output.WriteLine($"{data}: calibrated in {clock.Elapsed.TotalSeconds:F1} s; seconds per audit stage over all generators: " +
                         string.Join(", ", stages.Seconds.Select(kv => $"{kv.Key} {kv.Value:F1}")));
        output.WriteLine(CalibrationReport.Markdown(result));
        Assert.Equal(DefectiveGenerators.All.Select(k => k.Name), result.Rows.Select(r => r.Kind.Name));
        foreach (var row in result.Rows)
        {
            if (row.Kind.IsControl) Assert.True(row.Passed, $"{data}: the control {row.Kind.Name} failed {string.Join(", ", row.Failed.Select(v => $"{v.Threshold.Key} = {v.Value}"))}");
            else Assert.True(row.CaughtAsMeant, $"{data}: {row.Kind.Name} was not caught by {string.Join(", ", row.MeantToCatch)}; failed: {string.Join(", ", row.Failed.Select(v => v.Threshold.Key))}");
        }
        Assert.Equal(1.0, result.Sensitivity);
        Assert.Equal(0.0, result.FalseAlarmRate);
        return result;
    }
}

sealed class StageTimes : IAuditObserver
{
    public Dictionary<string, double> Seconds { get; } = [];
    public void StageStarted(string stage) { }
    public void Report(string stage, string message) { }
    public void StageFinished(string stage, TimeSpan elapsed) => Seconds[stage] = Seconds.GetValueOrDefault(stage) + elapsed.TotalSeconds;
}

[Collection(MnistClassifierCollection.Name)]
public class MnistCalibrationTests(MnistClassifierFixture mnist, ITestOutputHelper output)
{
    [Fact]
    public void EveryDefectFailsTheDefaultPolicyOnItsKeyAndTheControlPasses() =>
        CalibrationSettings.RunAndCheck("mnist", mnist.Train, mnist.Test, mnist.Trained, output);
}

[Collection(FashionMnistClassifierCollection.Name)]
[Trait(TestLane.Trait, TestLane.Second)]
public class FashionMnistCalibrationTests(FashionMnistClassifierFixture fashion, ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public void EveryDefectFailsTheDefaultPolicyOnItsKeyAndTheControlPasses() =>
        CalibrationSettings.RunAndCheck("fashion-mnist", fashion.Train, fashion.Test, fashion.Trained, output);
}

/// <summary>What each generator outputs, checked on a tiny labelled dataset against its own samples.</summary>
public class DefectiveGeneratorTests
{
    // 60 training and 40 held-out 1×4×4 images with distinct random pixels; labels i mod 4.
    static (ImageDataset Train, ImageDataset Test) Data()
    {
        var random = new Random(3);
        ImageDataset Make(string name, int count)
        {
            var pixels = new byte[count * 16];
            random.NextBytes(pixels);
            return new ImageDataset(name, pixels, count, 1, 4, 4, Enumerable.Range(0, count).Select(i => (long)(i % 4)).ToArray(), ["a", "b", "c", "d"]);
        }
        return (Make("tiny-train", 60), Make("tiny-test", 40));
    }

    static readonly DefectiveGeneratorOptions Options = new() { LatentSize = 8, BankSize = 1000 };

    /// <summary>Per output row: the index of the nearest sample of <paramref name="data"/> and the largest absolute difference to it.</summary>
    static (long Index, float MaxAbs)[] Nearest(Tensor outputs, Dataset data)
    {
        using var scope = NewDisposeScope();
        var all = data.ToTensor().reshape(data.Count, -1);           // (N, D)
        var flat = outputs.detach().reshape(outputs.shape[0], -1);   // (B, D)
        var diff = (flat.unsqueeze(1) - all.unsqueeze(0)).abs().amax([2]); // (B, N)
        var (values, indices) = diff.min(1);
        var v = values.data<float>().ToArray();
        var i = indices.data<long>().ToArray();
        return v.Select((x, k) => (i[k], x)).ToArray();
    }

    static Tensor Latents(int count, ulong seed) => randn([count, Options.LatentSize], generator: new TorchSharp.torch.Generator(seed));

    [Fact]
    public void ReplayOutputsTrainingSamplesAndTheControlHeldOutOnes()
    {
        var (train, test) = Data();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = Latents(200, 1);
        using (var replay = DefectiveGenerators.Build(DefectiveGenerators.Replay, train, test, Options))
        {
            var near = Nearest(replay.Generate(z), train);
            // Most outputs are one training sample to within 1e-3 per pixel; the rest lie near a boundary of two
            // selection cells, where the softmax blends two samples (top-two key scores closer than about ln(1000)/β).
            Assert.True(near.Count(n => n.MaxAbs < 1e-3f) >= 160, $"{near.Count(n => n.MaxAbs < 1e-3f)} of 200 outputs are training samples");
            Assert.True(near.Select(n => n.Index).Distinct().Count() >= 40, "the replay uses most of the training set");
        }
        using var control = DefectiveGenerators.Build(DefectiveGenerators.HeldOutReplay, train, test, Options);
        var held = Nearest(control.Generate(z), test);
        Assert.True(held.Count(n => n.MaxAbs < 1e-3f) >= 160, $"{held.Count(n => n.MaxAbs < 1e-3f)} of 200 outputs are held-out samples");
    }

    [Fact]
    public void ClassDefectsOutputOnlyTheirClasses()
    {
        var (train, test) = Data();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = Latents(200, 2);
        using var one = DefectiveGenerators.Build(DefectiveGenerators.OneClass, train, test, Options);
        using var part = DefectiveGenerators.Build(DefectiveGenerators.PartOfClasses, train, test, Options);
        var labelsOne = Nearest(one.Generate(z), test).Where(n => n.MaxAbs < 1e-3f).Select(n => test.Labels![n.Index]).ToList();
        var labelsPart = Nearest(part.Generate(z), test).Where(n => n.MaxAbs < 1e-3f).Select(n => test.Labels![n.Index]).ToList();
        Assert.True(labelsOne.Count >= 160 && labelsPart.Count >= 160, $"{labelsOne.Count} and {labelsPart.Count} of 200 are single samples");
        Assert.All(labelsOne, l => Assert.Equal(0, l));
        Assert.Equal([0L, 1L], labelsPart.Distinct().Order());
    }

    [Fact]
    public void MeanImageVariesLittleAroundTheTrainingMean()
    {
        var (train, test) = Data();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var mean = DefectiveGenerators.Build(DefectiveGenerators.MeanImage, train, test, Options);
        var outputs = mean.Generate(Latents(2000, 3)).reshape(2000, -1); // (B, 16)
        var expected = train.ToTensor().reshape(60, -1).mean([0]);        // (16,)
        // Random pixels average ≈ 0.5, far from the clamp at 0 and 1, so the variation is not cut.
        var offset = (outputs.mean([0]) - expected).abs().max().item<float>();
        Assert.True(offset < 0.01f, $"the outputs' mean is {offset} from the training mean");
        // About 0.05: with 8 latent dimensions the 64 hidden units are correlated, so only the order of magnitude is fixed.
        var std = outputs.std(0).mean().item<float>();
        Assert.InRange(std, 0.025f, 0.1f);
    }

    [Fact]
    public void LatentSensitiveChangesSampleUnderATinyPerturbationAndTheControlDoesNot()
    {
        var (train, test) = Data();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = Latents(200, 4);
        var moved = z + 0.01f * Latents(200, 5);
        int Changed(LatentGenerator g) => Nearest(g.Generate(z), test).Zip(Nearest(g.Generate(moved), test)).Count(p => p.First.Index != p.Second.Index);
        using var sensitive = DefectiveGenerators.Build(DefectiveGenerators.LatentSensitive, train, test, Options);
        using var control = DefectiveGenerators.Build(DefectiveGenerators.HeldOutReplay, train, test, Options);
        // 40 held-out samples: an unrelated selection repeats the sample with probability about 1/40.
        Assert.True(Changed(sensitive) >= 180, $"{Changed(sensitive)} of 200 changed");
        Assert.True(Changed(control) <= 20, $"{Changed(control)} of 200 changed");
    }

    [Fact]
    public void NonDeterministicDiffersBetweenTwoCallsWithTheSameLatent()
    {
        var (train, test) = Data();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = Latents(100, 6);
        using var noisy = DefectiveGenerators.Build(DefectiveGenerators.NonDeterministic, train, test, Options);
        using var control = DefectiveGenerators.Build(DefectiveGenerators.HeldOutReplay, train, test, Options);
        Assert.True(noisy.Generate(z).sub(noisy.Generate(z)).abs().amax([1, 2, 3]).gt(0.01f).sum().item<long>() >= 50);
        Assert.Equal(0f, control.Generate(z).sub(control.Generate(z)).abs().max().item<float>());
    }

    [Fact]
    public void UnlabelledDataGetsNoClassDefects()
    {
        var (train, _) = Data();
        var unlabelled = new ImageDataset("unlabelled", train.Pixels, train.Count, 1, 4, 4, null, []);
        Assert.Equal(["replay", "mean-image", "latent-sensitive", "non-deterministic", "held-out-replay"], DefectiveGenerators.For(unlabelled).Select(k => k.Name));
        Assert.Equal(DefectiveGenerators.All, DefectiveGenerators.For(train));
    }

    [Fact]
    public void CalibrationLinkIsFoundByFingerprintOnly()
    {
        using var temp = new TempRun();
        var report = temp.Sub("calibration.md");
        File.WriteAllText(report, "table");
        var link = new CalibrationLink("mnist", "abc123", report, temp.Sub("calibration.json"), "default", 6, 6, 0, 1, 1000, DateTimeOffset.UnixEpoch);
        GenAudit.Core.Json.WriteFile(Directory.CreateDirectory(temp.Sub("calibration")).FullName + "/abc123.json", link);
        Assert.Equal(link, CalibrationReport.Find("abc123", temp.Path));
        Assert.Null(CalibrationReport.Find("abc124", temp.Path));
        Assert.Contains("6 of 6 defective generators caught, 0 of 1 healthy controls failed", link.Describe());
        File.Delete(report);
        Assert.Null(CalibrationReport.Find("abc123", temp.Path));
    }
}
