using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using TorchSharp;
using static GenAudit.Tests.Explain.Evaluation.EvaluationFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain.Evaluation;

public class RandomisationAndTrainedModelTests
{
    static readonly string[] Cascade = ["fc3", "fc2", "fc1"];

    [Fact]
    public void RandomisationSeparatesGradientsFromAnInputOnlyExplainer()
    {
        using var scope = NewDisposeScope();
        var model = Mlp(1, 16, 32, 2);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var x = ExplainFixtures.Random(2, 12, 16);
        var options = new EvaluationOptions { BatchSize = 5 };

        // Saliency reads the model, so randomising it scrambles the ranking of |φ|.
        var gradients = ModelRandomisation.Run(model, Cascade,
            m => inputs => new Saliency(Class((nn.Module<Tensor, Tensor>)m, 0)).Attribute(inputs).Attributions, x, options: options);
        Assert.Equal(Cascade, gradients.Layers);
        var fullyRandom = gradients.Spearman["fc1"].Average();
        Assert.True(fullyRandom < 0.4, $"saliency after randomising every layer: mean Spearman {fullyRandom:F3}");

        // |x| as the explanation ignores the model: Spearman 1 at every step, the check fails it.
        var inputOnly = ModelRandomisation.Run(model, Cascade, _ => inputs => inputs.abs(), x, options: options);
        Assert.All(Cascade, layer => Assert.All(inputOnly.Spearman[layer], s => Assert.Equal(1, s)));
        Assert.True(ExplainabilityScore.Sanity(Cascade.Select(l => inputOnly.Spearman[l][0])) == 0);
        Assert.True(ExplainabilityScore.Sanity(Cascade.Select(l => gradients.Spearman[l][0])) > 0.4);

        // The weights are back.
        foreach (var (original, now) in before.Zip(model.parameters()))
            Assert.True(original.allclose(now, rtol: 0, atol: 0), "model randomisation must restore the original parameters");
    }

    [Fact]
    public void RandomisationNamesAMissingLayer()
    {
        using var scope = NewDisposeScope();
        var model = Mlp(1, 4, 4, 1);
        var error = Assert.Throws<ArgumentException>(() =>
            ModelRandomisation.Run(model, ["head"], _ => t => t, ExplainFixtures.Random(1, 2, 4)));
        Assert.Contains("'head'", error.Message);
        Assert.Contains("fc1", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void IntegratedGradientsBeatsRandomAttributionsOnATrainedClassifier(long seed)
    {
        using var scope = NewDisposeScope();
        var model = TrainedClassifier(seed);
        var target = Class(model, 1);
        var x = ConfidentInputs(model, seed, 16);
        var f = (Func<Tensor, Tensor>)(t => model.forward(t)[.., 1]);
        using var ig = new IntegratedGradients(target).Attribute(x);
        var noise = rand([16, 16], dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 300));
        var options = new EvaluationOptions { CurveSteps = 16, Seed = seed };

        var igCurves = DeletionInsertion.Compute(f, x, ig.Attributions, options: options);
        var randomCurves = DeletionInsertion.Compute(f, x, noise, options: options);
        var igCorrelation = FaithfulnessCorrelation.Compute(f, x, ig.Attributions, options: options).Average();
        var randomCorrelation = FaithfulnessCorrelation.Compute(f, x, noise, options: options).Average();

        Assert.True(igCurves.InsertionAuc.Average() > randomCurves.InsertionAuc.Average() + 0.15,
            $"insertion AUC: IG {igCurves.InsertionAuc.Average():F3}, random {randomCurves.InsertionAuc.Average():F3}");
        Assert.True(igCurves.DeletionAuc.Average() < randomCurves.DeletionAuc.Average() - 0.15,
            $"deletion AUC: IG {igCurves.DeletionAuc.Average():F3}, random {randomCurves.DeletionAuc.Average():F3}");
        Assert.True(igCorrelation > randomCorrelation + 0.4, $"faithfulness correlation: IG {igCorrelation:F3}, random {randomCorrelation:F3}");
    }

    [Fact]
    public void TheEvaluatorRanksIntegratedGradientsAboveTheRandomControl()
    {
        using var scope = NewDisposeScope();
        var model = TrainedClassifier(4);
        var target = Class(model, 1);
        var x = ConfidentInputs(model, 4, 8);
        var methods = new[]
        {
            ExplanationMethod.FromResult("ig", inputs => new IntegratedGradients(target, new IntegratedGradientsOptions { Steps = 16 }).Attribute(inputs)),
            ExplanationMethod.FromResult("saliency", inputs => new Saliency(target).Attribute(inputs)),
            ExplanationMethod.FromResult("lime", inputs => new Lime(target, new LimeOptions { Samples = 200 }).Attribute(inputs)),
            ExplanationMethod.RandomControl(5),
        };
        var evaluator = new ExplanationEvaluator(t => model.forward(t)[.., 1], new EvaluationOptions { Seed = 7, FaithfulnessSubsets = 50, InfidelitySamples = 20 });
        var report = evaluator.Evaluate(methods, x, randomisation: new RandomisationSetup(model, Cascade));

        var keys = report.ToDictionary();
        Assert.Equal(8, keys["n"]);
        Assert.Equal(7, keys["seed"]);
        foreach (var name in new[] { "ig", "saliency", "lime", "random" })
            foreach (var key in new[] { "explainability", "deletionAuc", "insertionAuc", "faithfulnessCorrelation", "infidelity", "maxSensitivity",
                                        "avgSensitivity", "sparseness", "complexity", "randomisation.spearman.fc3", "randomisation.spearman.fc1" })
                Assert.True(keys.ContainsKey($"{name}.{key}"), $"missing key {name}.{key}");
        Assert.Contains("ig.completenessError", keys.Keys);
        Assert.Contains("lime.lime.r2", keys.Keys); // <method>.lime.r2
        Assert.DoesNotContain("saliency.completenessError", keys.Keys);
        using (var direct = new IntegratedGradients(target, new IntegratedGradientsOptions { Steps = 16 }).Attribute(x)) // passed through unchanged
            Assert.Equal(direct.CompletenessError!.Average(Math.Abs), keys["ig.completenessError"], 12);
        // Each example's score is the documented weighted mean of its own measurements, recomputed here
        // from the raw per-example metrics (so a metric routed to the wrong example or term fails).
        foreach (var m in report.Methods)
            for (var i = 0; i < m.Scores.Length; i++)
            {
                var faithfulness = 0.5 * Math.Clamp(m.InsertionAuc[i] - m.DeletionAuc[i], 0, 1) + 0.5 * Math.Max(0, m.FaithfulnessCorrelation[i]);
                var robustness = Math.Max(0, 1 - m.Sensitivity.Max[i]);
                var sanity = 1 - m.Randomisation!.Layers.Average(l => Math.Max(0, m.Randomisation.Spearman[l][i]));
                Assert.Equal(0.5 * faithfulness + 0.25 * robustness + 0.25 * sanity, m.Scores[i], 12);
            }
        Assert.Equal(report.Methods.Max(m => m.Explainability), keys["explainability"]);
        Assert.NotEqual("random", report.BestMethod);
        Assert.True(keys["ig.explainability"] > keys["random.explainability"] + 0.2,
            $"ig {keys["ig.explainability"]:F3} vs random {keys["random.explainability"]:F3}");
        Assert.True(keys["ig.faithfulness"] > keys["random.faithfulness"] + 0.3);
    }
}
