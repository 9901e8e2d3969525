using System.Diagnostics;
using GenAudit.Application;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Tests.Models;
using GenAudit.Training;
using SkiaSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>
/// A small DCGAN trained on the embedded MNIST once per test process (latent 32, width 32, 200 steps),
/// opened with the feature classifier of <see cref="MnistClassifierFixture"/> through $GENAUDIT_CACHE.
/// </summary>
static class MnistDcgan
{
    static readonly object Gate = new();
    static string? runFolder;

    /// <summary>Seconds the one training took (0 after the first call).</summary>
    public static double TrainingSeconds { get; private set; }

    /// <summary>The run folder, training it on first use.</summary>
    public static string Run()
    {
        lock (Gate)
        {
            if (runFolder is not null) return runFolder;
            var folder = Directory.CreateTempSubdirectory("genaudit-explain-dcgan-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, true); } catch (IOException) { } };
            var clock = Stopwatch.StartNew();
            using var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve("mnist"));
            var config = new TrainingConfig
            {
                Data = "mnist",
                // The MNIST defaults (SiLU generator) at a smaller size.
                Model = TrainingConfig.DefaultsFor("mnist").Model with { Family = ModelFamily.Gan, LatentSize = 32, Width = 32 },
                Steps = 200, BatchSize = 64, Seed = 3, LogEvery = 100, CheckpointEvery = 1000, Threads = 2,
            };
            using (var trainer = new Trainer(config, data, Path.Combine(folder, "run"))) trainer.Run();
            TrainingSeconds = clock.Elapsed.TotalSeconds;
            runFolder = Path.Combine(folder, "run");
            return runFolder;
        }
    }

    /// <summary>Opens the run with the fixture's cached classifier (restores $GENAUDIT_CACHE afterwards).</summary>
    public static AuditSubject Open(MnistClassifierFixture mnist)
    {
        var run = Run();
        var previous = Environment.GetEnvironmentVariable(FeatureClassifierCache.EnvironmentVariable);
        Environment.SetEnvironmentVariable(FeatureClassifierCache.EnvironmentVariable, mnist.CacheFolder);
        try { return AuditSubject.Open(run); }
        finally { Environment.SetEnvironmentVariable(FeatureClassifierCache.EnvironmentVariable, previous); }
    }
}

[Collection(MnistClassifierCollection.Name)]
public class ExplainRunnerTests(MnistClassifierFixture mnist, ITestOutputHelper output)
{
    // Issue 5, acceptance 3. Both networks on the path are smooth (SiLU generator, SiLU all-convolutional classifier),
    // so 50 Gauss–Legendre nodes integrate the gradient along the path to about 1e-5 relative; with ReLU in either
    // network the error was 0.03%–15% (docs/explain-methods.md, "Completeness on the MNIST DCGAN").
    [Fact]
    public void IntegratedGradientsIsCompleteAtFiftyStepsOnAClassTarget()
    {
        using var subject = MnistDcgan.Open(mnist);
        output.WriteLine($"DCGAN training: {MnistDcgan.TrainingSeconds:F1} s");
        using var result = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "class:3", Count = 8, Seed = 1, Steps = 50 });
        foreach (var r in result.Records)
            output.WriteLine($"f(x) {r.TargetAtInput:F4} f(b) {r.TargetAtBaseline:F4} error {r.CompletenessError:E2} relative {r.RelativeCompletenessError:E2}");
        Assert.Equal([8L, 32], result.Attribution.Attributions.shape);
        Assert.All(result.Records, r => Assert.True(r.RelativeCompletenessError < 1e-3,
            $"example {r.Index}: |Σφ − (f(x) − f(b))| / |f(x) − f(b)| = {r.RelativeCompletenessError:E2}"));
    }

    [Fact]
    public void IntegratedGradientsBeatsRandomOnCurvesAndFaithfulnessOverSeveralSeeds()
    {
        using var subject = MnistDcgan.Open(mnist);
        foreach (var seed in new long[] { 0, 1, 2 })
        {
            var report = ExplainRunner.Evaluate(subject, "ig", "class:3", 8, seed,
                new ComparisonOptions { IntegratedGradientsSteps = 50, CurveSteps = 20, FaithfulnessSubsets = 100, InfidelitySamples = 50, SensitivitySamples = 2 });
            var v = report.ToDictionary();
            output.WriteLine($"seed {seed}: insertion ig {v["ig.insertionAuc"]:F3} random {v["random.insertionAuc"]:F3}; deletion ig {v["ig.deletionAuc"]:F3} random {v["random.deletionAuc"]:F3}; " +
                             $"faithfulness ig {v["ig.faithfulnessCorrelation"]:F3} random {v["random.faithfulnessCorrelation"]:F3}; explainability ig {v["ig.explainability"]:F3} random {v["random.explainability"]:F3}");
            // Features are ranked by their contribution to f(x) − f(b) (attribution × its sign), so examples whose
            // logit lies below the baseline's are ranked by their most negative attributions.
            Assert.True(v["ig.insertionAuc"] - v["random.insertionAuc"] > 0.05, $"seed {seed}: insertion margin");
            Assert.True(v["random.deletionAuc"] - v["ig.deletionAuc"] > 0.05, $"seed {seed}: deletion margin");
            Assert.True(v["ig.faithfulnessCorrelation"] - v["random.faithfulnessCorrelation"] > 0.3, $"seed {seed}: faithfulness margin");
            Assert.Contains(v.Keys, k => k.StartsWith("ig.randomisation.spearman.", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void EveryMethodWritesReadablePngsForLatentsAndImages()
    {
        using var subject = MnistDcgan.Open(mnist);
        using var temp = new TempDirectory();
        foreach (var method in ExplainRunner.Methods)
        {
            using var result = ExplainRunner.Attribute(subject, new ExplainRequest
            {
                Method = method, Target = "class:7", Count = 2, Seed = 4, Steps = 16, Samples = method is "kernelshap" or "lime" ? 128 : 8,
            });
            Assert.Equal(result.Inputs.shape, result.Attribution.Attributions.shape);
            var paths = AttributionCharts.Write(result, Path.Combine(temp.Path, method));
            Assert.Equal(2, paths.Count);
            foreach (var path in paths) AssertReadablePng(path);
            // Set GENAUDIT_EXPLAIN_EXAMPLES to a folder to keep one picture per method (docs/explain was made so).
            if (Environment.GetEnvironmentVariable("GENAUDIT_EXPLAIN_EXAMPLES") is { Length: > 0 } examples)
            {
                Directory.CreateDirectory(examples);
                File.Copy(paths[0], Path.Combine(examples, method + ".png"), overwrite: true);
            }
        }
        using var images = subject.Generator.Generate(randn(2, 32, generator: new Generator(5))).detach();
        using var onImages = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "kernelshap", Target = "class:7", Inputs = images, Samples = 128, Mask = "patch:7" });
        Assert.Equal(TargetInput.Image, onImages.InputKind);
        Assert.Equal([2L, 1, 28, 28], onImages.Attribution.Attributions.shape);
        var heatmaps = AttributionCharts.Write(onImages, Path.Combine(temp.Path, "images"));
        Assert.Single(heatmaps);
        AssertReadablePng(heatmaps[0]);
        if (Environment.GetEnvironmentVariable("GENAUDIT_EXPLAIN_EXAMPLES") is { Length: > 0 } folder)
            File.Copy(heatmaps[0], Path.Combine(folder, "kernelshap-image-heatmaps.png"), overwrite: true);
    }

    [Fact]
    public void BadMethodTargetShapeAndMaskAreClearErrors()
    {
        using var subject = MnistDcgan.Open(mnist);
        Assert.Contains("is not one of saliency", Assert.Throws<ArgumentException>(() => ExplainRunner.Attribute(subject, new ExplainRequest { Method = "shapley", Target = "class:3" })).Message);
        Assert.Contains("class must be in 0..9", Assert.Throws<ArgumentException>(() => ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "class:12" })).Message);
        using var wrong = zeros(2, 5);
        Assert.Contains("this run explains latents (N, 32) or images (N, 1, 28, 28)",
            Assert.Throws<ArgumentException>(() => ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "class:3", Inputs = wrong })).Message);
        Assert.Contains("latent inputs take latent:K",
            Assert.Throws<ArgumentException>(() => ExplainRunner.Attribute(subject, new ExplainRequest { Method = "lime", Target = "class:3", Mask = "patch:4" })).Message);
    }

    [Fact]
    public void RandomisationLayersRunTopDown()
    {
        using var subject = MnistDcgan.Open(mnist);
        var classifierLayers = ExplainRunner.LayersTopDown(subject.Classifier!.Classifier);
        Assert.Equal(["fc2", "fc1", "conv2", "conv1"], classifierLayers);
        var generatorLayers = ExplainRunner.LayersTopDown((TorchSharp.torch.nn.Module)subject.Generator);
        output.WriteLine(string.Join(", ", generatorLayers));
        Assert.True(generatorLayers.Count >= 2);
    }

    static void AssertReadablePng(string path)
    {
        Assert.True(File.Exists(path), path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width > 50 && bitmap.Height > 50, $"{path}: {bitmap.Width}x{bitmap.Height}");
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("genaudit-explain-tests-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
