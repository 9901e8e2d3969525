using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

/// <summary>Test generators whose quality is known in advance.</summary>
static class FixtureGenerators
{
    /// <summary>A uniform index in [0, count) from the first latent coordinate: Φ(z₀) · count.</summary>
    public static Tensor IndexFromLatent(Tensor z, int count)
    {
        using var scope = NewDisposeScope();
        var uniform = special.ndtr(z[.., 0]);                                             // (B,)
        return (uniform * count).floor().clamp(0, count - 1).to(ScalarType.Int64).MoveToOuterDisposeScope(); // (B,)
    }
}

/// <summary>Returns dataset samples picked by z: a copying generator on the training split, an honest one on the test split, a collapsed one with a fixed index.</summary>
sealed class DatasetGenerator(Dataset data, int? fixedIndex = null) : IGenerativeModel
{
    public int LatentSize => 4;
    public int ConditionCount => 0;
    public long[] OutputShape => data.SampleShape;
    public bool IsDifferentiable => false;
    public Device Device => CPU;

    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        var indices = fixedIndex is { } i ? full([z.shape[0]], (long)i, ScalarType.Int64) : FixtureGenerators.IndexFromLatent(z, data.Count);
        var (x, y) = data.GetBatch(indices);
        y?.Dispose();
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>A conditional generator that returns a test image of the requested class (or of class 0 when <paramref name="ignoreCondition"/>).</summary>
sealed class ClassImageGenerator(ImageDataset data, bool ignoreCondition) : IGenerativeModel
{
    readonly long[][] byClass = Enumerable.Range(0, data.ClassNames.Count)
        .Select(c => Enumerable.Range(0, data.Count).Where(i => data.Labels![i] == c).Select(i => (long)i).ToArray()).ToArray();

    public int LatentSize => 4;
    public int ConditionCount => data.ClassNames.Count;
    public long[] OutputShape => data.SampleShape;
    public bool IsDifferentiable => false;
    public Device Device => CPU;

    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        var classes = condition!.data<long>().ToArray();
        var picks = FixtureGenerators.IndexFromLatent(z, 1 << 20).data<long>().ToArray();
        var indices = classes.Select((c, i) => { var pool = byClass[ignoreCondition ? 0 : c]; return pool[picks[i] % pool.Length]; }).ToArray();
        var (x, y) = data.GetBatch(indices);
        y?.Dispose();
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>2D generator: the true mixture (mode Φ(z₀)·M, noise z₁,₂ · std) moved by <paramref name="shift"/>, or always mode 0 when collapsed.</summary>
sealed class MixtureGenerator(Mixture2D mixture, double shift = 0, bool collapsed = false) : IGenerativeModel
{
    public int LatentSize => 3;
    public int ConditionCount => 0;
    public long[] OutputShape => [2];
    public bool IsDifferentiable => false;
    public Device Device => CPU;

    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        var means = tensor(mixture.Means.SelectMany(m => new[] { (float)m.X, (float)m.Y }).ToArray(), [mixture.ModeCount, 2]); // (M, 2)
        var modes = collapsed ? zeros([z.shape[0]], ScalarType.Int64) : FixtureGenerators.IndexFromLatent(z, mixture.ModeCount); // (B,)
        var points = means.index_select(0, modes) + z[.., 1..3] * (float)mixture.Std + (float)shift; // (B, 2)
        return points.MoveToOuterDisposeScope();
    }
}

[Collection(MnistClassifierCollection.Name)]
public class QualityEvaluatorTests(MnistClassifierFixture mnist, ITestOutputHelper output)
{
    const int ImageSamples = 1000;

    QualityEvaluator ImageEvaluator() =>
        new(new ClassifierFeatureExtractor(mnist.Trained), mnist.Train, mnist.Test, new QualityEvaluationOptions { SampleCount = ImageSamples, Seed = 3, BootstrapResamples = 0 });

    void Print(string name, QualityEvaluation result) =>
        output.WriteLine($"{name}: " + string.Join(", ", result.ToFlatDictionary().Select(kv => $"{kv.Key}={kv.Value?.ToString("G4") ?? "null"}")));

    [Fact]
    public void CollapsedImageGeneratorCoversOneClass()
    {
        var result = ImageEvaluator().Evaluate(new DatasetGenerator(mnist.Test, fixedIndex: 0));
        Print("collapsed", result);
        var flat = result.ToFlatDictionary();
        Assert.Equal(1.0, flat["classes.covered"]);
        Assert.True(flat["classes.kl"] > 2.0, $"classes.kl {flat["classes.kl"]}"); // ln 10 ≈ 2.30 for one of ten balanced classes
        Assert.True(flat["recall"] < 0.05 && flat["coverage"] < 0.05);
        // One image repeated: every one of the ten splits predicts one distribution, so each scores exp(0) = 1.
        Assert.Equal(10, result.InceptionScore!.Splits);
        Assert.Equal(1.0, flat["isScore"]!.Value, 1e-9);
        Assert.Equal(0.0, flat["isScore.std"]!.Value, 1e-9);
        // 2,000 real samples against subsets of 1,000: the subsets differ, so KID reports their spread.
        Assert.True(flat["kid.std"] > 0);
        Assert.Null(flat["modes.captured"]);
        Assert.Null(flat["conditionAccuracy"]);
        Assert.Equal(mnist.Trained.Info.TestAccuracy, flat["classifier.accuracy"]);
        Assert.Equal(2000.0, flat["samples.real"]);
        Assert.Equal(ImageSamples, flat["samples.generated"]);
        Assert.Equal(3.0, flat["seed"]);
    }

    [Fact]
    public void CopyingGeneratorIsFlaggedAndHonestGeneratorIsNot()
    {
        var evaluator = ImageEvaluator();
        var copying = evaluator.Evaluate(new DatasetGenerator(mnist.Train));
        var honest = evaluator.Evaluate(new DatasetGenerator(mnist.Test));
        Print("copying", copying);
        Print("honest", honest);
        Assert.True(copying.Copies.CopyFraction >= 0.9, $"copies.fraction {copying.Copies.CopyFraction}");
        Assert.True(honest.Copies.CopyFraction <= 0.05, $"copies.fraction {honest.Copies.CopyFraction}");
        Assert.Equal(10.0, honest.ToFlatDictionary()["classes.covered"]);
        Assert.True(honest.ToFlatDictionary()["classes.kl"] < 0.05);
        Assert.True(honest.Fid.Distance < copying.Fid.Distance * 2 + 1); // both are real digits: FID stays small

        // The closest pairs are exact copies, with dataset indices and the generated pixels.
        var pair = copying.ClosestPairs[0];
        Assert.Equal(0.0, pair.Distance);
        using var scope = NewDisposeScope();
        var (trainImage, _) = mnist.Train.GetBatch([pair.TrainingIndex]);
        Assert.Equal(trainImage.data<float>().ToArray(), pair.GeneratedSample);
    }

    [Fact]
    public void ConditionAccuracyMeasuresRequestedClasses()
    {
        var evaluator = ImageEvaluator();
        var obeying = evaluator.Evaluate(new ClassImageGenerator(mnist.Test, ignoreCondition: false)).ToFlatDictionary();
        var ignoring = evaluator.Evaluate(new ClassImageGenerator(mnist.Test, ignoreCondition: true)).ToFlatDictionary();
        Assert.True(obeying["conditionAccuracy"] >= 0.97, $"conditionAccuracy {obeying["conditionAccuracy"]}");
        Assert.True(ignoring["conditionAccuracy"] is > 0.05 and < 0.15, $"conditionAccuracy {ignoring["conditionAccuracy"]}"); // right only for class 0
    }

    [Fact]
    public void FeaturesAreWrittenAsNpy()
    {
        var evaluator = new QualityEvaluator(new IdentityFeatureExtractor(2), Ring8Train(), Ring8Test(), new QualityEvaluationOptions { SampleCount = 300, BootstrapResamples = 0 });
        var result = evaluator.Evaluate(new MixtureGenerator(Mixture2D.Ring8));
        var folder = Directory.CreateTempSubdirectory("genaudit-features-").FullName;
        try
        {
            result.WriteFeatures(folder);
            var real = Npy.Read(Path.Combine(folder, "real.npy"));
            var fake = Npy.Read(Path.Combine(folder, "fake.npy"));
            Assert.Equal([2000L, 2], real.Shape);
            Assert.Equal([300L, 2], fake.Shape);
            Assert.Equal(result.GeneratedFeatures, fake.Float32);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void OracleRingGeneratorCapturesAllModesAndBeatsAShiftedOne()
    {
        var evaluator = new QualityEvaluator(new IdentityFeatureExtractor(2), Ring8Train(), Ring8Test(), new QualityEvaluationOptions { SampleCount = 2500, BootstrapResamples = 0 });
        var oracle = evaluator.Evaluate(new MixtureGenerator(Mixture2D.Ring8));
        var shifted = evaluator.Evaluate(new MixtureGenerator(Mixture2D.Ring8, shift: 0.3));
        Print("oracle", oracle);
        Print("shifted", shifted);
        var flat = oracle.ToFlatDictionary();
        Assert.Equal(8.0, flat["modes.captured"]);
        Assert.True(flat["modes.highQuality"] >= 0.95);
        Assert.True(flat["modes.reverseKl"] < 0.01);
        Assert.True(oracle.Fid.Distance < 0.002, $"fid {oracle.Fid.Distance}");
        Assert.True(oracle.Fid.Distance < 0.01 * shifted.Fid.Distance, $"fid {oracle.Fid.Distance} vs shifted {shifted.Fid.Distance}");
        Assert.True(flat["copies.fraction"] < 0.05);
        Assert.Null(flat["isScore"]);
        Assert.Null(flat["isScore.std"]);
        Assert.Null(flat["classes.covered"]);
        Assert.Null(flat["classifier.accuracy"]);
        Assert.Equal(20_000, oracle.CopyTrainingCount); // every training point, not a subsample
        // Fresh draws of the mixture are neither copies nor underfit: C_T near 0, authenticity near ½.
        Assert.InRange(flat["copies.ct"]!.Value, -3, 3);
        Assert.InRange(flat["authenticity"]!.Value, 0.35, 0.65);
    }

    [Fact]
    public void CollapsedRingGeneratorCapturesOneMode()
    {
        var evaluator = new QualityEvaluator(new IdentityFeatureExtractor(2), Ring8Train(), Ring8Test(), new QualityEvaluationOptions { SampleCount = 2500, BootstrapResamples = 0 });
        var flat = evaluator.Evaluate(new MixtureGenerator(Mixture2D.Ring8, collapsed: true)).ToFlatDictionary();
        Assert.Equal(1.0, flat["modes.captured"]);
        Assert.Equal(Math.Log(8), flat["modes.reverseKl"]!.Value, 1e-12);
        Assert.True(flat["coverage"] < 0.2);
    }

    [Fact]
    public void EvaluationIsReproducibleForASeed()
    {
        var options = new QualityEvaluationOptions { SampleCount = 500, Seed = 11 };
        var a = new QualityEvaluator(new IdentityFeatureExtractor(2), Ring8Train(), Ring8Test(), options).Evaluate(new MixtureGenerator(Mixture2D.Ring8));
        var b = new QualityEvaluator(new IdentityFeatureExtractor(2), Ring8Train(), Ring8Test(), options).Evaluate(new MixtureGenerator(Mixture2D.Ring8));
        Assert.Equal(a.ToFlatDictionary(), b.ToFlatDictionary());
        Assert.Equal(a.Intervals, b.Intervals); // the bootstrap is seeded too
        Assert.Contains("precision", a.Intervals.Keys);
    }

    static PointDataset Ring8Train() => Mixture2D.Ring8.TrainingSet(20_000, seed: 0);
    static PointDataset Ring8Test() => Mixture2D.Ring8.TrainingSet(2_000, seed: 1);
}
