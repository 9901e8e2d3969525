using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Models;

public class TokenNetworksTests
{
    static ModelConfig Tiny(int vocabulary = 3, int length = 3, int embedding = 4, int hidden = 5) => new()
    {
        Family = ModelFamily.SeqGan, VocabularySize = vocabulary, DataShape = [length], EmbeddingSize = embedding, Width = hidden, Depth = 1,
    };

    [Fact]
    public void TheGeneratorsProbabilitiesOfEverySequenceSumToOne()
    {
        using var scope = NewDisposeScope();
        using var generator = new TokenGenerator(Tiny());
        var all = Enumerable.Range(0, 27).SelectMany(x => new long[] { x / 9, x / 3 % 3, x % 3 }).ToArray();
        using var noGrad = no_grad();
        var logLikelihood = generator.LogLikelihood(tensor(all, [27, 3])).to_type(ScalarType.Float64);
        Assert.Equal(1.0, logLikelihood.exp().sum().item<double>(), 5);
    }

    [Fact]
    public void WithTheOraclesWeightsTheGeneratorScoresSequencesAsTheOracleDoes()
    {
        // nn.LSTM's gate order (i, f, g, o) and the start-token convention must be the oracle's.
        using var scope = NewDisposeScope();
        var oracle = new TokenOracle(2, vocabularySize: 7, embeddingSize: 4, hiddenSize: 6);
        using var generator = new TokenGenerator(Tiny(7, 5, 4, 6));
        using (no_grad())
        {
            foreach (var (name, parameter) in generator.named_parameters())
            {
                var (values, shape) = oracle.Parameter(name);
                parameter.copy_(tensor(values, shape).to_type(ScalarType.Float32));
            }
        }
        var sequences = tensor(oracle.Sample(0, 64, 5), [64, 5]);
        var expected = oracle.LogLikelihood(sequences);
        using var noGrad = no_grad();
        var actual = generator.LogLikelihood(sequences).to_type(ScalarType.Float64);
        Assert.True((expected - actual).abs().max().item<double>() < 1e-3);
    }

    [Fact]
    public void StateDictNamesArePyTorchs()
    {
        using var generator = new TokenGenerator(Tiny(10, 4, 3, 5));
        var shapes = generator.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(new long[] { 11, 3 }, shapes["embedding.weight"]);
        Assert.Equal(new long[] { 20, 3 }, shapes["lstm.weight_ih_l0"]);
        Assert.Equal(new long[] { 20, 5 }, shapes["lstm.weight_hh_l0"]);
        Assert.Equal(new long[] { 20 }, shapes["lstm.bias_ih_l0"]);
        Assert.Equal(new long[] { 20 }, shapes["lstm.bias_hh_l0"]);
        Assert.Equal(new long[] { 10, 5 }, shapes["output.weight"]);
        Assert.Equal(new long[] { 10 }, shapes["output.bias"]);
        Assert.Equal(7, shapes.Count);
        using var discriminator = new TokenDiscriminator(Tiny(10, 4, 3, 5));
        Assert.Equal(["embedding.weight", "lstm.bias_hh_l0", "lstm.bias_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l0", "score.bias", "score.weight"],
            discriminator.state_dict().Keys.Order());
    }

    [Fact]
    public void RollOutsKeepTheirPrefixesAndRewardsHaveOneValuePerToken()
    {
        using var scope = NewDisposeScope();
        var config = Tiny(6, 5);
        using var generator = new TokenGenerator(config);
        using var discriminator = new TokenDiscriminator(config);
        using var random = new Generator(1);
        var sequences = generator.Sample(4, random);                                    // (4, 5)
        Assert.Equal([4L, 5], sequences.shape);
        Assert.InRange(sequences.min().item<long>(), 0, 5);
        Assert.InRange(sequences.max().item<long>(), 0, 5);

        var rollouts = SequenceLosses.RollOut(generator, sequences.narrow(1, 0, 2), 3, random); // (12, 5)
        Assert.Equal([12L, 5], rollouts.shape);
        for (int r = 0; r < 3; r++)
            Assert.True(rollouts.narrow(0, r * 4, 4).narrow(1, 0, 2).eq(sequences.narrow(1, 0, 2)).all().item<bool>(), $"roll-out {r} changed its prefix");

        var rewards = SequenceLosses.MonteCarloRewards(generator, discriminator, sequences, 3, _ => random); // (4, 5)
        Assert.Equal([4L, 5], rewards.shape);
        Assert.True(rewards.ge(0).all().item<bool>() && rewards.le(1).all().item<bool>());
        using var noGrad = no_grad();
        Assert.True(rewards.select(1, 4).allclose(sigmoid(discriminator.call(sequences))), "the last token's reward is D of the whole sequence");
        Assert.Equal([4L], discriminator.call(sequences).shape);
    }

    [Fact]
    public void SamplingAtLowTemperatureTakesTheMostLikelyToken()
    {
        using var scope = NewDisposeScope();
        using var generator = new TokenGenerator(Tiny(6, 4));
        using var random = new Generator(3);
        var greedy = generator.Sample(8, random, new TokenSampling { Temperature = 1e-4 });                    // (8, 4)
        using var noGrad = no_grad();
        var argmax = generator.call(greedy).argmax(2);                                   // (8, 4)
        Assert.True(greedy.eq(argmax).all().item<bool>());
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Sample(2, random, new TokenSampling { Temperature = 0 }));
    }
}
