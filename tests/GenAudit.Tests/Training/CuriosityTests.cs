using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

/// <summary>The curiosity bonus (RND, pseudo-count), MSGAN's mode-seeking term and PacGAN packing.</summary>
public class CuriosityTests
{
    static readonly ModelConfig Points = new() { LatentSize = 4, Width = 16, Depth = 2, DataShape = [2] };

    static RandomNetworkDistillation Rnd(long seed = 3)
    {
        lock (GlobalRandom.Lock)
        {
            manual_seed(seed);
            return new RandomNetworkDistillation(new CuriosityOptions(), [2], CPU);
        }
    }

    static Tensor Around(double x, double y, int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([count, 2], generator: generator) * 0.05f + tensor(new[] { (float)x, (float)y });   // (count, 2)
    }

    [Fact]
    public void RndNoveltyIsHigherOnInputsUnlikeThoseThePredictorWasTrainedOn()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var rnd = Rnd();
        for (int step = 0; step < 300; step++) rnd.Learn(Around(1, 0, 64, step));
        using var noGrad = no_grad();
        var seen = rnd.Novelty(Around(1, 0, 256, 10_000)).mean().item<float>();
        foreach (var (x, y) in new[] { (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0) })
        {
            var unseen = rnd.Novelty(Around(x, y, 256, 10_001)).mean().item<float>();
            Assert.True(unseen > 10 * seen, $"novelty at ({x}, {y}) is {unseen}, at the trained mode (1, 0) {seen}; expected at least 10× higher");
        }
    }

    [Fact]
    public void TheBonusGradientReachesTheGeneratorAndNothingElse()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        GanGenerator generator;
        GanDiscriminator discriminator;
        lock (GlobalRandom.Lock)
        {
            manual_seed(1);
            generator = new GanGenerator(Points);
            discriminator = new GanDiscriminator(Points);
        }
        using var rnd = Rnd();
        var z = randn([32, 4]);
        var fake = generator.call(z, null);
        var bonus = rnd.Bonus(fake).mean();
        bonus.backward();
        Assert.All(generator.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.All(discriminator.parameters(), p => Assert.Null(p.grad));
        Assert.All(rnd.Target.parameters(), p => Assert.Null(p.grad));
        Assert.All(rnd.Predictor.parameters(), p => Assert.Null(p.grad));

        // Only the predictor's own step moves it, and nothing moves the target.
        var target = rnd.Target.parameters().Select(p => p.clone()).ToList();
        var predictor = rnd.Predictor.parameters().Select(p => p.clone()).ToList();
        rnd.Learn(fake);
        Assert.All(rnd.Target.parameters().Zip(target), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        Assert.Contains(rnd.Predictor.parameters().Zip(predictor), pair => !pair.First.eq(pair.Second).all().item<bool>());
        Assert.All(rnd.Predictor.parameters(), p => Assert.False(p.requires_grad));
        generator.Dispose();
        discriminator.Dispose();
    }

    [Fact]
    public void RunningNormalisationMatchesThePooledMomentsOfEveryNoveltySeen()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var rnd = Rnd();
        var seen = new List<double>();
        for (int step = 0; step < 3; step++)
        {
            var x = Around(step, 0, 50, step);
            using (no_grad()) seen.AddRange(rnd.Novelty(x).to(ScalarType.Float64).data<double>().ToArray());
            rnd.Learn(x);
        }
        // OpenAI baselines' RunningMeanStd starts from mean 0, variance 1 with weight 1e-4.
        const double prior = 1e-4;
        double n = seen.Count + prior, mean = seen.Sum() / n;
        double variance = (prior * (1 + mean * mean) + seen.Sum(v => (v - mean) * (v - mean))) / n;
        var moments = rnd.Moments;
        Assert.Equal(n, moments.Count, 1e-9);
        Assert.Equal(mean, moments.Mean, 1e-9);
        Assert.Equal(variance, moments.Variance, 1e-9);
        using var noGrad = no_grad();
        var probe = Around(2, 0, 4, 99);
        var ratio = (rnd.Bonus(probe) / rnd.Novelty(probe)).to(ScalarType.Float64).data<double>().ToArray();
        Assert.All(ratio, r => Assert.Equal(1 / Math.Sqrt(variance + 1e-8), r, 1e-4));
    }

    [Fact]
    public void CountNoveltyIsTheInverseRootOfOnePlusTheKernelCountOverTheNewestSamples()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var count = new CountNovelty(new CuriosityOptions { Kind = CuriosityKind.Count, Memory = 3, Bandwidth = 1 }, [2], CPU);
        using (no_grad()) Assert.Equal(1f, count.Novelty(tensor(new float[,] { { 5, 5 } }))[0].item<float>());
        count.Learn(tensor(new float[,] { { 9, 9 }, { 0, 0 } }));
        count.Learn(tensor(new float[,] { { 1, 0 }, { 0, 2 } }));   // a memory of 3: (9, 9) is the oldest and is overwritten
        Assert.Equal(3, count.Filled);
        using var noGrad = no_grad();
        var novelty = count.Novelty(tensor(new float[,] { { 0, 0 } }))[0].item<float>();
        // n̂(0, 0) = exp(0) + exp(−1/2) + exp(−4/2) over the memory {(0, 0), (1, 0), (0, 2)}.
        var expected = 1 / Math.Sqrt(1 + 1 + Math.Exp(-0.5) + Math.Exp(-2));
        Assert.Equal(expected, novelty, 1e-6);
    }

    [Fact]
    public void ModeSeekingTermIsTheInverseOfTheOutputToLatentDistanceRatio()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var samples = tensor(new double[,] { { 0, 1 }, { 2, 2 }, { 1, 1 }, { 2, 5 } });   // halves: rows 0–1 and rows 2–3
        var latents = tensor(new double[,] { { 0 }, { 1 }, { 2 }, { 4 } });
        // mean|G(z1) − G(z2)| = (1 + 0 + 0 + 3) / 4 = 1; mean|z1 − z2| = (2 + 3) / 2 = 2.5.
        var term = ModeSeeking.Term(samples, latents).item<double>();
        Assert.Equal(1 / (1 / 2.5 + ModeSeeking.Epsilon), term, 1e-12);
    }

    [Fact]
    public void PackingConcatenatesConsecutiveSamplesAlongFeaturesOrChannels()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var points = arange(12, ScalarType.Float32).reshape(6, 2);          // (6, 2)
        var packed = Packing.Pack(points, 3);
        Assert.Equal([2L, 6L], packed.shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, packed[0].data<float>().ToArray());
        Assert.Equal(new float[] { 6, 7, 8, 9, 10, 11 }, packed[1].data<float>().ToArray());

        var images = arange(4 * 3 * 8 * 8, ScalarType.Float32).reshape(4, 3, 8, 8);   // (4, 3, 8, 8)
        var packedImages = Packing.Pack(images, 2);
        Assert.Equal([2L, 6L, 8L, 8L], packedImages.shape);
        Assert.True(packedImages[1].narrow(0, 3, 3).eq(images[3]).all().item<bool>());   // pack 1, channels 3–5 = sample 3

        var config = new ModelConfig { LatentSize = 4, Width = 4, DataShape = [3, 8, 8] };
        foreach (var m in new[] { 2, 3, 4 })
        {
            using var discriminator = new PackedDiscriminator(config, m);
            Assert.Equal([12L / m], discriminator.call(randn(12, 3, 8, 8), null).shape);
        }
        using var pointDiscriminator = new PackedDiscriminator(Points, 4);
        Assert.Equal([3L], pointDiscriminator.call(randn(12, 2), null).shape);
        Assert.Throws<ArgumentException>(() => Packing.Pack(randn(10, 2), 4));
    }

    [Fact]
    public void OptionsAreRefusedWhereTheyDoNotApply()
    {
        var images = new TrainingConfig { Model = new ModelConfig { DataShape = [1, 8, 8] }, Curiosity = new CuriosityOptions { Kind = CuriosityKind.Count } };
        Assert.Contains("--curiosity count", Assert.Throws<ArgumentException>(images.Validate).Message);
        var conditional = new TrainingConfig { Model = new ModelConfig { Family = ModelFamily.Cgan, ConditionCount = 10 }, Pack = 2 };
        Assert.Contains("--pack", Assert.Throws<ArgumentException>(conditional.Validate).Message);
        var odd = new TrainingConfig { BatchSize = 30, Pack = 4 };
        Assert.Contains("multiple of 4", Assert.Throws<ArgumentException>(odd.Validate).Message);
        var vae = new TrainingConfig { Model = new ModelConfig { Family = ModelFamily.Vae }, ModeSeekingWeight = 1 };
        Assert.Contains("GANs", Assert.Throws<ArgumentException>(vae.Validate).Message);
    }

    [Fact]
    public void ManifestsWrittenBeforeCuriosityReadAsNone()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "GenAudit.sln"))) dir = dir.Parent!;
        var path = Path.Combine(dir.FullName, "tests", "GenAudit.Tests", "Fixtures", "fuzz", "manifest", "ring8-manifest.json");
        var manifest = Json.ReadFile<RunManifest>(path);
        Assert.Null(manifest.Config.Curiosity);
        Assert.Equal(0, manifest.Config.ModeSeekingWeight);
        Assert.Equal(1, manifest.Config.Pack);
    }

    public static TheoryData<string> ResumeCases => ["rnd-images", "count-points"];

    [Theory]
    [MemberData(nameof(ResumeCases))]
    public void ResumeIsBitIdenticalWithCuriosityModeSeekingAndPacking(string setting)
    {
        using var temp = new TempRun();
        TrainingConfig config;
        IOwnedTrainingData data;
        if (setting == "rnd-images")
        {
            data = TrainingFixtures.TinyImages(128);
            config = TrainingFixtures.TinyConvGan(20, ModelFamily.Gan) with
            {
                Curiosity = new CuriosityOptions { Weight = 0.5, OutputSize = 8 },
                ModeSeekingWeight = 0.1,
                Pack = 2,
            };
        }
        else
        {
            using (NewDisposeScope())
            {
                using var generator = new Generator(5);
                data = new TensorTrainingData("points", randn([512, 2], generator: generator), null, 0, "points-seed-5");
            }
            config = new TrainingConfig
            {
                Model = Points, Steps = 40, BatchSize = 32, Seed = 3, LogEvery = 5, CheckpointEvery = 1000, Threads = 1, EmaDecay = 0.9,
                Curiosity = new CuriosityOptions { Kind = CuriosityKind.Count, Memory = 48 }, Pack = 4,
            };
        }
        using var owned = data;
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) straight.Run();
        using (var first = new Trainer(config, data, temp.Sub("resumed"))) first.Run(stopAtStep: config.Steps / 2);
        using (var second = new Trainer(config, data, temp.Sub("resumed"), resume: true)) second.Run();

        var a = Checkpoint.FindLatest(new RunDirectory(temp.Sub("straight")))!.Value;
        var b = Checkpoint.FindLatest(new RunDirectory(temp.Sub("resumed")))!.Value;
        var files = Directory.GetFiles(a.Folder, "*.safetensors").Select(Path.GetFileName).ToList();
        Assert.Contains("discriminator_packed.safetensors", files);
        Assert.Contains(setting == "rnd-images" ? "curiosity_predictor.safetensors" : "curiosity_memory.safetensors", files);
        foreach (var file in files)
        {
            var left = TrainingFixtures.StateBytes(Path.Combine(a.Folder, file!));
            var right = TrainingFixtures.StateBytes(Path.Combine(b.Folder, file!));
            Assert.Equal(left.Keys.Order(), right.Keys.Order());
            foreach (var key in left.Keys) Assert.True(left[key].AsSpan().SequenceEqual(right[key]), $"{file}: {key} differs");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(a.Folder, "curiosity.json")), File.ReadAllText(Path.Combine(b.Folder, "curiosity.json")));
        var historyA = HistoryFile.Read(new RunDirectory(temp.Sub("straight")).History);
        var historyB = HistoryFile.Read(new RunDirectory(temp.Sub("resumed")).History);
        Assert.All(historyA, h => Assert.NotNull(h.Novelty));
        Assert.Equal(setting == "rnd-images", historyA[0].PredictorLoss is not null);
        Assert.Equal(historyA.Select(h => (h.Step, h.LossD, h.LossG, h.Novelty, h.PredictorLoss, h.BonusShare)),
                     historyB.Select(h => (h.Step, h.LossD, h.LossG, h.Novelty, h.PredictorLoss, h.BonusShare)));
    }
}
