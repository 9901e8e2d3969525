using System.Text.Json;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

public class TextMetricsTests
{
    const string Fixture = "bleu_nltk.json";

    public static TheoryData<string> Cases => ReferenceFixtures.Names(Fixture);

    static List<long[]> Sequences(JsonElement c, string property) =>
        c.GetProperty(property).EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt64()).ToArray()).ToList();

    [Theory]
    [MemberData(nameof(Cases))]
    public void BleuEqualsNltksSentenceBleuWithMethod1(string name)
    {
        var c = ReferenceFixtures.Case(Fixture, name);
        var references = new BleuReferences(Sequences(c, "references"));
        var hypotheses = Sequences(c, "hypotheses");
        foreach (var n in TextQuality.BleuOrders)
        {
            var expected = c.GetProperty("bleuPerHypothesis").GetProperty(n.ToString()).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < hypotheses.Count; i++) Assert.Equal(expected[i], references.Score(hypotheses[i], n), 1e-9);
            Assert.Equal(c.GetProperty("bleu").GetProperty(n.ToString()).GetDouble(), references.Mean(hypotheses, n), 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SelfBleuEqualsNltkWithEachSampleAgainstTheOthers(string name)
    {
        var c = ReferenceFixtures.Case(Fixture, name);
        var samples = Sequences(c, "hypotheses");
        foreach (var n in TextQuality.BleuOrders)
            Assert.Equal(c.GetProperty("selfBleu").GetProperty(n.ToString()).GetDouble(), BleuReferences.SelfBleu(samples, n), 1e-9);
    }

    [Fact]
    public void DistinctNCountsDistinctNGramsOverAllNGrams()
    {
        List<long[]> sequences = [[1, 2, 1, 2], [1, 2, 3], [4]];
        Assert.Equal(4.0 / 8, TextDiversity.Distinct(sequences, 1), 12);  // 1 2 1 2 1 2 3 4: {1, 2, 3, 4}
        Assert.Equal(3.0 / 5, TextDiversity.Distinct(sequences, 2), 12);  // 12 21 12 12 23: {12, 21, 23}
        Assert.Equal(3.0 / 3, TextDiversity.Distinct(sequences, 3), 12);  // 121 212 123
        Assert.True(double.IsNaN(TextDiversity.Distinct(sequences, 5)));
    }

    [Fact]
    public void ACopyingGeneratorIsFlaggedByTheVerbatimShares()
    {
        List<long[]> training = [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]];
        List<long[]> heldOut = [[1, 3, 5], [2, 4, 6], [3, 4, 5]];
        var measures = new TextSetMeasures(training, heldOut);
        var copier = measures.Measure([[1, 2, 3], [2, 3, 4], [4, 5, 6], [3, 4, 5]]);
        Assert.Equal(1.0, copier["copies.verbatim.train"]);
        Assert.Equal(0.25, copier["copies.verbatim.test"]);   // [3, 4, 5] is in both sets
        var novel = measures.Measure([[6, 5, 4], [1, 3, 5]]);
        Assert.Equal(0.0, novel["copies.verbatim.train"]);
        Assert.Equal(0.5, novel["copies.verbatim.test"]);
    }

    static ModelConfig Tiny(int vocabulary, int length) => new()
    {
        Family = ModelFamily.Mle, VocabularySize = vocabulary, DataShape = [length], EmbeddingSize = 4, Width = 5, Depth = 1,
    };

    [Fact]
    public void NllTestIsTheMeanNegativeLogProbabilityPerTokenOfTheHeldOutSet()
    {
        // Every sequence of 3 tokens over 3 once: their probabilities sum to 1, so the NLL of this set is
        // −(1/27·3) Σ log p(x), with Σ p(x) = 1 checked on the same numbers.
        using var scope = NewDisposeScope();
        using var model = new TokenGenerator(Tiny(3, 3));
        var all = Enumerable.Range(0, 27).SelectMany(x => new long[] { x / 9, x / 3 % 3, x % 3 }).ToArray();
        var data = new TokenSequenceDataset("all", all, 3, TokenVocabulary.Numbered(3));
        double[] logLikelihoods;
        using (no_grad()) logLikelihoods = model.LogLikelihood(tensor(all, [27, 3])).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(1.0, logLikelihoods.Sum(Math.Exp), 5);
        Assert.Equal(-logLikelihoods.Sum() / 81, TextQuality.NllTest(model, data), 6);
    }

    [Fact]
    public void TheSamplerDrawsEachTokenByInverseCdfOfTheTeacherForcedDistribution()
    {
        using var scope = NewDisposeScope();
        var sampler = new TokenSampler(new TokenGenerator(Tiny(6, 5)), TokenVocabulary.Numbered(6));
        using var random = new TorchSharp.torch.Generator(7);
        var z = randn([200, 5], generator: random);
        var tokens = sampler.Sequences(z);                                                       // (B, T)
        Assert.Equal(tokens, sampler.Sequences(z.clone()));
        Assert.Equal(tokens.to_type(ScalarType.Float32), sampler.Generate(z));
        using var noGrad = no_grad();
        var u = (0.5 * (1 + (z.to_type(ScalarType.Float64) / Math.Sqrt(2)).erf())).data<double>().ToArray();
        var cdf = sampler.Model.call(tokens).softmax(2).to_type(ScalarType.Float64).cumsum(2).data<double>().ToArray(); // (B, T, V)
        var ids = tokens.data<long>().ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            double below = ids[i] == 0 ? 0 : cdf[i * 6 + ids[i] - 1], upTo = cdf[i * 6 + ids[i]];
            Assert.InRange(u[i], below - 1e-5, upTo + 1e-5);
        }
        sampler.Dispose();
    }
}
