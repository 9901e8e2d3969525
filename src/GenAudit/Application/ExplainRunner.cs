using System.Globalization;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Explain.Evaluation;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Application;

/// <summary>
/// One attribution request against a run, in the terms of <c>genaudit explain</c>: the same fields
/// mean the same thing from the CLI, an audit policy and a library call. Defaults in one place.
/// </summary>
public sealed record ExplainRequest
{
    /// <summary>Method: saliency | inputxgrad | ig | smoothgrad | gradshap | occlusion | ablation | kernelshap | lime.</summary>
    public required string Method { get; init; }

    /// <summary>Target specification, as in <see cref="ModelTargets.Grammar"/>.</summary>
    public required string Target { get; init; }

    /// <summary>
    /// Inputs to explain: latents (N, d), images (N, C, H, W) or a token run's prompt embeddings (N, t, E). Null draws
    /// <see cref="Count"/> latents from <see cref="Seed"/>, or embeds <see cref="Prompt"/> when one is given (unless <see cref="ExplainLatents"/>).
    /// </summary>
    public Tensor? Inputs { get; init; }

    /// <summary>
    /// Token runs: the text the model continues (spelled as its samples are). Its tokens' embeddings are what is explained
    /// unless <see cref="ExplainLatents"/>; the targets <c>logprob:&lt;text&gt;</c> and <c>nll</c> read it. Null: no prompt.
    /// </summary>
    public string? Prompt { get; init; }

    /// <summary>Token runs with a <see cref="Prompt"/>: explain the latent (its state part) instead of the prompt's tokens. Default false.</summary>
    public bool ExplainLatents { get; init; }

    /// <summary>Number of latents drawn from N(0, I) when <see cref="Inputs"/> is null. Default 8.</summary>
    public int Count { get; init; } = 8;

    /// <summary>Seed of the latent draws and of the method's random draws. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Baseline: zeros | mean | blur | FILE.npy. "mean" is the prior mean (zeros) for latents and the mean of
    /// a seeded, class-stratified sample of up to 1,000 training images for images; "blur" is a Gaussian blur of
    /// σ = 5 pixels (images only); a file holds one example, (1, ...) or (N, ...). GradientSHAP samples its
    /// references from a background set: 64 prior draws for latents, a seeded, class-stratified sample of 64
    /// training images for images, or the file's rows. For a token run's prompt, "mean" puts the vocabulary's mean embedding at
    /// every position and the background is 64 prompts of uniformly drawn tokens. Default zeros.
    /// </summary>
    public string Baseline { get; init; } = "zeros";

    /// <summary>Integration steps of IG's first pass. Null: 50.</summary>
    public int? Steps { get; init; }

    /// <summary>IG's relative completeness tolerance (0 turns refinement off). Null: 1e-3.</summary>
    public double? Tolerance { get; init; }

    /// <summary>IG's budget of gradient evaluations per example. Null: 16384 (or <see cref="Steps"/> when larger).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Samples of smoothgrad (25), gradshap (50), kernelshap (2048 coalitions) and lime (1000). Null: the method's default.</summary>
    public int? Samples { get; init; }

    /// <summary>Largest batch sent to the model in one call. Default 64.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>
    /// Feature mask of occlusion, ablation, kernelshap and lime: patch:K | slic:N for images (default patch:4),
    /// latent:K (groups of K consecutive dimensions) for latents (default every dimension alone), token (each token's
    /// embedding, the only mask) for a token run's prompt.
    /// </summary>
    public string? Mask { get; init; }

    /// <summary>Condition (class) of a conditional model; null uses class 0.</summary>
    public int? Condition { get; init; }
}

/// <summary>What one example's attribution reports in explain.json.</summary>
/// <param name="Index">Row of the input.</param>
/// <param name="TargetAtInput">f(x).</param>
/// <param name="TargetAtBaseline">f(baseline), where the method has a baseline.</param>
/// <param name="CompletenessError">Σφ − (f(x) − f(baseline)), where the method promises completeness.</param>
/// <param name="RelativeCompletenessError">|completeness error| / |f(x) − f(baseline)|, where defined.</param>
/// <param name="RSquared">LIME's weighted R² (local fidelity).</param>
/// <param name="Steps">Gradient evaluations IG used on the path, refinement included.</param>
public sealed record ExplainRecord(int Index, double TargetAtInput, double? TargetAtBaseline, double? CompletenessError,
                                   double? RelativeCompletenessError, double? RSquared, int? Steps = null);

/// <summary>The result of <see cref="ExplainRunner.Attribute"/>: inputs, attributions and per-example records. Owns its tensors.</summary>
public sealed class ExplainResult : IDisposable
{
    internal ExplainResult(ExplainRequest request, TargetInput inputKind, Tensor inputs, Tensor? outputs, AttributionResult attribution)
    {
        Request = request;
        InputKind = inputKind;
        Inputs = inputs;
        Outputs = outputs;
        Attribution = attribution;
        Records = Enumerable.Range(0, attribution.TargetAtInput.Length).Select(i =>
        {
            var atBaseline = attribution.TargetAtBaseline?[i];
            var error = attribution.CompletenessError?[i];
            double? relative = error is { } e && atBaseline is { } b && attribution.TargetAtInput[i] != b
                ? Math.Abs(e) / Math.Abs(attribution.TargetAtInput[i] - b) : null;
            return new ExplainRecord(i, attribution.TargetAtInput[i], atBaseline, error, relative, attribution.RSquared?[i], attribution.IntegrationSteps?[i]);
        }).ToArray();
    }

    /// <summary>The request as given.</summary>
    public ExplainRequest Request { get; }

    /// <summary>Whether latents, images or prompt embeddings were explained.</summary>
    public TargetInput InputKind { get; }

    /// <summary>The explained inputs (N, d), (N, C, H, W) or (N, t, E).</summary>
    public Tensor Inputs { get; }

    /// <summary>The generated outputs G(z) for latent inputs; null for image inputs.</summary>
    public Tensor? Outputs { get; }

    /// <summary>The method's result: attributions of the inputs' shape, checks, parameters and timings.</summary>
    public AttributionResult Attribution { get; }

    /// <summary>One record per example.</summary>
    public IReadOnlyList<ExplainRecord> Records { get; }

    /// <summary>For prompt embeddings (N, t, E): each token's attribution, the sum over its E values (N rows of t); null for other inputs.</summary>
    public double[][]? TokenAttributions => InputKind != TargetInput.TokenEmbeddings ? null
        : Enumerable.Range(0, (int)Attribution.Attributions.shape[0])
            .Select(i => Numerics.ToDoubles(Attribution.Attributions[i].to(ScalarType.Float64).sum(1))).ToArray();

    /// <summary>The explain.json document: method, target, input shape, parameters, timings and records.</summary>
    public IReadOnlyDictionary<string, object?> ToDocument() => new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["method"] = Attribution.Method,
        ["target"] = Request.Target,
        ["input"] = InputKind switch { TargetInput.Latent => "latent", TargetInput.Image => "image", _ => "prompt" },
        ["prompt"] = Request.Prompt,
        ["tokenAttributions"] = TokenAttributions,
        ["inputShape"] = Inputs.shape,
        ["seed"] = Request.Seed,
        ["parameters"] = new SortedDictionary<string, string>(Attribution.Parameters.ToDictionary(), StringComparer.Ordinal),
        ["timings"] = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["elapsedSeconds"] = Attribution.Elapsed.TotalSeconds,
            ["modelSeconds"] = Attribution.ModelTime.TotalSeconds,
            ["modelShare"] = Attribution.ModelShare,
            ["modelCalls"] = Attribution.ModelCalls,
            ["modelEvaluations"] = Attribution.ModelEvaluations,
        },
        ["examples"] = Records,
    };

    /// <summary>Disposes the inputs, outputs and attributions.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Outputs?.Dispose();
        Attribution.Dispose();
    }
}

/// <summary>
/// Budgets and evaluation settings of a method comparison, the same for <c>genaudit explain --compare</c>,
/// <c>--evaluate</c> and the audit's explanation stage. Defaults in one place.
/// </summary>
public sealed record ComparisonOptions
{
    /// <summary>Integration steps of Integrated Gradients' first pass. Default 32.</summary>
    public int IntegratedGradientsSteps { get; init; } = 32;

    /// <summary>
    /// Step budget of Integrated Gradients' refinement towards its completeness tolerance (1e-3). Default 512:
    /// sensitivity re-runs every method, so the 16,384 of a single <c>explain</c> call would dominate the comparison.
    /// </summary>
    public int IntegratedGradientsMaxSteps { get; init; } = 512;

    /// <summary>Noisy copies per example of SmoothGrad. Default 16.</summary>
    public int SmoothGradSamples { get; init; } = 16;

    /// <summary>Coalitions of KernelSHAP and perturbations of LIME (sensitivity re-runs them 1 + SensitivitySamples times per sample). Default 512.</summary>
    public int PerturbationSamples { get; init; } = 512;

    /// <summary>Steps K of the deletion and insertion curves. Default 10.</summary>
    public int CurveSteps { get; init; } = 10;

    /// <summary>Random feature subsets per example for the faithfulness correlation. Default 32.</summary>
    public int FaithfulnessSubsets { get; init; } = 32;

    /// <summary>Perturbations per example for infidelity. Default 16.</summary>
    public int InfidelitySamples { get; init; } = 16;

    /// <summary>Perturbed inputs per example for max- and average-sensitivity. Default 4.</summary>
    public int SensitivitySamples { get; init; } = 4;

    /// <summary>Largest batch sent to the model in one call. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The evaluation settings of these options with the metrics' draws seeded by <paramref name="seed"/>.</summary>
    public EvaluationOptions Evaluation(long seed) => new()
    {
        Seed = seed,
        BatchSize = BatchSize,
        CurveSteps = CurveSteps,
        FaithfulnessSubsets = FaithfulnessSubsets,
        InfidelitySamples = InfidelitySamples,
        SensitivitySamples = SensitivitySamples,
    };
}

/// <summary>The methods of a comparison bound to a run, its latents, target and randomisation check; owns the latents.</summary>
public sealed class MethodComparison : IDisposable
{
    readonly AttributionTarget _target;
    readonly EvaluationOptions _options;

    internal MethodComparison(IReadOnlyList<ExplanationMethod> methods, Tensor latents, AttributionTarget target,
                              RandomisationSetup? randomisation, EvaluationOptions options)
    {
        Methods = methods;
        Latents = latents;
        _target = target;
        Randomisation = randomisation;
        _options = options;
    }

    /// <summary>The methods, the random control last unless it was named.</summary>
    public IReadOnlyList<ExplanationMethod> Methods { get; }

    /// <summary>The latents explained (n, d).</summary>
    public Tensor Latents { get; }

    /// <summary>The generator and its weight layers, top down; null when the run is not differentiable.</summary>
    public RandomisationSetup? Randomisation { get; }

    /// <summary>Every metric of <see cref="ExplanationEvaluator"/> for every method, against a zero baseline; <paramref name="steps"/> hears of each finished stage.</summary>
    public EvaluationReport Evaluate(IProgress<WorkProgress>? steps = null)
    {
        using var enable = enable_grad();
        return new ExplanationEvaluator(_target.Evaluate, _options).Evaluate(Methods, Latents, Explain.Baseline.Zeros, null, Randomisation, steps);
    }

    /// <summary>Disposes the latents.</summary>
    public void Dispose() => Latents.Dispose();
}

/// <summary>
/// Library entry point of <c>genaudit explain</c>: binds a method, a target, inputs, a baseline and a
/// feature mask to an opened run (<see cref="Attribute"/>), and evaluates and ranks methods on generated
/// latents (<see cref="Evaluate"/>, <see cref="Compare"/>). The audit calls the same functions.
/// </summary>
public static class ExplainRunner
{
    /// <summary>The method names, in the order of the help text.</summary>
    public static readonly IReadOnlyList<string> Methods = ["saliency", "inputxgrad", "ig", "smoothgrad", "gradshap", "occlusion", "ablation", "kernelshap", "lime"];

    /// <summary>Methods that read gradients and so need a differentiable model.</summary>
    public static readonly IReadOnlySet<string> GradientMethods = new HashSet<string> { "saliency", "inputxgrad", "ig", "smoothgrad", "gradshap" };

    /// <summary>The model-free control of <see cref="Compare"/> (uniform random attributions).</summary>
    public const string RandomControl = "random";

    /// <summary>
    /// Attributes <paramref name="request"/>'s target at its inputs (or at Count latents drawn from Seed).
    /// Throws <see cref="ArgumentException"/> with the field and the fix for a bad method, target, input shape,
    /// baseline or mask, and for a gradient method on a non-differentiable (ONNX) run.
    /// </summary>
    public static ExplainResult Attribute(AuditSubject subject, ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Batch < 1) throw new ArgumentException($"--batch must be >= 1, got {request.Batch}");
        using var scope = NewDisposeScope();
        var inputs = request.Inputs is { } given ? given.detach().to(ScalarType.Float32)
            : request.Prompt is { } prompt && !request.ExplainLatents ? TokenEmbeddingInput.Embed(subject, prompt)
            : DrawLatents(subject, request.Count, request.Seed);
        var kind = AttributionInputs.Detect(subject, inputs).Kind;
        var explain = Build(subject, request, kind, inputs);
        using var enable = enable_grad(); // gradient methods need autograd even when a caller disabled it
        var result = explain(inputs);
        Tensor? outputs = null;
        if (kind == TargetInput.Latent)
            using (no_grad()) outputs = subject.Generator.Generate(inputs, Labels(subject, request.Condition, inputs.shape[0])).detach().cpu();
        var owned = inputs.clone();
        owned.DetachFromDisposeScope();
        outputs?.DetachFromDisposeScope();
        result.Attributions.DetachFromDisposeScope();
        result.GroupAttributions?.DetachFromDisposeScope();
        return new ExplainResult(request, kind, owned, outputs, result);
    }

    /// <summary>
    /// Evaluates one method on <paramref name="n"/> latents drawn from <paramref name="seed"/>, next to the random control:
    /// <see cref="Compare"/> with [<paramref name="method"/>].
    /// </summary>
    public static EvaluationReport Evaluate(AuditSubject subject, string method, string target, int n, long seed,
                                            ComparisonOptions? options = null, IProgress<string>? progress = null, IProgress<WorkProgress>? steps = null) =>
        Compare(subject, [method], target, n, seed, options, progress, steps);

    /// <summary>
    /// Evaluates and ranks <paramref name="methods"/> (names of <see cref="Methods"/>; the model-free "random"
    /// control is added when missing) on <paramref name="n"/> latents drawn from <paramref name="seed"/>: every
    /// metric of <see cref="ExplanationEvaluator"/> against a zero baseline over the latent dimensions, and the
    /// cascading randomisation check (Adebayo et al. 2018) on every weight layer of the generator, top down.
    /// The audit's explanation stage runs this same comparison (<see cref="Prepare"/>), so a run, a target and a
    /// seed give the same Explainability(G) in both; budgets (IG's refinement capped at 512 steps, because
    /// sensitivity re-runs every method) and evaluation settings are in <see cref="ComparisonOptions"/>.
    /// <paramref name="steps"/> hears of each finished stage of each method, with the count of stages, for an ETA.
    /// </summary>
    public static EvaluationReport Compare(AuditSubject subject, IReadOnlyList<string> methods, string target, int n, long seed,
                                           ComparisonOptions? options = null, IProgress<string>? progress = null, IProgress<WorkProgress>? steps = null)
    {
        using var comparison = Prepare(subject, methods, target, n, seed, options);
        progress?.Report($"evaluating {string.Join(", ", comparison.Methods.Select(m => m.Name))} on {n} latents (seed {seed}), target {target}");
        return comparison.Evaluate(steps);
    }

    /// <summary>
    /// Binds <paramref name="methods"/> (plus the random control) to the run and <paramref name="target"/> with the
    /// one method factory of <c>genaudit explain</c>, on <paramref name="n"/> latents drawn from <paramref name="seed"/>,
    /// with the cascading randomisation over <see cref="LayersTopDown"/> (none for a non-differentiable run).
    /// </summary>
    public static MethodComparison Prepare(AuditSubject subject, IReadOnlyList<string> methods, string target, int n, long seed,
                                           ComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Count == 0) throw new ArgumentException("--compare: give at least one method, e.g. ig,kernelshap,lime");
        if (n < 1) throw new ArgumentException($"--n must be >= 1, got {n}");
        options ??= new ComparisonOptions();
        using var scope = NewDisposeScope();
        var z = DrawLatents(subject, n, seed); // (n, d)
        var names = methods.Select(name => name.Trim().ToLowerInvariant()).Distinct().ToList();
        if (!names.Contains(RandomControl)) names.Add(RandomControl);
        var explained = names.Select(key =>
        {
            if (key == RandomControl) return ExplanationMethod.RandomControl(seed);
            var request = new ExplainRequest
            {
                Method = key, Target = target, Seed = seed, Batch = options.BatchSize,
                Steps = options.IntegratedGradientsSteps,
                MaxSteps = key == "ig" ? Math.Max(options.IntegratedGradientsMaxSteps, options.IntegratedGradientsSteps) : null,
                Samples = key switch
                {
                    "smoothgrad" => options.SmoothGradSamples,
                    "kernelshap" or "lime" => options.PerturbationSamples,
                    _ => null,
                },
            };
            var explain = Build(subject, request, TargetInput.Latent, z);
            return ExplanationMethod.FromResult(key, explain);
        }).ToList();
        var targetFunction = ModelTargets.Create(target, subject, TargetInput.Latent, null);
        var randomisation = subject.Generator is nn.Module module && subject.Generator.IsDifferentiable
            ? new RandomisationSetup(module, LayersTopDown(module)) : null;
        z.DetachFromDisposeScope();
        return new MethodComparison(explained, z, targetFunction, randomisation, options.Evaluation(seed));
    }

    /// <summary>
    /// Layers of <paramref name="model"/> that hold weights (a parameter of rank ≥ 2), from the output down, as
    /// named by <c>named_modules()</c>: for the DCGAN generator the convolutions and the first linear layer of its
    /// sequential net, for the feature classifier fc2, fc1, conv2, conv1.
    /// </summary>
    public static IReadOnlyList<string> LayersTopDown(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.named_modules()
            .Where(pair => pair.name.Length > 0 && pair.module.parameters(recurse: false).Any(p => p.dim() >= 2))
            .Select(pair => pair.name).Reverse().ToList();
    }

    static Tensor DrawLatents(AuditSubject subject, int count, long seed)
    {
        if (count < 1) throw new ArgumentException($"--n must be >= 1, got {count}");
        return randn([count, subject.Generator.LatentSize], generator: new Generator(unchecked((ulong)seed))); // (N, d)
    }

    static Tensor? Labels(AuditSubject subject, int? condition, long batch) =>
        subject.Generator.ConditionCount > 0 ? full([batch], (long)(condition ?? 0), ScalarType.Int64) : null;

    /// <summary>The method bound to the run, target, baseline and mask: inputs (L, ...) → result.</summary>
    static Func<Tensor, AttributionResult> Build(AuditSubject subject, ExplainRequest request, TargetInput kind, Tensor inputs)
    {
        var method = request.Method.Trim().ToLowerInvariant();
        if (!Methods.Contains(method))
            throw new ArgumentException($"--method '{request.Method}' is not one of {string.Join(" | ", Methods)}");
        if (GradientMethods.Contains(method) && kind == TargetInput.Latent && !(OutputTargets.Find(subject.Output)?.LatentGradients(subject) ?? subject.Generator.IsDifferentiable))
            throw new ArgumentException($"{method} needs a differentiable model; this run is an ONNX black box. Use occlusion, ablation, kernelshap or lime.");
        var target = ModelTargets.Create(request.Target, subject, kind, request.Condition, request.Prompt);
        var input = AttributionInputs.For(kind);
        var baseline = ResolveBaseline(subject, request.Baseline, input, inputs, request.Seed);
        var batch = request.Batch;
        var seed = request.Seed;
        var exampleShape = inputs.shape[1..];
        Func<Tensor, FeatureMask> mask = input.Mask(request.Mask, exampleShape);

        switch (method)
        {
            case "saliency":
                return x => new Saliency(target, new AttributionOptions { InternalBatchSize = batch, Seed = seed }).Attribute(x);
            case "inputxgrad":
                return x => new InputXGradient(target, new AttributionOptions { InternalBatchSize = batch, Seed = seed }).Attribute(x);
            case "ig":
                return x => new IntegratedGradients(target, new IntegratedGradientsOptions { Steps = request.Steps ?? 50, Tolerance = request.Tolerance ?? 1e-3, MaxSteps = request.MaxSteps ?? Math.Max(16384, request.Steps ?? 50), InternalBatchSize = batch, Seed = seed }).Attribute(x, baseline);
            case "smoothgrad":
                return x => new NoiseTunnel(new Saliency(target, new AttributionOptions { InternalBatchSize = batch, Seed = seed }),
                    new NoiseTunnelOptions { Samples = request.Samples ?? 25, InternalBatchSize = batch, Seed = seed }).Attribute(x);
            case "gradshap":
            {
                var background = Background(subject, request.Baseline, input, exampleShape, seed);
                return x => new GradientShap(target, new GradientShapOptions { Samples = request.Samples ?? 50, InternalBatchSize = batch, Seed = seed }).Attribute(x, background);
            }
            case "occlusion":
            {
                var window = input.OcclusionWindow(request.Mask, exampleShape);
                return x => new Occlusion(target, new OcclusionOptions { WindowShape = window, InternalBatchSize = batch, Seed = seed }).Attribute(x, baseline);
            }
            case "ablation":
                return x => { using var m = mask(x); return new FeatureAblation(target, new AttributionOptions { InternalBatchSize = batch, Seed = seed }).Attribute(x, m, baseline); };
            case "kernelshap":
                return x => { using var m = mask(x); return new KernelShap(target, new KernelShapOptions { Samples = request.Samples ?? 2048, InternalBatchSize = batch, Seed = seed }).Attribute(x, m, baseline); };
            default:
                return x => { using var m = mask(x); return new Lime(target, new LimeOptions { Samples = request.Samples ?? 1000, InternalBatchSize = batch, Seed = seed }).Attribute(x, m, baseline); };
        }
    }

    static Baseline ResolveBaseline(AuditSubject subject, string spec, IAttributionInput input, Tensor inputs, long seed)
    {
        var key = spec.Trim();
        return key.ToLowerInvariant() switch
        {
            "zeros" => Explain.Baseline.Zeros,
            "mean" or "blur" => input.Baseline(subject, key.ToLowerInvariant(), inputs.shape[1..], seed),
            _ => Explain.Baseline.FromTensor(ReadBaselineFile(key, inputs.shape[1..]), Path.GetFileName(key)),
        };
    }

    static Baseline Background(AuditSubject subject, string spec, IAttributionInput input, long[] exampleShape, long seed)
    {
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var set = ReadBaselineFile(spec, exampleShape);
            return Explain.Baseline.Background(set.dim() == exampleShape.Length ? set.unsqueeze(0) : set);
        }
        return Explain.Baseline.Background(input.Background(subject, exampleShape, seed));
    }

    static Tensor ReadBaselineFile(string path, long[] exampleShape)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--baseline '{path}' is not one of zeros | mean | blur | FILE.npy");
        if (!File.Exists(path)) throw new FileNotFoundException($"--baseline {path}: file not found");
        var array = Npy.Read(path);
        if (array.Float32 is null) throw new InvalidDataException($"{path}: a baseline must be float32");
        var shape = array.Shape;
        var tail = shape.Length > exampleShape.Length ? shape[1..] : shape;
        if (!tail.SequenceEqual(exampleShape))
            throw new ArgumentException($"{path}: baseline has shape ({string.Join(", ", shape)}) but the inputs' examples are ({string.Join(", ", exampleShape)}); give (...), (1, ...) or (N, ...)");
        return array.ToTensor();
    }
}
