using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Training;

/// <summary>Small data and configurations shared by the training tests.</summary>
static class TrainingFixtures
{
    /// <summary>The ring8 training set (100,000 points, seed 0), as the CLI loads it.</summary>
    public static TensorTrainingData Ring8() => TensorTrainingData.FromDataset(DatasetRegistry.Resolve("ring8"));

    /// <summary>A few hundred tiny 8×8 labelled images (MNIST digits average-pooled), for fast convolutional runs.</summary>
    public static TensorTrainingData TinyImages(int count = 256)
    {
        using var scope = NewDisposeScope();
        var mnist = MnistEmbedded.Load(DataSplit.Test);
        var (x, y) = mnist.GetBatch(Enumerable.Range(0, count).Select(i => (long)i).ToArray());
        var small = nn.functional.adaptive_avg_pool2d(x, [8, 8]);
        return new TensorTrainingData("tiny-mnist-8x8", small, y, 10, "tiny-" + mnist.Fingerprint);
    }

    /// <summary>A tiny convolutional GAN with every stabiliser that has state: BN, spectral norm, EMA (with re-estimated BN statistics), R1.</summary>
    public static TrainingConfig TinyConvGan(long steps, ModelFamily family = ModelFamily.Cgan) => new()
    {
        Data = "tiny",
        Model = new ModelConfig { Family = family, LatentSize = 8, Width = 4, EmbeddingSize = 4, SpectralNorm = true },
        Steps = steps,
        BatchSize = 16,
        R1Gamma = 0.1,
        EmaDecay = 0.9,
        EmaBatchNormReestimate = true,
        L2Weight = 1e-4,
        LearningRateDecay = 0.5,
        Seed = 7,
        LogEvery = 10,
        CheckpointEvery = 1000,
        Threads = 1,
    };

    /// <summary>Every tensor of a module's state dict, as raw bytes.</summary>
    public static Dictionary<string, byte[]> StateBytes(string safetensorsPath) =>
        SafeTensors.Load(safetensorsPath).ToDictionary(kv => kv.Key, kv => { var b = kv.Value.bytes.ToArray(); kv.Value.Dispose(); return b; });
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
sealed class TempRun : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("genaudit-train-tests-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
