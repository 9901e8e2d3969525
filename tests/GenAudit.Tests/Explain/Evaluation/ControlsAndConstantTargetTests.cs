using System.Security.Cryptography;
using GenAudit.Audit;
using GenAudit.Core;
using GenAudit.Explain.Evaluation;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Audit;
using GenAudit.Tests.Training;
using GenAudit.Training;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain.Evaluation;

/// <summary>
/// Issue 15, item 4: controls are scored but never recommended, <c>explainability.margin</c> is the best method's score minus
/// the random control's, and a target that barely varies over the inputs makes explainability not applicable.
/// </summary>
public class ControlsAndConstantTargetTests
{
    const int Features = 16;

    /// <summary>The weights of the hand-built linear generator G(z) = c + s · W z, output 0: w = W[0] = (1, −2, 3, −4, ...) / 4.</summary>
    static Tensor Weights() => tensor(Enumerable.Range(0, Features).Select(i => (i % 2 == 0 ? 1.0 : -1.0) * (i % 5 + 1) / 4).ToArray()); // (16,)

    /// <summary>Output 0 of G(z) = offset + scale · W z as the target: f(z) = offset + scale · w·z.</summary>
    static Func<Tensor, Tensor> LinearGeneratorTarget(Tensor w, double offset, double scale) => z => z.matmul(w).mul(scale).add(offset);

    static Tensor Latents(long seed, int n) => randn([n, Features], dtype: ScalarType.Float64, generator: new Generator((ulong)seed)); // (n, 16)

    /// <summary>The documented score recomputed from a method's raw per-example measurements (no randomisation: sanity is left out and the weights rescaled).</summary>
    static double ScoreFromRawMetrics(MethodEvaluation m) => Enumerable.Range(0, m.Scores.Length).Average(i =>
    {
        var faithfulness = 0.5 * Math.Clamp(m.InsertionAuc[i] - m.DeletionAuc[i], 0, 1) + 0.5 * Math.Max(0, m.FaithfulnessCorrelation[i]);
        var robustness = Math.Max(0, 1 - m.Sensitivity.Max[i]);
        return (0.5 * faithfulness + 0.25 * robustness) / 0.75;
    });

    [Fact]
    public void NoControlIsRecommendedEvenWhenControlsScoreBest()
    {
        using var scope = NewDisposeScope();
        var w = Weights();
        var target = LinearGeneratorTarget(w, 0, 1);
        var noise = new Generator(11);
        var methods = new[]
        {
            // An explainer worse than chance: the exact contributions w ⊙ z with the sign flipped (anti-faithful),
            // each scaled by a fresh random factor in [1, 5) (so it also moves under the smallest perturbation).
            ExplanationMethod.FromFunction("anti", z => z.mul(w).neg().mul(rand(z.shape, dtype: z.dtype, generator: noise).mul(4).add(1))),
            ExplanationMethod.RandomControl(5),
            // A control that happens to be the exact Shapley values of the linear target: it scores best of all.
            ExplanationMethod.ControlFromFunction("oracle", z => z.mul(w)),
        };
        var report = new ExplanationEvaluator(target, new EvaluationOptions { Seed = 3, FaithfulnessSubsets = 40, InfidelitySamples = 8, SensitivitySamples = 4 })
            .Evaluate(methods, Latents(1, 6));

        var anti = report.Methods.Single(m => m.Method == "anti");
        var random = report.Methods.Single(m => m.Method == "random");
        var oracle = report.Methods.Single(m => m.Method == "oracle");
        // The scenario holds: both controls beat the only real method.
        Assert.True(random.Explainability > anti.Explainability, $"random {random.Explainability:F3} should beat anti {anti.Explainability:F3} here");
        Assert.True(oracle.Explainability > random.Explainability, $"oracle {oracle.Explainability:F3} vs random {random.Explainability:F3}");
        Assert.Equal(["oracle", "random", "anti"], report.Ranking);
        Assert.Equal([ControlKind.None, ControlKind.Random, ControlKind.Other], report.Methods.Select(m => m.Control));

        Assert.Equal("anti", report.BestMethod);
        var keys = report.ToDictionary();
        Assert.Equal(ScoreFromRawMetrics(anti), keys["explainability"], 12);
        Assert.Equal(ScoreFromRawMetrics(anti) - ScoreFromRawMetrics(random), keys["explainability.margin"], 12);
        Assert.True(keys["explainability.margin"] < 0);
        Assert.Null(report.NotApplicableReason);
    }

    [Fact]
    public void AnEvaluationOfControlsOnlyIsRefused()
    {
        using var scope = NewDisposeScope();
        var evaluator = new ExplanationEvaluator(LinearGeneratorTarget(Weights(), 0, 1));
        var error = Assert.Throws<ArgumentException>(() => evaluator.Evaluate([ExplanationMethod.RandomControl(1)], Latents(1, 2)));
        Assert.Contains("all controls", error.Message);
    }

    [Fact]
    public void ANearlyConstantGeneratorIsNotApplicableAndANormalOneIsScored()
    {
        using var scope = NewDisposeScope();
        var w = Weights();
        var z = Latents(2, 6);
        var options = new EvaluationOptions { Seed = 3, FaithfulnessSubsets = 20, InfidelitySamples = 4, SensitivitySamples = 2 };
        EvaluationReport Run(double offset, double scale) => new ExplanationEvaluator(LinearGeneratorTarget(w, offset, scale), options)
            .Evaluate([ExplanationMethod.FromFunction("exact", x => x.mul(w).mul(scale)), ExplanationMethod.RandomControl(5)], z);

        // Spread by hand: f(zᵢ) = c + s · w·zᵢ, population std over i, over max(1, RMS).
        double Spread(double offset, double scale)
        {
            var values = z.matmul(w).data<double>().Select(v => offset + scale * v).ToArray();
            var mean = values.Average();
            var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            return std / Math.Max(1, Math.Sqrt(values.Average(v => v * v)));
        }

        var flat = Run(offset: 3, scale: 1e-5);
        Assert.Equal(Spread(3, 1e-5), flat.TargetSpread, 9);
        Assert.True(flat.TargetSpread < options.ConstantTargetTolerance);
        Assert.Contains("barely varies", flat.NotApplicableReason);
        var flatKeys = flat.ToDictionary();
        Assert.DoesNotContain("explainability", flatKeys.Keys);
        Assert.DoesNotContain("explainability.margin", flatKeys.Keys);
        Assert.True(double.IsNaN(flat.Explainability));
        var verdict = Judge(flatKeys, flat.NotApplicableKeys());
        Assert.Equal(VerdictStatus.NotApplicable, verdict.Status);
        Assert.Equal(flat.NotApplicableReason, verdict.Reason);

        var normal = Run(offset: 3, scale: 1);
        Assert.Equal(Spread(3, 1), normal.TargetSpread, 9);
        Assert.Null(normal.NotApplicableReason);
        var normalKeys = normal.ToDictionary();
        Assert.Equal(ScoreFromRawMetrics(normal.Methods[0]), normalKeys["explainability"], 12);
        Assert.True(normalKeys["explainability"] > 0.5, $"the exact attributions of a linear generator score {normalKeys["explainability"]:F3}");
        Assert.Equal(VerdictStatus.Pass, Judge(normalKeys, normal.NotApplicableKeys()).Status);
    }

    // The explainability threshold judged as the audit does: a missing key is not applicable with the stage's reason.
    static Verdict Judge(IReadOnlyDictionary<string, double> values, IReadOnlyDictionary<string, string> notApplicable) =>
        Policy.Parse("""{ "explainability": { "min": 0.3 } }""", "test").Evaluate(new Measurements
        {
            Values = values,
            Missing = key => (VerdictStatus.NotApplicable, notApplicable.GetValueOrDefault(key, "not reported by this run")),
        }).Single();

    [Fact]
    public void TheAuditStageNotesAGeneratorWhoseOutputBarelyDependsOnItsLatent()
    {
        using var temp = new TempRun();
        var defaults = TrainingConfig.DefaultsFor("ring8");
        var config = defaults with { Model = defaults.Model with { Depth = 2 }, Steps = 20, CheckpointEvery = 20, LogEvery = 10, Threads = 1 };
        using (var data = TrainingFixtures.Ring8())
        using (var trainer = new Trainer(config, data, temp.Sub("run")))
            trainer.Run();
        ScaleFirstLayer(temp.Sub("run"), temp.Sub("flat"), 1e-6);

        var options = new AuditOptions { Seed = 1, Methods = ["saliency"], ExplainSamples = 4 };
        foreach (var (run, applicable) in new[] { ("run", true), ("flat", false) })
        {
            using var subject = AuditSubject.Open(temp.Sub(run));
            Directory.CreateDirectory(temp.Sub(run + "-audit"));
            var stage = AuditStages.Explanations(subject, options, temp.Sub(run + "-audit"), null);
            Assert.Equal("saliency", stage.Report.BestMethod);
            var keys = stage.Report.ToDictionary();
            if (applicable)
            {
                Assert.Null(stage.Report.NotApplicableReason);
                Assert.InRange(keys["explainability"], 0, 1);
                Assert.Equal(keys["saliency.explainability"] - keys["random.explainability"], keys["explainability.margin"], 12);
                Assert.DoesNotContain(stage.Notes, n => n.Contains("not applicable"));
            }
            else
            {
                Assert.NotNull(stage.Report.NotApplicableReason);
                Assert.DoesNotContain("explainability", keys.Keys);
                Assert.Contains(stage.Notes, n => n.Contains("explainability not applicable") && n.Contains(stage.Report.NotApplicableReason!));
            }
        }
    }

    /// <summary>Copies a run and multiplies the weight of the generator's first layer (net.0.weight, the one reading z) by <paramref name="scale"/>.</summary>
    static void ScaleFirstLayer(string source, string target, double scale)
    {
        AuditFixtures.CopyDirectory(source, target);
        var run = new RunDirectory(target);
        var folder = run.CheckpointFolder(Json.ReadFile<LatestCheckpoint>(run.Latest).Step);
        var statePath = Path.Combine(folder, "state.json");
        var state = Json.ReadFile<CheckpointState>(statePath);
        var files = new Dictionary<string, string>(state.Files);
        foreach (var name in new[] { "generator.safetensors", "generator_ema.safetensors" })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var tensors = SafeTensors.Load(path, out var metadata);
            tensors["net.0.weight"] = tensors["net.0.weight"].mul(scale);
            SafeTensors.Save(path, tensors.Select(kv => (kv.Key, kv.Value)), metadata);
            foreach (var t in tensors.Values) t.Dispose();
            files[name] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        }
        Json.WriteFile(statePath, state with { Files = files });
    }
}
