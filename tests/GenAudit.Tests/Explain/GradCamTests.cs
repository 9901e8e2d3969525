using GenAudit.Explain;
using GenAudit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

public class GradCamTests
{
    /// <summary>score = v · GAP(conv(x)) + c: a network whose Grad-CAM can be worked out by hand.</summary>
    sealed class ConvGapLinear : nn.Module<Tensor, Tensor>
    {
        public readonly Conv2d conv;
        public readonly Linear head;

        public ConvGapLinear() : base(nameof(ConvGapLinear))
        {
            conv = nn.Conv2d(1, 2, 3);
            head = nn.Linear(2, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(conv.call(x).mean([2, 3])).squeeze(1);
    }

    [Fact]
    public void MatchesReluOfClassWeightsTimesFeatureMapsWorkedByHand()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var net = new ConvGapLinear();
        var x = randn(2, 1, 5, 5);
        using var result = GradCam.Compute(net.call, net.conv, x);

        // By hand: A_k(i, j) = b_k + Σ_uv K_k(u, v) x(i+u, j+v); score = Σ_k v_k mean(A_k) + c, so
        // ∂score/∂A_k(i, j) = v_k / 9, α_k = v_k / 9 and the map is max(0, Σ_k α_k A_k).
        var kernel = net.conv.weight!.to(ScalarType.Float64).data<double>().ToArray(); // (2, 1, 3, 3)
        var bias = net.conv.bias!.to(ScalarType.Float64).data<double>().ToArray();
        var v = net.head.weight!.to(ScalarType.Float64).data<double>().ToArray(); // (1, 2)
        var input = x.to(ScalarType.Float64).data<double>().ToArray();
        var maps = result.Maps.to(ScalarType.Float64).data<double>().ToArray(); // (2, 3, 3)
        Assert.Equal(new long[] { 2, 3, 3 }, result.Maps.shape);
        for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        {
            double cam = 0;
            for (int k = 0; k < 2; k++)
            {
                double a = bias[k];
                for (int u = 0; u < 3; u++)
                for (int w = 0; w < 3; w++)
                    a += kernel[k * 9 + u * 3 + w] * input[b * 25 + (i + u) * 5 + (j + w)];
                cam += v[k] / 9 * a;
            }
            Assert.Equal(Math.Max(0, cam), maps[b * 9 + i * 3 + j], 5);
        }
        var weights = result.ChannelWeights.to(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(v[0] / 9, weights[0], 6);
        Assert.Equal(v[1] / 9, weights[3], 6);
        Assert.Equal(new long[] { 2, 5, 5 }, result.Upsampled.shape);
        // Each upsampled map is scaled to peak at exactly 1 (all zero where the map is).
        for (int b = 0; b < 2; b++)
            Assert.Equal(result.Maps[b].max().item<float>() > 0 ? 1.0 : 0.0, result.Upsampled[b].max().item<float>(), 6);
        Assert.Equal(net.call(x).data<float>().ToArray(), result.Scores.data<float>().ToArray());
    }

    [Fact]
    public void ReadsTheFeatureClassifiersLastConvThroughItsOwnDisposeScope()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var classifier = new FeatureClassifier(1, 28, 28, 10);
        classifier.eval();
        var (name, conv) = GradCam.LastConv(classifier);
        Assert.Equal("conv2", name);
        var images = rand(3, 1, 28, 28);
        using var result = GradCam.Compute(x => classifier.Logits(x).select(1, 3), conv, images);
        Assert.Equal(new long[] { 3, 7, 7 }, result.Maps.shape);
        Assert.Equal(new long[] { 3, 64 }, result.ChannelWeights.shape);

        // The same Grad-CAM without hooks: run the classifier by hand from conv2's output A, so the
        // gradient of class 3 with respect to A is taken directly. weights = spatial mean of ∂y/∂A,
        // map = relu(Σ_k weights_k A_k).
        var layers = classifier.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        var a = layers["conv2"].call(FeatureClassifier.SoftMaxPool(nn.functional.silu(layers["conv1"].call(images)))).detach().requires_grad_(true); // (3, 64, 7, 7)
        var features = nn.functional.silu(layers["fc1"].call(FeatureClassifier.SoftMaxPool(nn.functional.silu(a)).flatten(1)));
        var score = layers["fc2"].call(features).select(1, 3);                                                   // (3,)
        var gradient = autograd.grad([score.sum()], [a])[0];                                                     // (3, 64, 7, 7)
        var weights = gradient.mean([2, 3]);                                                                     // (3, 64)
        var maps = nn.functional.relu((weights.unsqueeze(-1).unsqueeze(-1) * a.detach()).sum(1));                // (3, 7, 7)
        Assert.True(result.ChannelWeights.allclose(weights, rtol: 1e-4, atol: 1e-7), "channel weights differ from the hand-computed mean gradient");
        Assert.True(result.Maps.allclose(maps, rtol: 1e-4, atol: 1e-6), "maps differ from relu(Σ weights · A) computed by hand");
        Assert.True(maps.max().item<float>() > 0, "a map that is zero everywhere would not test the weighting");
    }

    [Fact]
    public void FindsTheDiscriminatorsLastSpectrallyNormalisedConvAndRejectsALayerThatDoesNotRun()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        using var discriminator = new GanDiscriminator(new ModelConfig { Family = ModelFamily.Gan, DataShape = [1, 8, 8], LatentSize = 4, Width = 4, SpectralNorm = true });
        discriminator.eval();
        var body = discriminator.named_children().First(c => c.name == "body").module;
        var (name, conv) = GradCam.LastConv(body);
        Assert.Equal("2", name);
        using var result = GradCam.Compute(x => discriminator.call(x, null), conv, rand(2, 1, 8, 8));
        Assert.Equal(new long[] { 2, 2, 2 }, result.Maps.shape);

        using var stranger = nn.Conv2d(1, 1, 1);
        var error = Assert.Throws<ArgumentException>(() => GradCam.Compute(x => discriminator.call(x, null), stranger, rand(2, 1, 8, 8)));
        Assert.Contains("ran 0 times", error.Message);
    }
}
