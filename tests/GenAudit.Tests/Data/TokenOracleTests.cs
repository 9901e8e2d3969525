using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class TokenOracleTests
{
    [Fact]
    public void AnOracleIsFixedByItsSeedAndItsParametersAreStandardNormal()
    {
        var a = new TokenOracle(3, vocabularySize: 20).Dataset(DataSplit.Train, 200, 8);
        var b = new TokenOracle(3, vocabularySize: 20).Dataset(DataSplit.Train, 200, 8);
        var other = new TokenOracle(4, vocabularySize: 20).Dataset(DataSplit.Train, 200, 8);
        Assert.True(a.Tokens.SequenceEqual(b.Tokens));
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.NotEqual(a.Fingerprint, other.Fingerprint);
        Assert.False(a.Tokens.SequenceEqual(other.Tokens));

        // The held-out set is the next block of draws: sequence i depends on (seed, i) only.
        var test = new TokenOracle(3, vocabularySize: 20).Dataset(DataSplit.Test, 200, 8);
        Assert.True(test.Tokens.SequenceEqual(new TokenOracle(3, vocabularySize: 20).Sample(200, 200, 8)));
        Assert.True(a.Tokens[..800].SequenceEqual(new TokenOracle(3, vocabularySize: 20).Sample(0, 100, 8)));

        // SeqGAN's oracle: 5,000 × 32 embedding and all other parameters N(0, 1).
        var oracle = new TokenOracle(0);
        var values = oracle.ParameterNames.SelectMany(n => oracle.Parameter(n).Values).ToArray();
        Assert.Equal(5001 * 32 + 2 * 128 * 32 + 2 * 128 + 5000 * 32 + 5000, values.Length);
        double mean = values.Average(), variance = values.Select(v => (v - mean) * (v - mean)).Average();
        // n ≈ 330,000: the standard error of the mean is 0.0017 and of the variance 0.0025.
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.985, 1.015);
        Assert.Equal([5001L, 32], oracle.Parameter("embedding.weight").Shape);
    }

    [Fact]
    public void LogLikelihoodEqualsAFloat64LstmWrittenOutAndSumsToOneOverEverySequence()
    {
        const int v = 4, e = 3, h = 5, length = 3;
        var oracle = new TokenOracle(11, v, e, h);
        var all = new List<long[]>();
        for (int x = 0; x < v * v * v; x++) all.Add([x / 16, x / 4 % 4, x % 4]);
        using var tokens = tensor(all.SelectMany(s => s).ToArray(), [all.Count, length]);
        using var logLikelihood = oracle.LogLikelihood(tokens);
        var library = logLikelihood.data<double>().ToArray();

        double total = 0;
        for (int i = 0; i < all.Count; i++)
        {
            double expected = BruteForceLogLikelihood(oracle, all[i]);
            Assert.True(Math.Abs(expected - library[i]) < 1e-12, $"sequence {string.Join(",", all[i])}: brute force {expected}, library {library[i]}");
            total += Math.Exp(expected);
        }
        Assert.True(Math.Abs(total - 1) < 1e-12, $"Σ p(x) over all {all.Count} sequences = {total}");
        Assert.Equal(-library.Average() / length, oracle.NegativeLogLikelihoodPerToken(tokens), 12);
    }

    [Fact]
    public void SamplesFollowTheOraclesNextTokenProbabilities()
    {
        var oracle = new TokenOracle(5, vocabularySize: 4, embeddingSize: 3, hiddenSize: 5);
        const int n = 20_000;
        var first = oracle.Sample(0, n, 1);
        for (long token = 0; token < 4; token++)
        {
            using var single = tensor(new[] { token }, [1, 1]);
            using var logP = oracle.LogLikelihood(single);
            double p = Math.Exp(logP.item<double>()), frequency = first.Count(t => t == token) / (double)n;
            double sigma = Math.Sqrt(p * (1 - p) / n);
            Assert.True(Math.Abs(frequency - p) < 5 * sigma + 1e-9, $"token {token}: p = {p:F4}, frequency {frequency:F4}");
        }
    }

    [Fact]
    public void TokenDatasetsHashTheirVocabularyAndRejectOutOfRangeTokens()
    {
        long[] tokens = [0, 1, 2, 1, 0, 2];
        var small = new TokenSequenceDataset("a", tokens, 3, TokenVocabulary.Numbered(3));
        var large = new TokenSequenceDataset("b", tokens, 3, TokenVocabulary.Numbered(4));
        Assert.NotEqual(small.Fingerprint, large.Fingerprint);
        Assert.Equal(2, small.Count);
        Assert.Equal(3, small.Length);
        using var batch = small.GetTokens([1]);
        Assert.Equal([1L, 0, 2], batch.data<long>().ToArray());
        var error = Assert.Throws<ArgumentException>(() => new TokenSequenceDataset("c", [0, 5, 1], 3, TokenVocabulary.Numbered(3)));
        Assert.Contains("sequence 0, position 1 holds token 5", error.Message);
        Assert.Equal("abc", TokenVocabulary.Named(["a", "b", "c"]).Spell([0, 1, 2]));
        Assert.Equal("the cat", TokenVocabulary.Named(["the", "cat"]).Spell([0, 1]));
    }

    [Fact]
    public void TheRegistryServesTheOracleWithItsSeedAndLength()
    {
        var options = new DatasetOptions { OracleSeed = 9, SequenceLength = 6, OracleSampleCount = 50 };
        var train = Assert.IsType<TokenSequenceDataset>(DatasetRegistry.Resolve("oracle", options));
        var test = Assert.IsType<TokenSequenceDataset>(DatasetRegistry.Resolve("oracle", options with { Split = DataSplit.Test }));
        Assert.Equal(6, train.Length);
        Assert.Equal(50, train.Count);
        Assert.Equal(5000, train.VocabularySize);
        Assert.Equal(9, train.Oracle!.Seed);
        Assert.NotEqual(train.Fingerprint, test.Fingerprint);
    }

    // nn.LSTM's equations in plain float64 arithmetic over the oracle's parameters, start token V.
    static double BruteForceLogLikelihood(TokenOracle oracle, long[] sequence)
    {
        int v = oracle.VocabularySize, e = oracle.EmbeddingSize, hs = oracle.HiddenSize;
        var emb = oracle.Parameter("embedding.weight").Values;
        var wih = oracle.Parameter("lstm.weight_ih_l0").Values;
        var whh = oracle.Parameter("lstm.weight_hh_l0").Values;
        var bih = oracle.Parameter("lstm.bias_ih_l0").Values;
        var bhh = oracle.Parameter("lstm.bias_hh_l0").Values;
        var wo = oracle.Parameter("output.weight").Values;
        var bo = oracle.Parameter("output.bias").Values;
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var h = new double[hs];
        var c = new double[hs];
        long previous = v;
        double total = 0;
        foreach (var token in sequence)
        {
            var gates = new double[4 * hs];
            for (int g = 0; g < 4 * hs; g++)
            {
                double sum = bih[g] + bhh[g];
                for (int k = 0; k < e; k++) sum += wih[g * e + k] * emb[previous * e + k];
                for (int k = 0; k < hs; k++) sum += whh[g * hs + k] * h[k];
                gates[g] = sum;
            }
            for (int k = 0; k < hs; k++)
            {
                c[k] = Sigmoid(gates[hs + k]) * c[k] + Sigmoid(gates[k]) * Math.Tanh(gates[2 * hs + k]);
                h[k] = Sigmoid(gates[3 * hs + k]) * Math.Tanh(c[k]);
            }
            var logits = new double[v];
            for (int j = 0; j < v; j++)
            {
                logits[j] = bo[j];
                for (int k = 0; k < hs; k++) logits[j] += wo[j * hs + k] * h[k];
            }
            double max = logits.Max(), logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
            total += logits[token] - logSum;
            previous = token;
        }
        return total;
    }
}
