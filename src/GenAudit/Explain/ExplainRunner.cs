using System.Globalization;
using GenAudit.Audit;
using GenAudit.Data;
using GenAudit.Explain.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

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

    /// <summary>Inputs to explain: latents (N, d) or images (N, C, H, W). Null draws <see cref="Count"/> latents from <see cref="Seed"/>.</summary>
    public Tensor? Inputs { get; init; }

    /// <summary>Number of latents drawn from N(0, I) when <see cref="Inputs"/> is null. Default 8.</summary>
    public int Count { get; init; } = 8;

    /// <summary>Seed of the latent draws and of the method's random draws. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Baseline: zeros | mean | blur | FILE.npy. "mean" is the prior mean (zeros) for latents and the mean of
    /// a seeded, class-stratified sample of up to 1,000 training images for images; "blur" is a Gaussian blur of
    /// σ = 5 pixels (images only); a file holds one example, (1, ...) or (N, ...). GradientSHAP samples its
    /// references from a background set: 64 prior draws for latents, a seeded, class-stratified sample of 64
    /// training images for images, or the file's rows. Default zeros.
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
    /// latent:K (groups of K consecutive dimensions) for latents (default every dimension alone).
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

    /// <summary>Whether latents or images were explained.</summary>
    public TargetInput InputKind { get; }

    /// <summary>The explained inputs (N, d) or (N, C, H, W).</summary>
    public Tensor Inputs { get; }

    /// <summary>The generated outputs G(z) for latent inputs; null for image inputs.</summary>
    public Tensor? Outputs { get; }

    /// <summary>The method's result: attributions of the inputs' shape, checks, parameters and timings.</summary>
    public AttributionResult Attribution { get; }

    /// <summary>One record per example.</summary>
    public IReadOnlyList<ExplainRecord> Records { get; }

    /// <summary>The explain.json document: method, target, input shape, parameters, timings and records.</summary>
    public IReadOnlyDictionary<string, object?> ToDocument() => new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["method"] = Attribution.Method,
        ["target"] = Request.Target,
        ["input"] = InputKind == TargetInput.Latent ? "latent" : "image",
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
        var inputs = request.Inputs is { } given ? given.detach().to(ScalarType.Float32) : DrawLatents(subject, request.Count, request.Seed);
        var kind = InputKind(subject, inputs);
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
    /// <see cref="Compare"/> with [<paramref name="method"/>, "random"].
    /// </summary>
    public static EvaluationReport Evaluate(AuditSubject subject, string method, string target, int n, long seed,
                                            EvaluationOptions? options = null, IProgress<string>? progress = null) =>
        Compare(subject, [method, RandomControl], target, n, seed, options, progress);

    /// <summary>
    /// Evaluates and ranks <paramref name="methods"/> (names of <see cref="Methods"/>, or "random" for the
    /// model-free control) on <paramref name="n"/> latents drawn from <paramref name="seed"/>: every metric of
    /// <see cref="ExplanationEvaluator"/> against a zero baseline over the latent dimensions, and the cascading
    /// randomisation check on the generator's weight layers, top down. Methods run with their
    /// <see cref="ExplainRequest"/> defaults except kernelshap (512 coalitions), lime (500 samples) and ig (a budget of 512 steps), which
    /// sensitivity re-runs 1 + SensitivitySamples times per sample (see docs/metrics-explanations.md).
    /// </summary>
    public static EvaluationReport Compare(AuditSubject subject, IReadOnlyList<string> methods, string target, int n, long seed,
                                           EvaluationOptions? options = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Count == 0) throw new ArgumentException("--compare: give at least one method, e.g. ig,kernelshap,lime");
        if (n < 1) throw new ArgumentException($"--n must be >= 1, got {n}");
        options ??= new EvaluationOptions { Seed = seed };
        using var scope = NewDisposeScope();
        var z = DrawLatents(subject, n, seed); // (n, d)
        var explained = methods.Select(name =>
        {
            var key = name.Trim().ToLowerInvariant();
            if (key == RandomControl) return ExplanationMethod.RandomControl(seed);
            var request = new ExplainRequest
            {
                Method = key, Target = target, Seed = seed, Batch = options.BatchSize,
                Samples = key switch { "kernelshap" => 512, "lime" => 500, _ => null },
                MaxSteps = key == "ig" ? 512 : null,
            };
            var explain = Build(subject, request, TargetInput.Latent, z);
            return ExplanationMethod.FromResult(key, explain);
        }).ToList();
        var targetFunction = ModelTargets.Create(target, subject, TargetInput.Latent, null);
        var randomisation = subject.Generator is nn.Module module && subject.Generator.IsDifferentiable
            ? new RandomisationSetup(module, LayersTopDown(module)) : null;
        progress?.Report($"evaluating {string.Join(", ", methods)} on {n} latents (seed {seed}), target {target}");
        var evaluator = new ExplanationEvaluator(targetFunction.Evaluate, options);
        using var enable = enable_grad();
        return evaluator.Evaluate(explained, z, Explain.Baseline.Zeros, null, randomisation);
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

    /// <summary>Latents (N, d) or images (N, C, H, W) of the generator's output shape; anything else is a clear error.</summary>
    static TargetInput InputKind(AuditSubject subject, Tensor inputs)
    {
        var latent = subject.Generator.LatentSize;
        var output = subject.Generator.OutputShape;
        if (inputs.dim() == 2 && inputs.shape[1] == latent && inputs.shape[0] >= 1) return TargetInput.Latent;
        if (output.Length == 3 && inputs.dim() == 4 && inputs.shape[0] >= 1 && inputs.shape[1..].SequenceEqual(output)) return TargetInput.Image;
        var images = output.Length == 3 ? $" or images (N, {string.Join(", ", output)})" : "";
        throw new ArgumentException($"--input has shape ({string.Join(", ", inputs.shape)}); this run explains latents (N, {latent}){images}");
    }

    /// <summary>The method bound to the run, target, baseline and mask: inputs (L, ...) → result.</summary>
    static Func<Tensor, AttributionResult> Build(AuditSubject subject, ExplainRequest request, TargetInput kind, Tensor inputs)
    {
        var method = request.Method.Trim().ToLowerInvariant();
        if (!Methods.Contains(method))
            throw new ArgumentException($"--method '{request.Method}' is not one of {string.Join(" | ", Methods)}");
        if (GradientMethods.Contains(method) && kind == TargetInput.Latent && !subject.Generator.IsDifferentiable)
            throw new ArgumentException($"{method} needs a differentiable model; this run is an ONNX black box. Use occlusion, ablation, kernelshap or lime.");
        var target = ModelTargets.Create(request.Target, subject, kind, request.Condition);
        var baseline = ResolveBaseline(subject, request.Baseline, kind, inputs, request.Seed);
        var batch = request.Batch;
        var seed = request.Seed;
        var exampleShape = inputs.shape[1..];
        Func<Tensor, FeatureMask> mask = ResolveMask(request.Mask, kind, exampleShape);
        var patch = PatchSize(request.Mask, kind);

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
                var background = Background(subject, request.Baseline, kind, exampleShape, seed);
                return x => new GradientShap(target, new GradientShapOptions { Samples = request.Samples ?? 50, InternalBatchSize = batch, Seed = seed }).Attribute(x, background);
            }
            case "occlusion":
            {
                long[] window = kind == TargetInput.Latent ? [1] : [exampleShape[0], patch, patch];
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

    static Baseline ResolveBaseline(AuditSubject subject, string spec, TargetInput kind, Tensor inputs, long seed)
    {
        var key = spec.Trim();
        switch (key.ToLowerInvariant())
        {
            case "zeros":
                return Explain.Baseline.Zeros;
            case "mean":
                if (kind == TargetInput.Latent) return Explain.Baseline.Zeros; // the prior N(0, I) has mean 0
                return Explain.Baseline.FromTensor(TrainingImages(subject, 1000, seed).mean([0]), "mean");
            case "blur":
                if (kind == TargetInput.Latent) throw new ArgumentException("--baseline blur blurs images; for latents use zeros, mean or a FILE.npy");
                return Explain.Baseline.Blurred();
            default:
                return Explain.Baseline.FromTensor(ReadBaselineFile(key, inputs.shape[1..]), Path.GetFileName(key));
        }
    }

    static Baseline Background(AuditSubject subject, string spec, TargetInput kind, long[] exampleShape, long seed)
    {
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var set = ReadBaselineFile(spec, exampleShape);
            return Explain.Baseline.Background(set.dim() == exampleShape.Length ? set.unsqueeze(0) : set);
        }
        return Explain.Baseline.Background(kind == TargetInput.Latent
            ? randn([64, exampleShape[0]], generator: new Generator(unchecked((ulong)seed + 1)))
            : TrainingImages(subject, 64, seed + 1));
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

    /// <summary>A seeded, class-stratified sample of up to <paramref name="count"/> training images (folders are sorted by class, so the first N would be one class).</summary>
    static Tensor TrainingImages(AuditSubject subject, int count, long seed)
    {
        var (x, y) = subject.Train.GetBatch(TrainingSample.Stratified(subject.Train.Labels, subject.Train.Count, count, seed));
        y?.Dispose();
        return x.to(ScalarType.Float32); // (n, C, H, W)
    }

    static int PatchSize(string? spec, TargetInput kind) =>
        kind == TargetInput.Image && spec is { } s && s.StartsWith("patch:", StringComparison.OrdinalIgnoreCase) ? ParsePositive(s, "patch:K") : 4;

    static Func<Tensor, FeatureMask> ResolveMask(string? spec, TargetInput kind, long[] exampleShape)
    {
        if (kind == TargetInput.Latent)
        {
            if (spec is null) return _ => FeatureMask.Identity(exampleShape);
            if (!spec.StartsWith("latent:", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--mask '{spec}': latent inputs take latent:K (groups of K dimensions); patch and slic masks are for images");
            var size = ParsePositive(spec, "latent:K");
            return _ => FeatureMask.LatentGroups((int)exampleShape[0], size);
        }
        spec ??= "patch:4";
        if (spec.StartsWith("patch:", StringComparison.OrdinalIgnoreCase))
        {
            var k = ParsePositive(spec, "patch:K");
            return _ => FeatureMask.Patches(exampleShape[0], exampleShape[1], exampleShape[2], k);
        }
        if (spec.StartsWith("slic:", StringComparison.OrdinalIgnoreCase))
        {
            var segments = ParsePositive(spec, "slic:N");
            return x => FeatureMask.Slic(x, segments);
        }
        throw new ArgumentException($"--mask '{spec}' is not one of patch:K | slic:N (images) | latent:K (latents)");
    }

    static int ParsePositive(string spec, string form)
    {
        var text = spec[(spec.IndexOf(':') + 1)..];
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value : throw new ArgumentException($"--mask '{spec}': expected {form} with a whole number >= 1");
    }
}
