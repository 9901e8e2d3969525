using System.Text.Json;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Models;

/// <summary>The token generator's options: GRU cell, state latent, temperature and top-k.</summary>
public class TokenGeneratorOptionsTests
{
    static ModelConfig Tiny(RecurrentCell cell, int latent, int vocabulary = 3, int length = 3, int embedding = 4, int hidden = 5, int depth = 1) => new()
    {
        Family = ModelFamily.Mle, VocabularySize = vocabulary, DataShape = [length], EmbeddingSize = embedding, Width = hidden, Depth = depth,
        Cell = cell, StateLatentSize = latent,
    };

    [Theory]
    [InlineData(RecurrentCell.Gru, 0, 1)]
    [InlineData(RecurrentCell.Gru, 2, 2)]
    [InlineData(RecurrentCell.Lstm, 2, 2)]
    public void ForEveryLatentTheProbabilitiesOfEverySequenceSumToOne(RecurrentCell cell, int latent, int depth)
    {
        using var scope = NewDisposeScope();
        using var generator = new TokenGenerator(Tiny(cell, latent, depth: depth));
        var all = tensor(Enumerable.Range(0, 27).SelectMany(x => new long[] { x / 9, x / 3 % 3, x % 3 }).ToArray(), [27, 3]);
        using var noGrad = no_grad();
        foreach (var seed in new[] { 1, 2 })
        {
            var z = latent == 0 ? null : randn([1, latent], generator: new Generator((ulong)seed)).expand(27, latent); // one z for every sequence
            var total = generator.LogLikelihood(all, z).to_type(ScalarType.Float64).exp().sum().item<double>();
            Assert.Equal(1.0, total, 5);
        }
    }

    [Fact]
    public void TheGruStepAndTheLatentStateArePyTorchsFormulas()
    {
        // First-step logits by hand: h0 = tanh(W_l z + b_l); r, u (PyTorch's z gate), n in PyTorch's gate order r, z, n;
        // h1 = (1 − u) n + u h0; logits = W_o h1 + b_o. x is the start token's embedding.
        using var scope = NewDisposeScope();
        const int E = 3, H = 4, N = 2, V = 5;
        using var generator = new TokenGenerator(Tiny(RecurrentCell.Gru, N, vocabulary: V, embedding: E, hidden: H));
        var p = generator.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(["embedding.weight", "gru.bias_hh_l0", "gru.bias_ih_l0", "gru.weight_hh_l0", "gru.weight_ih_l0", "latent.bias", "latent.weight", "output.bias", "output.weight"], p.Keys.Order());
        double[] z = [0.7, -1.2];
        var x = p["embedding.weight"].AsSpan(V * E, E).ToArray();
        var h0 = new double[H];
        for (int i = 0; i < H; i++) h0[i] = Math.Tanh(p["latent.bias"][i] + Enumerable.Range(0, N).Sum(j => p["latent.weight"][i * N + j] * z[j]));
        double Ih(int row) => p["gru.bias_ih_l0"][row] + Enumerable.Range(0, E).Sum(j => p["gru.weight_ih_l0"][row * E + j] * x[j]);
        double Hh(int row) => p["gru.bias_hh_l0"][row] + Enumerable.Range(0, H).Sum(j => p["gru.weight_hh_l0"][row * H + j] * h0[j]);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        var h1 = new double[H];
        for (int i = 0; i < H; i++)
        {
            double r = Sigmoid(Ih(i) + Hh(i)), u = Sigmoid(Ih(H + i) + Hh(H + i));
            double n = Math.Tanh(Ih(2 * H + i) + r * Hh(2 * H + i));
            h1[i] = (1 - u) * n + u * h0[i];
        }
        var expected = Enumerable.Range(0, V).Select(k => p["output.bias"][k] + Enumerable.Range(0, H).Sum(j => p["output.weight"][k * H + j] * h1[j])).ToArray();

        using var noGrad = no_grad();
        var logits = generator.Logits(tensor(new long[] { 0 }, [1, 1]), tensor(z, [1, N]).to_type(ScalarType.Float32)); // (1, 1, V)
        var actual = logits.to_type(ScalarType.Float64).data<double>().ToArray();
        for (int k = 0; k < V; k++) Assert.Equal(expected[k], actual[k], 5);
    }

    [Fact]
    public void AModelWithAStateLatentNeedsItAndOneWithoutRefusesIt()
    {
        using var scope = NewDisposeScope();
        using var with = new TokenGenerator(Tiny(RecurrentCell.Lstm, 2));
        using var without = new TokenGenerator(Tiny(RecurrentCell.Lstm, 0));
        var tokens = tensor(new long[] { 0, 1, 2 }, [1, 3]);
        Assert.Contains("--latent", Assert.Throws<ArgumentException>(() => with.Logits(tokens)).Message);
        Assert.Contains("no state latent", Assert.Throws<ArgumentException>(() => without.Logits(tokens, zeros(1, 2))).Message);
        Assert.Throws<ArgumentException>(() => with.Logits(tokens, zeros(1, 3)));
    }

    [Fact]
    public void TheLatentChangesTheDistributionAndTheSamplerSplitsItsLatentIntoStateAndNoise()
    {
        using var scope = NewDisposeScope();
        var model = new TokenGenerator(Tiny(RecurrentCell.Gru, 3, vocabulary: 6, length: 5));
        using var sampler = new TokenSampler(model, TokenVocabulary.Numbered(6));
        Assert.Equal(3 + 5, sampler.LatentSize);
        var z = randn([16, 8], generator: new Generator(4));
        Assert.True(sampler.Sequences(z).eq(sampler.Sequences(z.clone())).all().item<bool>(), "equal latents give equal sequences");
        using var noGrad = no_grad();
        var tokens = sampler.Sequences(z);
        var a = model.LogLikelihood(tokens, z.narrow(1, 0, 3));
        var b = model.LogLikelihood(tokens, z.narrow(1, 0, 3) + 1);
        Assert.True((a - b).abs().max().item<float>() > 1e-3, "moving z must move the sequences' likelihood");
    }

    [Fact]
    public void TopKAndTemperatureGiveTheClosedFormProbabilities()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new double[] { 0, 1, 2, 3, 2 }, [1, 5]);
        var p = new TokenSampling { Temperature = 2, TopK = 2 }.Probabilities(logits).data<double>().ToArray();
        // The top two are 3 and a tie at 2 (both kept): softmax of (2, 1.5, 1) / 2 over tokens 3, 2, 4.
        double sum = Math.Exp(1.5) + 2 * Math.Exp(1);
        double[] expected = [0, 0, Math.Exp(1) / sum, Math.Exp(1.5) / sum, Math.Exp(1) / sum];
        for (int k = 0; k < 5; k++) Assert.Equal(expected[k], p[k], 12);
        var all = TokenSampling.Default.Probabilities(logits).data<double>().ToArray();
        var denominator = new[] { 0.0, 1, 2, 3, 2 }.Sum(Math.Exp);
        Assert.Equal(Math.Exp(3) / denominator, all[3], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampling { TopK = -1 }.Validate());
    }

    [Fact]
    public void TopKDrawsOnlyAmongTheKMostLikelyTokensInSamplingAndDecoding()
    {
        using var scope = NewDisposeScope();
        using var generator = new TokenGenerator(Tiny(RecurrentCell.Lstm, 0, vocabulary: 12, length: 6));
        var topTwo = new TokenSampling { TopK = 2 };
        var sampled = generator.Sample(64, new Generator(7), topTwo);                          // (64, 6)
        // Uniforms at the extremes, including exactly 1, must stay among the top two as well.
        var uniforms = cat([rand([62, 6], generator: new Generator(8)), zeros(1, 6), ones(1, 6)]);
        var decoded = generator.Decode(uniforms, topTwo);                                      // (64, 6)
        var greedy = generator.Decode(uniforms, new TokenSampling { TopK = 1 });
        using var noGrad = no_grad();
        foreach (var tokens in new[] { sampled, decoded })
        {
            var ranks = generator.Logits(tokens).topk(2, dim: 2).indexes;                     // (64, 6, 2)
            Assert.True(ranks.eq(tokens.unsqueeze(2)).any(2).all().item<bool>(), "a token outside the top 2 was drawn");
        }
        Assert.True(greedy.eq(generator.Logits(greedy).argmax(2)).all().item<bool>(), "top-1 is greedy decoding");
    }

    [Fact]
    public void ManifestsWrittenBeforeTheOptionsReadAsAnLstmWithoutLatent()
    {
        var config = Tiny(RecurrentCell.Gru, 4);
        var json = JsonSerializer.Serialize(config, Json.Options);
        Assert.Contains("\"cell\": \"gru\"", json);
        Assert.Equal(config with { DataShape = config.DataShape }, JsonSerializer.Deserialize<ModelConfig>(json, Json.Options)! with { DataShape = config.DataShape });
        var old = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json, Json.Options)!;
        old.Remove("cell");
        old.Remove("stateLatentSize");
        var read = JsonSerializer.Deserialize<ModelConfig>(JsonSerializer.Serialize(old, Json.Options), Json.Options)!;
        Assert.Equal(RecurrentCell.Lstm, read.Cell);
        Assert.Equal(0, read.StateLatentSize);
        var lstm = JsonSerializer.Serialize(Tiny(RecurrentCell.Lstm, 0), Json.Options);
        Assert.DoesNotContain("\"cell\"", lstm);
        Assert.DoesNotContain("stateLatentSize", lstm);
        Assert.Contains("--cell applies", Assert.Throws<ArgumentException>(() => new ModelConfig { Cell = RecurrentCell.Gru }.Validate()).Message);
    }
}
