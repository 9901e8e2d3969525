using System.Diagnostics;
using System.Text.Json;
using GenAudit.Application;
using GenAudit.Cli;
using GenAudit.Cli.Commands;
using GenAudit.Cli.Infrastructure;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Runs;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>A tiny DCGAN (latent 6, width 4) trained for a few steps on a one-class image folder, so opening it needs no feature classifier.</summary>
public sealed class TinyImageRunFixture : IDisposable
{
    public TinyImageRunFixture()
    {
        Root = Directory.CreateTempSubdirectory("genaudit-latents-tests-").FullName;
        var data = Path.Combine(Root, "blobs");
        Directory.CreateDirectory(Path.Combine(data, "all"));
        var random = new Random(4);
        for (int i = 0; i < 24; i++)
        {
            using var bitmap = new SKBitmap(28, 28);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColors.Black);
                canvas.DrawCircle(random.Next(6, 22), random.Next(6, 22), random.Next(3, 7), new SKPaint { Color = SKColors.White });
            }
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(data, "all", $"{i:D2}.png"), png.ToArray());
        }
        Run = Path.Combine(Root, "run");
        var console = new TestConsole().Width(300);
        var code = LatentsRunnerTests.Cli(console, "train", "--data", data, "--model", "gan", "--steps", "4", "--batch", "8",
            "--latent", "6", "--width", "4", "--threads", "1", "--out", Run);
        if (code != 0) throw new InvalidOperationException(console.Output);
    }

    public string Root { get; }
    public string Run { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class LatentsRunnerTests(TinyImageRunFixture fixture) : IClassFixture<TinyImageRunFixture>
{
    /// <summary>The app as GenAuditApp builds it, plus the latents verb (registered there separately).</summary>
    internal static int Cli(TestConsole console, params string[] args) => GenAuditApp.Run(args, console);

    /// <summary>Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations, in plain doubles: (eigenvalues, eigenvectors as columns).</summary>
    static (double[] Values, double[,] Vectors) Jacobi(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += m[p, q] * m[p, q];
            if (off < 1e-24) break;
            for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
            {
                if (Math.Abs(m[p, q]) < 1e-300) continue;
                double theta = (m[q, q] - m[p, p]) / (2 * m[p, q]);
                double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++)
                {
                    double mkp = m[k, p], mkq = m[k, q];
                    m[k, p] = c * mkp - s * mkq;
                    m[k, q] = s * mkp + c * mkq;
                }
                for (int k = 0; k < n; k++)
                {
                    double mpk = m[p, k], mqk = m[q, k];
                    m[p, k] = c * mpk - s * mqk;
                    m[q, k] = s * mpk + c * mqk;
                }
                for (int k = 0; k < n; k++)
                {
                    double vkp = v[k, p], vkq = v[k, q];
                    v[k, p] = c * vkp - s * vkq;
                    v[k, q] = s * vkp + c * vkq;
                }
            }
        }
        return (Enumerable.Range(0, n).Select(i => m[i, i]).ToArray(), v);
    }

    static void AssertSeFaMatchesJacobi(double[,] w, LatentDirections directions)
    {
        int outputs = w.GetLength(0), d = w.GetLength(1);
        var norms = new double[outputs]; // SeFa scales every output unit's row to unit norm first
        for (int r = 0; r < outputs; r++) { for (int i = 0; i < d; i++) norms[r] += w[r, i] * w[r, i]; norms[r] = Math.Sqrt(norms[r]); }
        var gram = new double[d, d];
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) for (int r = 0; r < outputs; r++) gram[i, j] += w[r, i] * w[r, j] / (norms[r] * norms[r]);
        var (values, vectors) = Jacobi(gram);
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).ToArray();
        var found = directions.Directions.to(ScalarType.Float64).data<double>().ToArray();
        for (int k = 0; k < directions.Strengths.Length; k++)
        {
            Assert.Equal(values[order[k]], directions.Strengths[k], 4);
            double dot = 0;
            for (int i = 0; i < d; i++) dot += vectors[i, order[k]] * found[k * d + i];
            Assert.Equal(1, Math.Abs(dot), 4);
        }
    }

    static double[,] ToMatrix(Tensor t)
    {
        var values = t.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1]];
        for (int i = 0; i < t.shape[0]; i++) for (int j = 0; j < t.shape[1]; j++) m[i, j] = values[i * t.shape[1] + j];
        return m;
    }

    [Fact]
    public void SeFaOnTheRunsFirstLayerEqualsTheTopEigenvectorsOfTheRowNormalisedWTransposeW()
    {
        using var subject = AuditSubject.Open(fixture.Run);
        using var directions = LatentsRunner.Directions(subject, "sefa", 3, 0, 0);
        var weight = ((nn.Module)subject.Generator).state_dict()["net.0.weight"];
        AssertSeFaMatchesJacobi(ToMatrix(weight), directions);

        // A conditional generator: only the z columns of the first Linear count.
        random.manual_seed(9);
        using var conditional = new GanGenerator(new ModelConfig { Family = ModelFamily.Cgan, DataShape = [1, 8, 8], LatentSize = 5, Width = 4, EmbeddingSize = 3, ConditionCount = 4 });
        using var sefa = SeFa.Compute(GeneratorLayers.Of(conditional).FirstLayerLatentWeight(), 5);
        AssertSeFaMatchesJacobi(ToMatrix(conditional.state_dict()["net.0.weight"][.., ..5]), sefa);
    }

    [Fact]
    public void TraversalAndInfluencePngsDecodeWithTheExpectedSize()
    {
        using var subject = AuditSubject.Open(fixture.Run);
        var folder = Path.Combine(fixture.Root, "pngs");
        Directory.CreateDirectory(folder);
        using var ganspace = LatentsRunner.Directions(subject, "ganspace", 2, 200, 1);
        Assert.Equal(new long[] { 2, 6 }, ganspace.Directions.shape);
        Assert.True(ganspace.Strengths[0] >= ganspace.Strengths[1]);
        var traversal = Path.Combine(folder, "traversal.png");
        LatentsRunner.WriteTraversals(subject, ganspace, [-2, 0, 2], traversal, 1);
        using (var bitmap = SKBitmap.Decode(traversal))
        {
            // 3 base samples × 3 strengths + 2 spacers = 11 cells of 28·3 px, 2 px padding; 2 rows.
            Assert.Equal(11 * 84 + 12 * 2, bitmap.Width);
            Assert.Equal(2 * 84 + 3 * 2, bitmap.Height);
        }
        var influence = Path.Combine(folder, "influence.png");
        var norms = LatentsRunner.WriteInfluence(subject, 2, 1, influence);
        Assert.Equal(6, norms.Length);
        Assert.All(norms, n => Assert.True(n > 0 && double.IsFinite(n)));
        using (var bitmap = SKBitmap.Decode(influence))
        {
            // 6 dimensions in ⌈√6⌉ = 3 columns, 2 rows.
            Assert.Equal(3 * 84 + 4 * 2, bitmap.Width);
            Assert.Equal(2 * 84 + 3 * 2, bitmap.Height);
        }
    }

    [Fact]
    public void VerbWritesDirectionsPicturesAndJsonEndToEnd()
    {
        var clock = Stopwatch.StartNew();
        var output = Path.Combine(fixture.Root, "latents");
        var console = new TestConsole().Width(300);
        var code = Cli(console, "latents", "--run", fixture.Run, "--method", "ganspace", "--directions", "3", "--n", "64", "--strengths=-2,0,2",
            "--influence-n", "2", "--activations", "net.6", "--top", "3", "--gradcam", "disc", "--out", output);
        Assert.True(code == 0, console.Output);
        foreach (var file in new[] { "directions.npy", "traversal-ganspace.png", "spectrum-ganspace.png", "influence.png", "activations-net-6.png", "activations-net-6-top.png", "gradcam-disc.png", "latents.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.Equal(new long[] { 3, 6 }, Npy.Read(Path.Combine(output, "directions.npy")).Shape);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "latents.json")));
        var root = json.RootElement;
        Assert.Equal("ganspace", root.GetProperty("method").GetString());
        Assert.Equal("net.2", root.GetProperty("layer").GetString());
        Assert.Equal(3, root.GetProperty("directions").GetArrayLength());
        Assert.Equal(6, root.GetProperty("directions")[0].GetProperty("vector").GetArrayLength());
        Assert.Equal(3, root.GetProperty("activations").GetProperty("units").GetArrayLength());
        Assert.Equal("body.2", root.GetProperty("gradcam").GetProperty("layer").GetString());
        Assert.Equal(6, root.GetProperty("influence").GetProperty("columnNorms").GetArrayLength());

        var sefa = Cli(console, "latents", "--run", fixture.Run, "-k", "2", "--influence-n", "0", "--out", Path.Combine(fixture.Root, "sefa"));
        Assert.True(sefa == 0, console.Output);
        Assert.True(File.Exists(Path.Combine(fixture.Root, "sefa", "traversal-sefa.png")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("--method must be ganspace or sefa", "--method", "pca")]
    [InlineData("--k must be at least 1", "--directions", "0")]
    [InlineData("'1,x': 'x' is not a finite number", "--strengths", "1,x")]
    [InlineData("--gradcam must be disc or class:<c>", "--gradcam", "pixels")]
    [InlineData("--layer 'net.42': the generator's layers are", "--method", "ganspace", "--layer", "net.42")]
    [InlineData("--activations 'body.9': the discriminator's layers are", "--activations", "body.9")]
    [InlineData("class targets need the feature classifier", "--gradcam", "class:3")]
    public void BadOptionsExitWithTwoAndOneMessage(string expected, params string[] options)
    {
        var console = new TestConsole().Width(1000);
        var code = Cli(console, ["latents", "--run", fixture.Run, "--n", "8", "--influence-n", "0", "--out", Path.Combine(fixture.Root, "bad"), .. options]);
        Assert.Equal(ExitCode.Usage, code);
        Assert.Contains(expected, console.Output.Replace("\n", ""));
        Assert.DoesNotContain("   at ", console.Output);
    }
}
