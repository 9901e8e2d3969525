using GenAudit.Application;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Training;
using GenAudit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>Attributions of a token language model's log-probabilities to its prompt's embeddings and to its state latent.</summary>
public class TokenAttributionTests
{
    static ModelConfig Tiny(RecurrentCell cell, int latent, int vocabulary = 6, int embedding = 4, int hidden = 5) => new()
    {
        Family = ModelFamily.Mle, VocabularySize = vocabulary, DataShape = [6], EmbeddingSize = embedding, Width = hidden, Depth = 1,
        Cell = cell, StateLatentSize = latent,
    };

    /// <summary>A tiny MLE run on a text of 8 words (vocabulary 9 with the end token), trained for 20 steps.</summary>
    static string TrainTextRun(TempRun temp, RecurrentCell cell, int latent)
    {
        string[] words = ["the", "cat", "dog", "sat", "on", "mat", "a", "ran"];
        var random = new Random(3);
        var text = temp.Sub("words.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 80).Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(3, 6)).Select(_ => words[random.Next(words.Length)]))));
        var data = "text:" + text;
        var defaults = TrainingConfig.DefaultsFor(data);
        var config = defaults with
        {
            Data = data,
            Model = defaults.Model with { Cell = cell, StateLatentSize = latent, EmbeddingSize = 6, Width = 8 },
            Sequence = defaults.Sequence! with { OracleEvaluationSamples = 0 },
            Steps = 20, BatchSize = 16, LogEvery = 10, CheckpointEvery = 1000, TensorBoard = false, Threads = 1,
        };
        using var dataset = TrainingDataLoader.From(DatasetRegistry.Resolve(data, config.DataOptions()));
        using (var trainer = new Trainer(config, dataset, temp.Sub("run"))) trainer.Run();
        return temp.Sub("run");
    }

    [Theory]
    [InlineData(RecurrentCell.Lstm, 0)]
    [InlineData(RecurrentCell.Gru, 3)]
    public void TheTargetsAreTheModelsTeacherForcedLogProbabilities(RecurrentCell cell, int latent)
    {
        // Embeddings in, and ids through the teacher-forced path: the same numbers.
        using var scope = NewDisposeScope();
        using var model = new TokenGenerator(Tiny(cell, latent));
        long[] prompt = [2, 0, 5], continuation = [1, 4];
        var z = latent == 0 ? null : randn([1, latent], generator: new Generator(2));
        using var noGrad = no_grad();
        var all = tensor(prompt.Concat(continuation).ToArray(), [1, 5]);
        var logProbabilities = model.LogProbabilities(all, z).to_type(ScalarType.Float64).data<double>().ToArray();
        var expected = logProbabilities[3] + logProbabilities[4];
        var embedded = model.Embed(tensor(prompt, [1, 3]));
        Assert.Equal(expected, TokenTargets.ContinuationLogProbability(model, embedded, z, continuation).item<float>(), 5);
        var nll = -model.LogLikelihood(tensor(prompt, [1, 3]), z).item<float>();
        Assert.Equal(nll, TokenTargets.PromptNegativeLogLikelihood(model, embedded, z, prompt).item<float>(), 5);
    }

    [Fact]
    public void WhenOnlyTheLastTokenReachesTheOutputItTakesTheWholeAttributionWorkedOutByHand()
    {
        // A GRU with no recurrent weights and its update gate shut (bias −10⁴, σ = 0 exactly): h_t = tanh(W_in x_t + b_in),
        // so log p(c | prompt) = log_softmax(W_o tanh(W_in e_last + b_in) + b_o)[c] depends on the last prompt token only.
        // Every other token's attribution is exactly 0 and the last one's is f(x) − f(0) with f computed by hand.
        using var scope = NewDisposeScope();
        const int E = 4, H = 5, V = 6;
        using var model = new TokenGenerator(Tiny(RecurrentCell.Gru, 0, V, E, H));
        using (no_grad())
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            parameters["gru.weight_hh_l0"].zero_();
            parameters["gru.bias_hh_l0"].zero_();
            parameters["gru.bias_ih_l0"].narrow(0, H, H).fill_(-1e4);
        }
        var p = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).data<double>().ToArray());
        long[] prompt = [3, 1, 4];
        const long next = 2;
        double ByHand(double[] x)
        {
            var h = Enumerable.Range(0, H).Select(i => Math.Tanh(p["gru.bias_ih_l0"][2 * H + i] + Enumerable.Range(0, E).Sum(j => p["gru.weight_ih_l0"][(2 * H + i) * E + j] * x[j]))).ToArray();
            var logits = Enumerable.Range(0, V).Select(k => p["output.bias"][k] + Enumerable.Range(0, H).Sum(j => p["output.weight"][k * H + j] * h[j])).ToArray();
            var max = logits.Max();
            return logits[next] - max - Math.Log(logits.Sum(l => Math.Exp(l - max)));
        }
        var lastEmbedding = p["embedding.weight"].AsSpan((int)prompt[^1] * E, E).ToArray();
        double expected = ByHand(lastEmbedding) - ByHand(new double[E]);

        var target = AttributionTarget.From(x => TokenTargets.ContinuationLogProbability(model, x, null, [next]), "logprob");
        var inputs = model.Embed(tensor(prompt, [1, 3])).detach();                                // (1, 3, E)
        using var ig = new IntegratedGradients(target, new IntegratedGradientsOptions { Tolerance = 1e-5 }).Attribute(inputs);
        var perToken = ig.Attributions.to_type(ScalarType.Float64).sum(2).data<double>().ToArray(); // (3,)
        Assert.Equal(0.0, perToken[0]);
        Assert.Equal(0.0, perToken[1]);
        Assert.Equal(expected, perToken[2], 4);
        Assert.Equal(expected, ig.TargetAtInput[0] - ig.TargetAtBaseline![0], 4);
        using var inputTimesGradient = new InputXGradient(target).Attribute(inputs);
        Assert.Equal(0.0, inputTimesGradient.Attributions.narrow(1, 0, 2).abs().max().item<float>());
    }

    [Fact]
    public void IntegratedGradientsOnThePromptMatchesAnIndependentMidpointIntegral()
    {
        // φ = (x − b) ⊙ ∫ ∂f/∂x along the straight path, here by a 4,000-point midpoint rule on autograd gradients.
        using var scope = NewDisposeScope();
        using var model = new TokenGenerator(Tiny(RecurrentCell.Lstm, 0));
        long[] continuation = [1, 3];
        var x = model.Embed(tensor(new long[] { 2, 5 }, [1, 2])).detach();                       // (1, 2, E)
        const int points = 4000;
        var alphas = (arange(points, dtype: ScalarType.Float32) + 0.5f) / points;                  // (P,)
        var path = (alphas.view(points, 1, 1) * x).requires_grad_(true);                           // (P, 2, E)
        var values = TokenTargets.ContinuationLogProbability(model, path, null, continuation);
        var gradients = autograd.grad([values.sum()], [path])[0];                                  // (P, 2, E)
        var reference = (x * gradients.mean([0], keepdim: true)).to_type(ScalarType.Float64);     // (1, 2, E)

        var target = AttributionTarget.From(e => TokenTargets.ContinuationLogProbability(model, e, null, continuation), "logprob");
        using var ig = new IntegratedGradients(target).Attribute(x);
        Assert.True((ig.Attributions.to_type(ScalarType.Float64) - reference).abs().max().item<double>() < 1e-4);
        Assert.True(Math.Abs(ig.CompletenessError![0]) <= 1e-3 * Math.Abs(ig.TargetAtInput[0] - ig.TargetAtBaseline![0]) + 1e-6);
    }

    [Fact]
    public void ExplainOnATokenRunAttributesPromptTokensAndTheStateLatentWithCompleteness()
    {
        using var temp = new TempRun();
        using var subject = AuditSubject.Open(TrainTextRun(temp, RecurrentCell.Gru, 3));
        var sampler = (TokenSampler)subject.Generator;

        using (var prompt = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "logprob:mat", Prompt = "the cat sat on the" }))
        {
            Assert.Equal(TargetInput.TokenEmbeddings, prompt.InputKind);
            Assert.Equal([1L, 5, 6], prompt.Inputs.shape);
            var record = prompt.Records.Single();
            Assert.True(record.RelativeCompletenessError < 1e-3, $"relative completeness error {record.RelativeCompletenessError}");
            Assert.Equal(5, prompt.TokenAttributions!.Single().Length);
            Assert.Equal(record.TargetAtInput - record.TargetAtBaseline!.Value, prompt.TokenAttributions!.Single().Sum(), 3);
            // f(x) is the model's log-probability of "mat" after the prompt, read through the ids.
            var ids = sampler.Vocabulary.Encode("the cat sat on the mat");
            using var noGrad = no_grad();
            var logProbabilities = sampler.Model.LogProbabilities(tensor(ids, [1, 6]), zeros(1, 3)).data<float>().ToArray();
            Assert.Equal(logProbabilities[5], record.TargetAtInput, 4);
            Assert.Equal("prompt", prompt.ToDocument()["input"]);
        }

        using (var mean = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "logprob:mat", Prompt = "the cat", Baseline = "mean" }))
        {
            // The mean baseline puts the vocabulary's mean embedding at every prompt position.
            using var noGrad = no_grad();
            var average = sampler.Model.Embed(arange(sampler.Vocabulary.Size, dtype: ScalarType.Int64).unsqueeze(0)).mean([1], keepdim: true).expand(1, 2, 6);
            var expected = TokenTargets.ContinuationLogProbability(sampler.Model, average, zeros(1, 3), sampler.Vocabulary.Encode("mat")).item<float>();
            Assert.Equal(expected, mean.Records.Single().TargetAtBaseline!.Value, 4);
            Assert.True(mean.Records.Single().RelativeCompletenessError < 1e-3);
        }

        using (var latent = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ig", Target = "nll", Prompt = "a dog ran", ExplainLatents = true, Count = 3 }))
        {
            Assert.Equal(TargetInput.Latent, latent.InputKind);
            Assert.Equal([3L, 3 + sampler.Model.Length], latent.Inputs.shape);
            Assert.All(latent.Records, r => Assert.True(r.RelativeCompletenessError < 1e-3, $"relative completeness error {r.RelativeCompletenessError}"));
            // The sampling noise does not enter a log-probability: its attributions are exactly 0, the state latent's are not.
            Assert.Equal(0f, latent.Attribution.Attributions.narrow(1, 3, sampler.Model.Length).abs().max().item<float>());
            Assert.True(latent.Attribution.Attributions.narrow(1, 0, 3).abs().max().item<float>() > 0);
        }
    }

    [Fact]
    public void PerturbationMethodsRemoveWholeTokensAndKernelShapOnTwoTokensIsTheShapleyValue()
    {
        using var temp = new TempRun();
        using var subject = AuditSubject.Open(TrainTextRun(temp, RecurrentCell.Lstm, 0));
        var model = ((TokenSampler)subject.Generator).Model;
        var x = TokenEmbeddingInput.Embed(subject, "dog sat");                                    // (1, 2, E)
        double F(bool first, bool second)
        {
            using var noGrad = no_grad();
            var kept = x.clone();
            if (!first) kept[0, 0].zero_();
            if (!second) kept[0, 1].zero_();
            return TokenTargets.ContinuationLogProbability(model, kept, null, ((TokenSampler)subject.Generator).Vocabulary.Encode("on")).item<float>();
        }
        double[] shapley = [0.5 * (F(true, false) - F(false, false) + F(true, true) - F(false, true)),
                            0.5 * (F(false, true) - F(false, false) + F(true, true) - F(true, false))];
        double[] ablation = [F(true, true) - F(false, true), F(true, true) - F(true, false)];

        using var shap = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "kernelshap", Target = "logprob:on", Prompt = "dog sat" });
        using var ablated = ExplainRunner.Attribute(subject, new ExplainRequest { Method = "ablation", Target = "logprob:on", Prompt = "dog sat" });
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(shapley[i], shap.Attribution.GroupAttributions![0, i].item<float>(), 4);
            Assert.Equal(ablation[i], ablated.Attribution.GroupAttributions![0, i].item<float>(), 4);
        }
    }

    [Fact]
    public void TokenTargetsRefuseWhatTheyCannotExplain()
    {
        using var temp = new TempRun();
        using var subject = AuditSubject.Open(TrainTextRun(temp, RecurrentCell.Lstm, 0));
        string Error(ExplainRequest request) => Assert.ThrowsAny<ArgumentException>(() => ExplainRunner.Attribute(subject, request).Dispose()).Message;
        Assert.Contains("logprob:<text> | nll", Error(new ExplainRequest { Method = "ig", Target = "output:0", Prompt = "the cat" }));
        Assert.Contains("no state latent", Error(new ExplainRequest { Method = "ig", Target = "logprob:the", Prompt = "the cat", ExplainLatents = true }));
        Assert.Contains("give --prompt", Error(new ExplainRequest { Method = "ig", Target = "nll", Inputs = zeros(1, 2, 6) }));
        Assert.Contains("'zebra' is not a token", Error(new ExplainRequest { Method = "ig", Target = "logprob:zebra", Prompt = "the cat" }));
        Assert.Contains("--mask token", Error(new ExplainRequest { Method = "ablation", Target = "logprob:the", Prompt = "the cat", Mask = "patch:2" }));
    }
}
