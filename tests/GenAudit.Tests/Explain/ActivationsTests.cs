using GenAudit.Application;
using GenAudit.Explain;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class ActivationsTests
{
    static GanGenerator ConvGenerator(ModelFamily family = ModelFamily.Gan)
    {
        random.manual_seed(5);
        var generator = new GanGenerator(new ModelConfig
        {
            Family = family, DataShape = [1, 8, 8], LatentSize = 6, Width = 4, EmbeddingSize = 3,
            ConditionCount = family == ModelFamily.Cgan ? 3 : 0,
        });
        generator.eval();
        return generator;
    }

    [Fact]
    public void RunToReturnsTheSameTensorAsRunningTheSequentialByHand()
    {
        using var scope = NewDisposeScope();
        using var generator = ConvGenerator();
        var net = (nn.Module<Tensor, Tensor>)generator.named_children().First(c => c.name == "net").module;
        var layers = net.named_children().Select(c => (nn.Module<Tensor, Tensor>)c.module).ToArray();
        var z = randn(5, 6);
        using var noGrad = no_grad();
        var byHand = layers[6].call(layers[5].call(layers[4].call(layers[3].call(layers[2].call(layers[1].call(layers[0].call(z)))))));
        Assert.True(Activations.RunTo(net, "6", z).eq(byHand).all().item<bool>());
        Assert.True(GeneratorLayers.Of(generator).Activation("net.6", z).eq(byHand).all().item<bool>());
        // The last layer's activation is the generator's output.
        Assert.True(Activations.RunTo(net, "8", z).view(5, 1, 8, 8).eq(generator.call(z, null)).all().item<bool>());
        var error = Assert.Throws<ArgumentException>(() => Activations.RunTo(net, "conv", z));
        Assert.Contains("0, 1, 2", error.Message);
    }

    [Fact]
    public void ConditionalGeneratorLayersReadTheEmbeddedConditionAndSeFaSeesOnlyTheZColumns()
    {
        using var scope = NewDisposeScope();
        using var generator = ConvGenerator(ModelFamily.Cgan);
        var layers = GeneratorLayers.Of(generator);
        Assert.Equal("net.2", layers.DefaultLayer);
        var z = randn(4, 6);
        using var noGrad = no_grad();
        var labels = tensor(new long[] { 0, 1, 2, 0 });
        var expected = Activations.RunTo(layers.Sequential, "8", layers.Input(z)).view(4, 1, 8, 8);
        Assert.True(expected.allclose(generator.call(z, labels)));
        var weight = layers.FirstLayerLatentWeight();
        Assert.Equal(new long[] { 2 * 4 * 2 * 2, 6 }, weight.shape);
        Assert.True(weight.eq(generator.state_dict()["net.0.weight"][.., ..6]).all().item<bool>());
    }

    [Fact]
    public void TopSamplesAreTheBruteForceArgmaxOfEachUnit()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        using var conv = nn.Conv2d(2, 5, 3);
        var inputs = randn(40, 2, 6, 6);
        var top = Activations.TopSamples(x => conv.call(x), inputs, units: 3, perUnit: 4, batchSize: 7);

        Tensor all;
        using (no_grad()) all = conv.call(inputs).to(ScalarType.Float64);
        var response = all.data<double>().ToArray(); // (40, 5, 4, 4)
        var unitMean = new double[40, 5];
        for (int n = 0; n < 40; n++)
        for (int c = 0; c < 5; c++)
        {
            double sum = 0;
            for (int p = 0; p < 16; p++) sum += response[(n * 5 + c) * 16 + p];
            unitMean[n, c] = sum / 16;
        }
        var units = Enumerable.Range(0, 5).OrderByDescending(c => Enumerable.Range(0, 40).Average(n => unitMean[n, c])).Take(3).ToArray();
        Assert.Equal(units, top.Units);
        for (int u = 0; u < 3; u++)
        {
            var best = Enumerable.Range(0, 40).OrderByDescending(n => unitMean[n, units[u]]).Take(4).Select(n => (long)n).ToArray();
            Assert.Equal(best, top.SampleIndices[u]);
            for (int i = 0; i < 4; i++) Assert.Equal(unitMean[best[i], units[u]], top.Values[u][i], 5);
            Assert.Equal(Enumerable.Range(0, 40).Average(n => unitMean[n, units[u]]), top.MeanActivation[u], 5);
        }
    }
}
