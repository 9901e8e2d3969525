using System.Text.Json;
using GenAudit.Cli;
using GenAudit.Cli.Commands;
using GenAudit.Cli.Infrastructure;
using GenAudit.Data;
using GenAudit.Tests.Explain;
using GenAudit.Tests.Interop;
using GenAudit.Tests.Models;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Testing;
using Xunit.Abstractions;

namespace GenAudit.Tests.Cli;

[Collection(MnistClassifierCollection.Name)]
public class ExplainCommandTests(MnistClassifierFixture mnist, ITestOutputHelper output)
{
    /// <summary>The app exactly as the genaudit executable builds it.</summary>
    static CommandApp App(IAnsiConsole console) => GenAuditApp.Create(console);

    (int Code, string Output) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        var previous = Environment.GetEnvironmentVariable(GenAudit.Models.FeatureClassifierCache.EnvironmentVariable);
        Environment.SetEnvironmentVariable(GenAudit.Models.FeatureClassifierCache.EnvironmentVariable, mnist.CacheFolder);
        try
        {
            var code = App(console).Run(GenAuditApp.NormaliseArguments(args));
            output.WriteLine($"$ genaudit {string.Join(' ', args)} → {code}\n{console.Output}");
            return (code, console.Output);
        }
        finally { Environment.SetEnvironmentVariable(GenAudit.Models.FeatureClassifierCache.EnvironmentVariable, previous); }
    }

    [Fact]
    public void ExplainWritesAttributionsJsonAndPngs()
    {
        var run = MnistDcgan.Run();
        using var temp = new TempDirectory();
        var outFolder = Path.Combine(temp.Path, "ig");
        var (code, text) = Run("explain", "--run", run, "--method", "ig", "--target", "class:3", "--n", "3", "--seed", "2", "--steps", "50", "--out", outFolder);
        Assert.Equal(0, code);
        Assert.Contains("completeness error", text);
        Assert.Equal([3L, 32], Npy.Read(Path.Combine(outFolder, "attributions.npy")).Shape);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outFolder, "explain.json")));
        var root = json.RootElement;
        Assert.Equal("ig", root.GetProperty("method").GetString());
        Assert.Equal(3, root.GetProperty("examples").GetArrayLength());
        var first = root.GetProperty("examples")[0];
        Assert.True(first.TryGetProperty("completenessError", out _) && first.TryGetProperty("targetAtBaseline", out _), first.ToString());
        Assert.True(root.GetProperty("timings").GetProperty("modelShare").GetDouble() > 0);
        Assert.Equal("50", root.GetProperty("parameters").GetProperty("steps").GetString());
        for (var i = 0; i < 3; i++)
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(outFolder, $"example-{i:000}.png"));
            Assert.NotNull(bitmap);
        }

        // Image inputs from a file: a heatmap overlay.
        var images = Path.Combine(temp.Path, "images.npy");
        Npy.Write(images, new float[2 * 784], [2, 1, 28, 28]);
        var imageOut = Path.Combine(temp.Path, "occlusion");
        Assert.Equal(0, Run("explain", "--run", run, "--method", "occlusion", "--target", "class:1", "--input", images, "--mask", "patch:7", "--baseline", "blur", "--out", imageOut).Code);
        Assert.Equal([2L, 1, 28, 28], Npy.Read(Path.Combine(imageOut, "attributions.npy")).Shape);
        Assert.True(File.Exists(Path.Combine(imageOut, "heatmaps.png")));
    }

    [Fact]
    public void CompareRanksMethodsAndWritesTheDocumentedKeys()
    {
        var run = MnistDcgan.Run();
        using var temp = new TempDirectory();
        var json = Path.Combine(temp.Path, "compare.json");
        var (code, text) = Run("explain", "--run", run, "--compare", "ig,saliency,random", "--target", "class:3", "--n", "3", "--seed", "1", "--json", json);
        Assert.Equal(0, code);
        Assert.Contains("Trust", text);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var root = document.RootElement;
        foreach (var key in new[] { "explainability", "n", "seed", "ranking", "ig.deletionAuc", "ig.insertionAuc", "ig.faithfulnessCorrelation", "ig.infidelity",
                                    "ig.maxSensitivity", "ig.avgSensitivity", "ig.sparseness", "ig.complexity", "ig.completenessError", "saliency.explainability" })
            Assert.True(root.TryGetProperty(key, out _), $"missing key {key}");
        Assert.Contains(root.EnumerateObject(), p => p.Name.StartsWith("ig.randomisation.spearman.", StringComparison.Ordinal));
        Assert.Equal(3, root.GetProperty("ranking").GetArrayLength());
        Assert.Equal(3.0, root.GetProperty("n").GetDouble());
    }

    [Fact]
    public void BadTargetMethodOrInputShapeExitsTwoWithAClearMessage()
    {
        var run = MnistDcgan.Run();
        using var temp = new TempDirectory();
        var (code, text) = Run("explain", "--run", run, "--method", "ig", "--target", "pixel:3", "--out", temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("--target 'pixel:3' is not one of class:<c>", text);
        (code, text) = Run("explain", "--run", run, "--method", "deeplift", "--target", "class:3", "--out", temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("--method 'deeplift' is not one of", text);
        var bad = Path.Combine(temp.Path, "bad.npy");
        Npy.Write(bad, new float[12], [2, 6]);
        (code, text) = Run("explain", "--run", run, "--method", "ig", "--target", "class:3", "--input", bad, "--out", temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("--input has shape (2, 6)", text);
        (code, _) = Run("explain", "--run", run, "--method", "ig", "--target", "class:3", "--json", "x.json");
        Assert.Equal(2, code);
    }

    [Fact]
    public void GradientMethodOnAnOnnxRunGivesThePlainMessage()
    {
        using var temp = new TempDirectory();
        var onnxRun = Path.Combine(temp.Path, "onnx");
        Assert.Equal(0, Run("import", "--onnx", InteropFixtures.Path("mlp2d.onnx"), "--latent", "4", "--data", "ring8", "--out", onnxRun).Code);
        var (code, text) = Run("explain", "--run", onnxRun, "--method", "saliency", "--target", "output:0", "--out", Path.Combine(temp.Path, "x"));
        Assert.Equal(2, code);
        Assert.Contains("saliency needs a differentiable model; this run is an ONNX black box", text);
        (code, _) = Run("explain", "--run", onnxRun, "--method", "kernelshap", "--target", "output:1", "--n", "2", "--out", Path.Combine(temp.Path, "k"));
        Assert.Equal(0, code);
    }
}
