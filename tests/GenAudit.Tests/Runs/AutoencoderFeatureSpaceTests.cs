using System.Text.Json;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Audit;
using GenAudit.Tests.Data;
using GenAudit.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Runs;

/// <summary>360 64×64 RGB images of one class: a filled circle, square or triangle of a random colour, size and place on a random dark background.</summary>
public sealed class ShapesFolder : IDisposable
{
    readonly TempFolder temp = Shapes();

    /// <summary>The folder (one subfolder, "shapes").</summary>
    public string Path => temp.Path;

    /// <inheritdoc />
    public void Dispose() => temp.Dispose();

    static TempFolder Shapes()
    {
        var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("shapes"));
        var random = new Random(7);
        for (var i = 0; i < 360; i++)
        {
            using var bitmap = new SKBitmap(64, 64);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(new SKColor((byte)random.Next(60), (byte)random.Next(60), (byte)random.Next(60)));
                using var paint = new SKPaint { Color = new SKColor((byte)random.Next(80, 256), (byte)random.Next(80, 256), (byte)random.Next(80, 256)), IsAntialias = true };
                float x = random.Next(16, 48), y = random.Next(16, 48), r = random.Next(6, 16);
                switch (i % 3)
                {
                    case 0: canvas.DrawCircle(x, y, r, paint); break;
                    case 1: canvas.DrawRect(x - r, y - r, 2 * r, 2 * r, paint); break;
                    default:
                        using (var path = new SKPath())
                        {
                            path.MoveTo(x, y - r);
                            path.LineTo(x + r, y + r);
                            path.LineTo(x - r, y + r);
                            path.Close();
                            canvas.DrawPath(path, paint);
                        }
                        break;
                }
            }
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(temp.File($"shapes/{i:D3}.png"), png.ToArray());
        }
        return temp;
    }
}

/// <summary>Issue 15, item 6: FID and PRDC on a one-class folder of 64×64 RGB images, in an autoencoder's feature space.</summary>
public class AutoencoderFeatureSpaceTests(ShapesFolder folder) : IClassFixture<ShapesFolder>
{
    [Fact]
    public void AOneClassFolderOf64By64RgbImagesGetsFidAndPrdc()
    {
        using var temp = new TempFolder();
        var defaults = TrainingConfig.DefaultsFor(folder.Path);
        var config = defaults with { ImageSize = 64, Rgb = true, Steps = 2, BatchSize = 16, CheckpointEvery = 2, LogEvery = 1, Threads = 1, Model = defaults.Model with { Width = 8 } };
        using (var data = TensorTrainingData.FromDataset(DatasetRegistry.Resolve(folder.Path, config.DataOptions())))
        using (var trainer = new Trainer(config, data, temp.File("run")))
            trainer.Run();
        var (code, output) = AuditFixtures.Cli("evaluate", "--run", temp.File("run"), "--n", "100", "--json", temp.File("quality.json"), "--dump-features", temp.File("features"));
        Assert.True(code == 0, output);

        using var json = JsonDocument.Parse(File.ReadAllText(temp.File("quality.json")));
        double Key(string key) => json.RootElement.GetProperty(key).GetDouble();
        Assert.True(Key("fid") > 0 && double.IsFinite(Key("fid")), $"fid {Key("fid")}");
        foreach (var key in new[] { "precision", "recall", "coverage" }) Assert.InRange(Key(key), 0, 1);
        Assert.True(Key("density") >= 0);

        // The held-out split is the real reference: 10% of 360 = 36 images, none of them used for training.
        var options = new DatasetOptions { ImageSize = 64, Color = ColorMode.Rgb };
        var train = DatasetRegistry.Resolve(folder.Path, options);
        var test = DatasetRegistry.Resolve(folder.Path, options with { Split = DataSplit.Test });
        Assert.Equal((324, 36), (train.Count, test.Count));
        var real = Npy.Read(Path.Combine(temp.File("features"), "real.npy"));
        Assert.Equal([36L, ConvolutionalAutoencoder.FeatureSize], real.Shape);

        // The cached autoencoder (a cache hit now) gives exactly the features evaluate measured, and the reported error.
        using var cached = AutoencoderCache.GetOrTrain(train, test);
        Assert.True(cached.LoadedFromCache);
        using var scope = NewDisposeScope();
        using var images = test.ToTensor();
        Assert.Equal(real.Float32, cached.Autoencoder.Embed(images).data<float>().ToArray());
        Assert.Equal(cached.Info.TestReconstructionError, Key("autoencoder.reconstructionError"), 12);

        // The error by hand: 2×2 means of the 64×64 images (the 32×32 working size) against the reconstruction.
        using (no_grad())
        {
            var pooled = images.view(36, 3, 32, 2, 32, 2).mean([3, 5]).to(ScalarType.Float64); // (36, 3, 32, 32)
            var reconstruction = cached.Autoencoder.call(images).to(ScalarType.Float64);       // (36, 3, 32, 32)
            var byHand = reconstruction.sub(pooled).square().mean().item<double>();
            Assert.Equal(byHand, Key("autoencoder.reconstructionError"), 6);
            var variance = pooled.sub(pooled.mean([0], keepdim: true)).square().mean().item<double>();
            Assert.True(byHand < 0.5 * variance, $"held-out reconstruction error {byHand:G3} against the mean image's {variance:G3}: the code carries the images");
        }
    }

    [Fact]
    public void ACacheHitReturnsIdenticalFeatures()
    {
        using var cache = new TempFolder();
        var options = new DatasetOptions { ImageSize = 64, Color = ColorMode.Rgb };
        var train = DatasetRegistry.Resolve(folder.Path, options);
        var test = DatasetRegistry.Resolve(folder.Path, options with { Split = DataSplit.Test });
        var budget = new AutoencoderOptions { Epochs = 1 };
        var space = new AutoencoderFeatureSpace(budget, cache.Path);
        Assert.True(space.Serves(OutputKind.Images, train));
        Assert.IsType<AutoencoderFeatureSpace>(FeatureSpaces.For(OutputKind.Images, train));

        using var scope = NewDisposeScope();
        using var images = test.ToTensor();
        var (fresh, _) = space.Open(train, test, "shapes", null);
        var (again, _) = space.Open(train, test, "shapes", null);
        using var first = (AutoencoderFeatureExtractor)fresh;
        using var second = (AutoencoderFeatureExtractor)again;
        Assert.False(first.Trained.LoadedFromCache);
        Assert.True(second.Trained.LoadedFromCache);
        Assert.Equal(first.Extract(images).Features.data<float>().ToArray(), second.Extract(images).Features.data<float>().ToArray());
        Assert.Equal(first.Trained.Info, second.Trained.Info);
        Assert.True(File.Exists(Path.Combine(AutoencoderCache.EntryFolder(train, budget, cache.Path), AutoencoderCache.InfoFile)));
    }
}
