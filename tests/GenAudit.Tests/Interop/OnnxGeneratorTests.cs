using GenAudit.Explain;
using GenAudit.Interop;
using GenAudit.Models;
using GenAudit.Tests.Data;
using TorchSharp;
using static GenAudit.Tests.Interop.InteropFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Interop;

public class OnnxGeneratorTests
{
    static OnnxGenerator LoadFixture(string name, int latent, int conditions = 0, IReadOnlyList<string>? inputNames = null, int batchSize = 256) =>
        OnnxGenerator.Load(InteropFixtures.Path(name), new OnnxGeneratorOptions { LatentSize = latent, ConditionCount = conditions, InputNames = inputNames, BatchSize = batchSize });

    static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        var error = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(error <= tolerance, $"max abs difference {error} > {tolerance}");
    }

    [Fact]
    public void MlpFixtureMatchesTheSameWeightsInTorchSharp()
    {
        using var scope = NewDisposeScope();
        using var onnx = LoadFixture("mlp2d.onnx", 4);
        Assert.Equal([2L], onnx.OutputShape);
        Assert.False(onnx.IsDifferentiable);
        Assert.Equal(("z", "x", ConditionEncoding.None), (onnx.LatentInputName, onnx.OutputName, onnx.ConditionEncoding));
        using var torchModel = TanhMlp("mlp2d.safetensors", 4, 8, 2);
        var z = Latents(1, 37, 4);
        using var noGrad = no_grad();
        AssertClose(torchModel.call(z), onnx.Generate(z), 1e-6);
    }

    [Fact]
    public void BatchingDoesNotChangeTheResult()
    {
        using var scope = NewDisposeScope();
        using var whole = LoadFixture("mlp2d.onnx", 4);
        using var inThrees = LoadFixture("mlp2d.onnx", 4, batchSize: 3);
        var z = Latents(2, 10, 4);
        Assert.True(Same(whole.Generate(z), inThrees.Generate(z)));
    }

    [Fact]
    public void ImageFixtureReturnsImagesOfTheDeclaredShape()
    {
        using var scope = NewDisposeScope();
        using var onnx = LoadFixture("image8.onnx", 8);
        Assert.Equal([1L, 8, 8], onnx.OutputShape);
        var z = Latents(3, 5, 8);
        var images = onnx.Generate(z);
        Assert.Equal([5L, 1, 8, 8], images.shape);
        var weights = GenAudit.Models.SafeTensors.Load(InteropFixtures.Path("image8.safetensors"));
        var expected = nn.functional.linear(z, weights["0.weight"], weights["0.bias"]).sigmoid().view(5, 1, 8, 8);
        AssertClose(expected, images, 1e-6);
    }

    [Fact]
    public void ConditionalFixturesTakeLabelsOrOneHotRows()
    {
        using var scope = NewDisposeScope();
        using var labels = LoadFixture("conditional.onnx", 4, conditions: 3);
        using var oneHot = LoadFixture("conditional_onehot.onnx", 4, conditions: 3);
        Assert.Equal(ConditionEncoding.Labels, labels.ConditionEncoding);
        Assert.Equal(ConditionEncoding.OneHot, oneHot.ConditionEncoding);
        var z = Latents(4, 6, 4);
        var y = tensor(new long[] { 0, 1, 2, 2, 1, 0 });

        var w = GenAudit.Models.SafeTensors.Load(InteropFixtures.Path("conditional.safetensors"));
        var input = cat([z, w["embed.weight"].index_select(0, y)], 1);
        var expected = nn.functional.linear(nn.functional.linear(input, w["net.0.weight"], w["net.0.bias"]).tanh(), w["net.2.weight"], w["net.2.bias"]);
        AssertClose(expected, labels.Generate(z, y), 1e-6);

        using var torchOneHot = TanhMlp("conditional_onehot.safetensors", 7, 8, 2);
        using var noGrad = no_grad();
        AssertClose(torchOneHot.call(cat([z, nn.functional.one_hot(y, 3).to(ScalarType.Float32)], 1)), oneHot.Generate(z, y), 1e-6);

        Assert.Contains("pass a condition", Assert.Throws<ArgumentException>(() => labels.Generate(z)).Message);
        Assert.Contains("0..2", Assert.Throws<ArgumentException>(() => labels.Generate(z, y + 1)).Message);
    }

    [Fact]
    public void KernelShapOnTheOnnxFixtureEqualsKernelShapOnTheSameWeightsInTorchSharp()
    {
        using var scope = NewDisposeScope();
        using var onnx = LoadFixture("mlp2d.onnx", 4);
        using var torchModel = TanhMlp("mlp2d.safetensors", 4, 8, 2);
        var z = Latents(5, 3, 4);
        var baseline = Baseline.FromTensor(Latents(6, 1, 4) * 0.5);
        foreach (var output in new long[] { 0, 1 })
        {
            var options = new KernelShapOptions { Samples = 64, Seed = 11 };
            using var fromOnnx = new KernelShap(AttributionTarget.Compose(x => onnx.Generate(x), AttributionTarget.Output(output)), options).Attribute(z, baseline: baseline);
            using var fromTorch = new KernelShap(AttributionTarget.Compose(x => torchModel.call(x), AttributionTarget.Output(output)), options).Attribute(z, baseline: baseline);
            Assert.Equal("true", fromOnnx.Parameters["exact"]);
            AssertClose(fromTorch.Attributions, fromOnnx.Attributions, 1e-5);
            Assert.All(fromOnnx.CompletenessError!, e => Assert.True(Math.Abs(e) < 1e-5));
        }

        // Sampled (not enumerated) KernelSHAP over the image fixture's 8 latents, a region target.
        using var image = LoadFixture("image8.onnx", 8);
        var weights = GenAudit.Models.SafeTensors.Load(InteropFixtures.Path("image8.safetensors"));
        Tensor TorchImage(Tensor x) => nn.functional.linear(x, weights["0.weight"], weights["0.bias"]).sigmoid().view(x.shape[0], 1, 8, 8);
        var sampled = new KernelShapOptions { Samples = 100, Seed = 3 };
        var latents = Latents(7, 2, 8);
        using var a = new KernelShap(AttributionTarget.Compose(x => image.Generate(x), AttributionTarget.Region(0, 0, 4, 4)), sampled).Attribute(latents);
        using var b = new KernelShap(AttributionTarget.Compose(TorchImage, AttributionTarget.Region(0, 0, 4, 4)), sampled).Attribute(latents);
        Assert.Equal("false", a.Parameters["exact"]);
        AssertClose(b.Attributions, a.Attributions, 1e-5);
    }

    [Theory]
    [InlineData("mlp2d.onnx", 4, 0, "noise", "the graph has no input 'noise'; its inputs are z float32 [batch, 4]")]
    [InlineData("mlp2d.onnx", 5, 0, null, "latent input 'z' takes 4 values (shape float32 [batch, 4]) but --latent 5 was declared")]
    [InlineData("mlp2d.onnx", 4, 3, null, "--conditions 3 declares two inputs (latent, condition) but the graph has 1")]
    [InlineData("conditional.onnx", 4, 0, null, "the graph has two inputs (z float32 [batch, 4], label int64 [batch]); for a conditional generator pass --conditions K")]
    [InlineData("conditional_onehot.onnx", 4, 5, null, "condition input 'c' takes one-hot rows of 3 classes")]
    [InlineData("conditional.onnx", 4, 3, "label,z", "latent input 'label' must be float32 of shape [batch, 4], but the graph declares int64 [batch]")]
    [InlineData("fixed_batch.onnx", 4, 0, null, "input 'z' has a fixed batch dimension of 1")]
    public void MismatchedDeclarationsNameTheMismatch(string fixture, int latent, int conditions, string? inputNames, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => LoadFixture(fixture, latent, conditions, inputNames?.Split(',')));
        Assert.StartsWith(fixture + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void WrongNumberOfInputNamesIsAUsageError()
    {
        var error = Assert.Throws<ArgumentException>(() => LoadFixture("mlp2d.onnx", 4, 0, ["z", "c"]));
        Assert.Contains("--input-names needs 1 name", error.Message);
    }

    [Fact]
    public void TruncatedAndForeignFilesAreClearErrors()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(InteropFixtures.Path("mlp2d.onnx"));
        File.WriteAllBytes(folder.File("truncated.onnx"), bytes[..(bytes.Length / 2)]);
        File.WriteAllText(folder.File("notes.onnx"), "these are not the weights you are looking for");
        File.WriteAllBytes(folder.File("empty.onnx"), []);
        foreach (var name in new[] { "truncated.onnx", "notes.onnx", "empty.onnx" })
        {
            var error = Assert.Throws<InvalidDataException>(() => OnnxGenerator.Load(folder.File(name), new OnnxGeneratorOptions { LatentSize = 4 }));
            Assert.StartsWith($"{name}: ONNX Runtime cannot load it as an ONNX model; the file is truncated, corrupt or not ONNX", error.Message);
        }
        Assert.Throws<FileNotFoundException>(() => OnnxGenerator.Load(folder.File("missing.onnx"), new OnnxGeneratorOptions { LatentSize = 4 }));
    }
}
