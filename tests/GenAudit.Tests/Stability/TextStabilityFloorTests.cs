using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Stability;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class TextStabilityFloorTests
{
    [Fact]
    public void IndependentPairsOfAUniformModelMatchTheExactExpectationOverAllPairsOfSequences()
    {
        // With its output layer zeroed the model's next-token distribution is uniform over V = 2 whatever came
        // before, so sequences of T = 3 are the 8 binary strings, each with probability 1/8, and an independent pair
        // is one of 64 equally likely pairs. Token sets: {0} and {1} with probability 1/8 each, {0, 1} with 3/4, so
        // E[Jaccard] = 2·(1/8)²·1 + 2·(1/8)²·0 + 4·(1/8)(3/4)·(1/2) + (3/4)²·1 = 25/32.
        // E[1 − Levenshtein/3] over the 64 pairs = 49/96 (the 64 distances sum to 94; e.g. 010 vs 101 is 2, not 3).
        using var scope = NewDisposeScope();
        var config = new ModelConfig { Family = ModelFamily.Mle, VocabularySize = 2, DataShape = [3], EmbeddingSize = 3, Width = 4, Depth = 1 };
        var model = new TokenGenerator(config);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.StartsWith("output.", StringComparison.Ordinal)) parameter.zero_();
        using var sampler = new TokenSampler(model, TokenVocabulary.Numbered(2));
        var options = new StabilityOptions { SampleCount = 4000, Epsilons = [1e-9], DeterminismSampleCount = 8, CheckThreads = false };

        var values = TextStability.Run(sampler, options);

        // Per-pair values lie in [0, 1], so the standard error of a mean of 4,000 is below 0.008: 0.04 is 5 of them.
        Assert.Equal(25.0 / 32, values["independent.jaccard"], 0.04);
        Assert.Equal(49.0 / 96, values["independent.edit"], 0.04);
        Assert.Equal(1.0, values["local.1E-09.edit"]);
        Assert.Equal(1.0, values["repeat"]);
    }
}
