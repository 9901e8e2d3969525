using GenAudit.Audit;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Interop;
using GenAudit.Models;
using GenAudit.Training;
using static TorchSharp.torch;

namespace GenAudit.Tests.Hardening.Fuzz;

/// <summary>Every reader of outside data GenAudit has, as a fuzz target, and the committed seed corpus.</summary>
public static class FuzzTargets
{
    /// <summary>The targets, each with the exception types its documentation promises.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("idx", ".idx", path => IdxReader.Read(path), typeof(InvalidDataException)),
        new("idx-gzip", ".gz", path => IdxReader.Read(path), typeof(InvalidDataException)),
        new("npy", ".npy", path => Npy.Read(path), typeof(InvalidDataException)),
        new("safetensors", ".safetensors", path => DisposeAll(SafeTensors.Load(path)), typeof(InvalidDataException)),
        new("torch-zip", ".pt", path => DisposeAll(PyTorchStateDict.Load(path)), typeof(InvalidDataException)),
        new("pickle", ".pkl", path => RestrictedUnpickler.Load(File.ReadAllBytes(path), path), typeof(InvalidDataException)),
        new("onnx", ".onnx", path => OnnxGenerator.Load(path, new OnnxGeneratorOptions { LatentSize = 4 }).Dispose(), typeof(InvalidDataException)),
        new("image-png", ".png", ReadImageFolder, typeof(InvalidDataException)),
        new("image-jpeg", ".jpg", ReadImageFolder, typeof(InvalidDataException)),
        new("manifest", ".json", path => Json.ReadFile<RunManifest>(path), typeof(InvalidDataException)),
        new("checkpoint-state", ".json", path => Json.ReadFile<CheckpointState>(path), typeof(InvalidDataException)),
        new("history", ".jsonl", path => HistoryFile.Read(path), typeof(InvalidDataException)),
        new("policy", ".json", path => Policy.Load(path), typeof(PolicyException)),
    ];

    static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }

    /// <summary>
    /// The mutated image sits in a class folder beside one good image: the folder must load, with the
    /// mutated file either decoded or skipped with a reason; never an exception.
    /// </summary>
    static void ReadImageFolder(string path)
    {
        var folder = Path.Combine(Path.GetDirectoryName(path)!, "images");
        var classFolder = Path.Combine(folder, "a");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(classFolder);
        File.Copy(path, Path.Combine(classFolder, Path.GetFileName(path)));
        File.WriteAllBytes(Path.Combine(classFolder, "good.png"), Png(3, 3, 40));
        var dataset = ImageFolderDataset.Load(folder, 8, ColorMode.Rgb);
        if (dataset.Count + dataset.SkippedFiles.Count != 2)
            throw new InvalidOperationException($"{path}: {dataset.Count} images loaded and {dataset.SkippedFiles.Count} skipped out of 2 files");
    }

    static byte[] Png(int width, int height, byte value) => Encode(width, height, value, SkiaSharp.SKEncodedImageFormat.Png);

    static byte[] Encode(int width, int height, byte value, SkiaSharp.SKEncodedImageFormat format)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)(value + 17 * x), (byte)(value + 31 * y), value, (byte)(x == 0 ? 128 : 255)));
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// Writes the seed corpus (valid files of every kind, small enough to mutate quickly) into
    /// <paramref name="folder"/>; <paramref name="fixtures"/> is tests/GenAudit.Tests/Fixtures, whose
    /// ONNX and torch.save files (written by PyTorch) are seeds too.
    /// </summary>
    public static void WriteCorpus(string folder, string fixtures)
    {
        TorchRuntime.EnsureLoaded();
        string Seed(string target, string name) { Directory.CreateDirectory(Path.Combine(folder, target)); return Path.Combine(folder, target, name); }

        var images = new byte[4 + 12 + 3 * 4 * 4];
        images[2] = 0x08; images[3] = 3; images[7] = 3; images[11] = 4; images[15] = 4;
        for (var i = 16; i < images.Length; i++) images[i] = (byte)(i * 7);
        byte[] labels = [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 9];
        File.WriteAllBytes(Seed("idx", "images-3x4x4.idx"), images);
        File.WriteAllBytes(Seed("idx", "labels-3.idx"), labels);
        File.WriteAllBytes(Seed("idx-gzip", "images-3x4x4.gz"), Gzip(images));
        File.WriteAllBytes(Seed("idx-gzip", "labels-3.gz"), Gzip(labels));

        Npy.Write(Seed("npy", "float32-2x3.npy"), [0.5f, -1, 2, 3, 4, 5], [2, 3]);
        Npy.Write(Seed("npy", "int64-4.npy"), [1L, 2, 3, -4], [4]);

        using (var w = randn(3, 2))
        using (var b = zeros(3))
        using (var h = ones(2, 2, ScalarType.Float16))
            SafeTensors.Save(Seed("safetensors", "two-tensors.safetensors"), [("layer.weight", w), ("layer.bias", b), ("half", h)], new Dictionary<string, string> { ["format"] = "pt" });

        foreach (var name in new[] { "mlp_gan.pt", "malicious.pt", "whole_module.pt" })
        {
            File.Copy(Path.Combine(fixtures, "onnx", name), Seed("torch-zip", name), overwrite: true);
            using var archive = System.IO.Compression.ZipFile.OpenRead(Path.Combine(fixtures, "onnx", name));
            var pickle = archive.Entries.First(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
            using var stream = pickle.Open();
            using var copy = File.Create(Seed("pickle", Path.ChangeExtension(name, ".pkl")));
            stream.CopyTo(copy);
        }
        File.Copy(Path.Combine(fixtures, "onnx", "mlp2d.onnx"), Seed("onnx", "mlp2d.onnx"), overwrite: true);

        File.WriteAllBytes(Seed("image-png", "rgba-5x4.png"), Png(5, 4, 10));
        File.WriteAllBytes(Seed("image-png", "rgba-2x7.png"), Png(2, 7, 200));
        File.WriteAllBytes(Seed("image-jpeg", "rgb-6x5.jpg"), Encode(6, 5, 90, SkiaSharp.SKEncodedImageFormat.Jpeg));

        var run = Directory.CreateTempSubdirectory("genaudit-corpus-").FullName;
        try
        {
            var config = new TrainingConfig { Data = "ring8", Steps = 2, BatchSize = 8, CheckpointEvery = 2, LogEvery = 1, Threads = 1, TensorBoard = false, Model = new ModelConfig { Width = 4 } };
            using (var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve("ring8")))
            using (var trainer = new Trainer(config, data, run)) trainer.Run();
            var directory = new RunDirectory(run);
            File.Copy(directory.Manifest, Seed("manifest", "ring8-manifest.json"), overwrite: true);
            File.Copy(Path.Combine(directory.CheckpointFolder(2), "state.json"), Seed("checkpoint-state", "state.json"), overwrite: true);
            File.Copy(directory.Latest, Seed("checkpoint-state", "latest.json"), overwrite: true);
            File.Copy(directory.History, Seed("history", "history.jsonl"), overwrite: true);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
        File.WriteAllText(Seed("policy", "default-policy.json"), Policy.DefaultJson);
    }

    static byte[] Gzip(byte[] content)
    {
        var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(content);
        return buffer.ToArray();
    }
}
