using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Models;

public class NetworkTests
{
    [Fact]
    public void SpectralNormDividesByTheLargestSingularValue()
    {
        using var scope = NewDisposeScope();
        var layer = new SpectralNormLinear(6, 5);
        layer.train();
        using var input = torch.eye(6);
        Tensor output = input;
        for (int i = 0; i < 200; i++) output = layer.call(input); // power iteration converges
        var weightOrig = layer.state_dict()["weight_orig"];
        var bias = layer.state_dict()["bias"];
        var effective = (output - bias).t(); // (5, 6) = W / σ
        var sigma = torch.linalg.svdvals(weightOrig.to(ScalarType.Float64))[0].item<double>();
        var expected = weightOrig.to(ScalarType.Float64) / sigma;
        Assert.True(effective.to(ScalarType.Float64).allclose(expected, rtol: 1e-4, atol: 1e-5));
        Assert.Equal(1.0, torch.linalg.svdvals(effective.to(ScalarType.Float64))[0].item<double>(), 4);
    }

    [Theory]
    [InlineData(ModelFamily.Gan, 2)]
    [InlineData(ModelFamily.Cgan, 2)]
    [InlineData(ModelFamily.Gan, 28)]
    [InlineData(ModelFamily.Cgan, 28)]
    public void GeneratorsAndDiscriminatorsHaveTheDocumentedShapes(ModelFamily family, int side)
    {
        using var scope = NewDisposeScope();
        long[] shape = side == 2 ? [2] : [1, side, side];
        int classes = family == ModelFamily.Cgan ? 10 : 0;
        var config = new ModelConfig { Family = family, DataShape = shape, ConditionCount = classes, LatentSize = 8, Width = 8 };
        var g = new GanGenerator(config);
        var d = new GanDiscriminator(config);
        g.eval();
        var labels = classes > 0 ? torch.tensor(new long[] { 0, 3, 9 }) : null;
        var x = g.Generate(torch.randn(3, 8), labels);
        Assert.Equal([3, .. shape], x.shape);
        if (side != 2) Assert.True(x.min().item<float>() >= 0 && x.max().item<float>() <= 1);
        Assert.Equal(new long[] { 3 }, d.call(x, labels).shape);
    }

    [Fact]
    public void DepthAndActivationShapeTheLayerLists()
    {
        var points = new ModelConfig { DataShape = [2], LatentSize = 16, Width = 32, Depth = 3, Activation = HiddenActivation.Silu };
        var generator = Architectures.Generator(points, 16);
        Assert.Equal(["Linear", "SiLU", "Linear", "SiLU", "Linear", "SiLU", "Linear"], generator.Select(Kind));
        Assert.Equal([new LinearSpec(16, 32), new LinearSpec(32, 32), new LinearSpec(32, 32), new LinearSpec(32, 2)], generator.OfType<LinearSpec>());
        // Discriminators keep LeakyReLU and encoders ReLU whatever the generator's activation.
        Assert.Equal(["Linear", "LeakyReLU", "Linear", "LeakyReLU", "Linear", "LeakyReLU"], Architectures.DiscriminatorBody(points, out var features).Select(Kind));
        Assert.Equal(32, features);
        Assert.Equal(["Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU"], Architectures.EncoderBody(points, out _).Select(Kind));

        var images = new ModelConfig { DataShape = [1, 28, 28], LatentSize = 8, Width = 8, Activation = HiddenActivation.Silu };
        Assert.Equal(2, Architectures.Generator(images, 8).Count(l => l is SiluSpec));
        Assert.DoesNotContain(Architectures.Generator(images, 8), l => l is ReluSpec);
        Assert.Equal(2, Architectures.Decoder(images with { Family = ModelFamily.Vae }, 8).Count(l => l is SiluSpec));

        // The type names are PyTorch's, and a manifest written before these settings existed reads as depth 2 with ReLU.
        var json = System.Text.Json.JsonSerializer.Serialize<IReadOnlyList<LayerSpec>>(generator, GenAudit.Core.Json.Options);
        Assert.Contains("\"type\": \"SiLU\"", json);
        Assert.Equal(generator, System.Text.Json.JsonSerializer.Deserialize<List<LayerSpec>>(json, GenAudit.Core.Json.Options));
        var old = System.Text.Json.JsonSerializer.Deserialize<ModelConfig>("{\"family\": \"gan\", \"dataShape\": [2], \"latentSize\": 16, \"width\": 128}", GenAudit.Core.Json.Options)!;
        Assert.Equal((2, HiddenActivation.Relu), (old.Depth, old.Activation));
        Assert.Equal(["Linear", "ReLU", "Linear", "ReLU", "Linear"], Architectures.Generator(old, 16).Select(Kind));

        static string Kind(LayerSpec layer) => layer switch
        {
            LinearSpec => "Linear",
            SiluSpec => "SiLU",
            ReluSpec => "ReLU",
            LeakyReluSpec => "LeakyReLU",
            _ => layer.GetType().Name,
        };
    }

    [Fact]
    public void SiluGeneratorComputesXTimesSigmoidOfX()
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { DataShape = [2], LatentSize = 3, Width = 4, Depth = 1, Activation = HiddenActivation.Silu };
        var g = new GanGenerator(config);
        g.eval();
        var z = torch.randn(5, 3, dtype: ScalarType.Float32);
        var state = g.state_dict();
        var h = z.matmul(state["net.0.weight"].t()) + state["net.0.bias"];
        var expected = (h * (1 / (1 + (-h).exp()))).matmul(state["net.2.weight"].t()) + state["net.2.bias"];
        Assert.True(g.Generate(z, null).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ProjectionDiscriminatorAddsTheEmbeddingInnerProduct()
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { Family = ModelFamily.Cgan, DataShape = [2], ConditionCount = 3, LatentSize = 4, Width = 5 };
        var d = new GanDiscriminator(config);
        d.eval();
        var x = torch.randn(4, 2);
        var y = torch.tensor(new long[] { 0, 1, 2, 1 });
        var h = d.Features(x);
        var state = d.state_dict();
        var unconditional = h.matmul(state["head.weight"].t()).squeeze(1) + state["head.bias"];
        var projection = (state["embed.weight"].index_select(0, y) * h).sum(1);
        Assert.True(d.call(x, y).allclose(unconditional + projection, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void WrongInputsAreClearErrors()
    {
        using var scope = NewDisposeScope();
        var g = new GanGenerator(new ModelConfig { Family = ModelFamily.Cgan, ConditionCount = 3, LatentSize = 4 });
        Assert.Contains("(B, 4)", Assert.Throws<ArgumentException>(() => g.Generate(torch.randn(2, 5), torch.zeros(2, dtype: ScalarType.Int64))).Message);
        Assert.Contains("pass a condition", Assert.Throws<ArgumentException>(() => g.Generate(torch.randn(2, 4))).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => g.Generate(torch.randn(2, 4), torch.zeros(2))).Message);
        Assert.Contains("multiple of 4", Assert.Throws<ArgumentException>(() => new ModelConfig { DataShape = [1, 30, 30] }.Validate()).Message);
    }

    [Fact]
    public void VaeReconstructsThroughThePosteriorMean()
    {
        using var scope = NewDisposeScope();
        var vae = new Vae(new ModelConfig { Family = ModelFamily.Cvae, DataShape = [1, 8, 8], ConditionCount = 2, LatentSize = 3, Width = 4 });
        vae.eval();
        var x = torch.rand(2, 1, 8, 8);
        var y = torch.tensor(new long[] { 0, 1 });
        var (mean, logVariance) = vae.Encode(x, y);
        Assert.Equal(new long[] { 2, 3 }, mean.shape);
        Assert.Equal(new long[] { 2, 3 }, logVariance.shape);
        Assert.True(vae.call(x, y).equal(vae.Decode(mean, y)).all().item<bool>());
    }
}
