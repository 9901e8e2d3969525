using GenAudit.Core;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Application;

/// <summary>
/// The layers of a built-in generator as <see cref="Activations"/> addresses them: the Sequential
/// (GAN <c>net</c>, VAE <c>decoder</c>) and how z (and the condition) become its input.
/// </summary>
public sealed class GeneratorLayers
{
    readonly Func<Tensor, Tensor?, Tensor> input;

    GeneratorLayers(IGenerativeModel model, string prefix, nn.Module<Tensor, Tensor> sequential, Func<Tensor, Tensor?, Tensor> input)
    {
        Model = model;
        Prefix = prefix;
        Sequential = sequential;
        this.input = input;
    }

    /// <summary>The generator.</summary>
    public IGenerativeModel Model { get; }

    /// <summary>State-dict prefix of the Sequential: "net" (GAN) or "decoder" (VAE).</summary>
    public string Prefix { get; }

    /// <summary>The Sequential that maps the (z [+ condition]) input to the flattened output.</summary>
    public nn.Module<Tensor, Tensor> Sequential { get; }

    /// <summary>Resolves a built-in GAN generator, VAE or other <see cref="ISequentialGenerator"/>; imported ONNX generators have no layers to read.</summary>
    public static GeneratorLayers Of(IGenerativeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not nn.Module module)
            throw new ArgumentException("latent directions and activations read the generator's layers; an imported ONNX generator is a black box (import its PyTorch weights into a built-in architecture instead)");
        var children = module.named_children().ToDictionary(c => c.name, c => c.module);
        int classes = model.ConditionCount;
        return model switch
        {
            GanGenerator => new GeneratorLayers(model, "net", (nn.Module<Tensor, Tensor>)children["net"], (z, c) =>
                children.TryGetValue("embed", out var embed) ? cat([z, ((nn.Module<Tensor, Tensor>)embed).call(c!)], 1) : z),
            Vae => new GeneratorLayers(model, "decoder", (nn.Module<Tensor, Tensor>)children["decoder"], (z, c) =>
                classes > 0 ? cat([z, nn.functional.one_hot(c!, classes).to(z.dtype)], 1) : z),
            ISequentialGenerator sequential => new GeneratorLayers(model, sequential.SequentialName, sequential.Sequential, sequential.SequentialInput),
            _ => throw new ArgumentException($"latent directions need a built-in GAN generator or VAE, not {model.GetType().Name}"),
        };
    }

    /// <summary>Labels for a batch of a conditional model (example i gets class i mod classes); null when unconditional.</summary>
    public Tensor? Labels(long count, Device device) =>
        Model.ConditionCount > 0 ? arange(count, dtype: ScalarType.Int64, device: device).remainder(Model.ConditionCount) : null;

    /// <summary>The input of <see cref="Sequential"/> for latents z (B, d) with <see cref="Labels"/>.</summary>
    public Tensor Input(Tensor z) => input(z.to(Model.Device), Labels(z.shape[0], Model.Device));

    /// <summary>The activation (B, ...) of layer <paramref name="layer"/> ("net.2" or "2") for latents z (B, d).</summary>
    public Tensor Activation(string layer, Tensor z) => Activations.RunTo(Sequential, ChildName(layer), Input(z));

    /// <summary>The child name of a layer address, checking the prefix.</summary>
    public string ChildName(string layer)
    {
        var name = layer.StartsWith(Prefix + ".", StringComparison.Ordinal) ? layer[(Prefix.Length + 1)..] : layer;
        if (!Sequential.named_children().Any(c => c.name == name))
            throw new ArgumentException($"--layer '{layer}': the generator's layers are {string.Join(", ", Activations.Describe(Sequential, Prefix))}");
        return name;
    }

    /// <summary>GANSpace's default layer: the first hidden activation (ReLU or SiLU) after the Linear (and batch norm) that reads z.</summary>
    public string DefaultLayer =>
        Prefix + "." + (Sequential.named_children().FirstOrDefault(c => c.module is TorchSharp.Modules.ReLU or TorchSharp.Modules.SiLU).name
                        ?? throw new ArgumentException("the generator has no ReLU or SiLU layer; pass --layer"));

    /// <summary>The weight columns of the first Linear that act on z (out, d): for conditional models the embedding or one-hot columns are dropped.</summary>
    public Tensor FirstLayerLatentWeight()
    {
        var first = Sequential.named_children().First().module as TorchSharp.Modules.Linear
            ?? throw new ArgumentException($"SeFa needs a Linear first layer reading z; this generator starts with {Sequential.named_children().First().module.GetType().Name}");
        return first.weight!.detach()[.., ..Model.LatentSize]; // (out, d)
    }
}

/// <summary>
/// The library entry point of <c>genaudit latents</c>: latent directions (GANSpace, SeFa),
/// traversal grids and latent-to-pixel influence of a run, as the audit calls them.
/// </summary>
public static class LatentsRunner
{
    /// <summary>Default traversal strengths, in latent standard deviations.</summary>
    public static readonly double[] DefaultStrengths = [-3, -1.5, 0, 1.5, 3];

    /// <summary>Base samples per direction in a traversal grid.</summary>
    public const int TraversalBases = 3;

    /// <summary>
    /// The top <paramref name="k"/> directions by <paramref name="method"/>: "ganspace" (PCA of the
    /// activation at <paramref name="layer"/>, default the first hidden ReLU, over
    /// <paramref name="n"/> latents drawn with <paramref name="seed"/>) or "sefa" (eigenvectors of WᵀW
    /// for the z columns of the first Linear; <paramref name="n"/> and <paramref name="seed"/> unused).
    /// </summary>
    public static LatentDirections Directions(AuditSubject subject, string method, int k, int n, long seed, string? layer = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (k < 1) throw new ArgumentException($"--k must be at least 1, got {k}");
        var layers = GeneratorLayers.Of(subject.Generator);
        switch (method.ToLowerInvariant())
        {
            case "sefa":
                using (var weight = layers.FirstLayerLatentWeight().cpu()) return SeFa.Compute(weight, k);
            case "ganspace":
                if (n < 2) throw new ArgumentException($"--n must be at least 2 for GANSpace, got {n}");
                var name = layer ?? layers.DefaultLayer;
                layers.ChildName(name);
                using (var generator = new Generator(unchecked((ulong)seed)))
                    return GanSpace.Compute(z => layers.Activation(name, z), subject.Generator.LatentSize,
                        new GanSpaceOptions { Samples = n, Components = k, Seed = seed }, generator);
            default:
                throw new ArgumentException($"--method must be ganspace or sefa, got '{method}'");
        }
    }

    /// <summary>
    /// Writes the traversal picture of <paramref name="directions"/>: for image generators a grid
    /// with one row per direction and, for each of <see cref="TraversalBases"/> base latents drawn
    /// with <paramref name="seed"/>, one column per strength (grey gaps between base samples);
    /// for 2D generators the traversal paths over the real data.
    /// </summary>
    public static void WriteTraversals(AuditSubject subject, LatentDirections directions, double[] strengths, string pngPath, long seed)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(directions);
        if (strengths is null || strengths.Length == 0) throw new ArgumentException("--strengths needs at least one value");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var model = subject.Generator;
        using var random = new Generator(unchecked((ulong)seed));
        var bases = randn([TraversalBases, model.LatentSize], generator: random); // (B, d)
        var k = directions.Directions.shape[0];
        var s = strengths.Length;
        var outputs = new Tensor[TraversalBases]; // each (K·S, ...)
        for (int b = 0; b < TraversalBases; b++)
        {
            var batch = LatentTraversal.Build(bases[b], directions.Directions.cpu(), strengths); // (K·S, d)
            Tensor? labels = model.ConditionCount > 0 ? full([batch.shape[0]], b % model.ConditionCount, ScalarType.Int64) : null;
            outputs[b] = model.Generate(batch, labels).cpu();
        }
        if (model.OutputShape.Length == 3)
        {
            long[] shape = model.OutputShape;
            var spacer = full([1, 1, .. shape], 0.5f); // mid-grey, the grid's background
            var cells = new List<Tensor>();
            for (long row = 0; row < k; row++)
                for (int b = 0; b < TraversalBases; b++)
                {
                    if (b > 0) cells.Add(spacer);
                    cells.Add(outputs[b].narrow(0, row * s, s).view([1, s, .. shape]));
                }
            var grid = cat(cells, 1).view([-1, .. shape]); // (K·(B·S + B − 1), C, H, W)
            ImageGrid.Save(grid, TraversalBases * s + TraversalBases - 1, pngPath);
            return;
        }
        var paths = new List<(string, double[], double[])>();
        for (long row = 0; row < k; row++)
            for (int b = 0; b < TraversalBases; b++)
            {
                var points = outputs[b].narrow(0, row * s, s).to(ScalarType.Float64).contiguous();
                paths.Add(($"direction {row + 1}", points[.., 0].data<double>().ToArray(), points[.., 1].data<double>().ToArray()));
            }
        LatentCharts.SaveTraversalPaths(RealPoints(subject, 2000), paths,
            $"{directions.Method} traversals, strengths {string.Join(", ", strengths)}", pngPath);
    }

    /// <summary>
    /// Writes latent-to-pixel influence: for each latent dimension j, ‖∂G(z)/∂z_j‖ per output
    /// element, averaged over <paramref name="n"/> latents drawn with <paramref name="seed"/> (exact
    /// Jacobian columns). Image generators get one heatmap per dimension (common colour scale,
    /// channels averaged); 2D generators a bar chart of the column norms. Returns the mean column
    /// norm ‖∂G/∂z_j‖₂ of each dimension (d). <paramref name="progress"/> hears of each sample's Jacobian.
    /// </summary>
    public static double[] WriteInfluence(AuditSubject subject, int n, long seed, string pngPath, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (n < 1) throw new ArgumentException($"influence needs at least one sample, got {n}");
        var model = subject.Generator;
        if (!model.IsDifferentiable) throw new ArgumentException("latent-to-pixel influence needs a differentiable generator (an imported ONNX model is a black box)");
        using var scope = NewDisposeScope();
        using var random = new Generator(unchecked((ulong)seed));
        var z = randn([n, model.LatentSize], generator: random); // (n, d)
        Tensor? heatmapSum = null, normSum = null;
        for (int b = 0; b < n; b++)
        {
            // One example per call, so every Jacobian column of a conditional model sees that example's class (b mod classes).
            Tensor? Labels(Tensor copies) => model.ConditionCount > 0 ? full([copies.shape[0]], b % model.ConditionCount, ScalarType.Int64, device: copies.device) : null;
            using var result = new LatentInfluence(copies => model.Generate(copies, Labels(copies))).Compute(z.narrow(0, b, 1));
            heatmapSum = heatmapSum is null ? result.Heatmaps[0].cpu().clone() : heatmapSum + result.Heatmaps[0].cpu(); // (d, ...output)
            normSum = normSum is null ? result.ColumnNorms[0].cpu().to(ScalarType.Float64) : normSum + result.ColumnNorms[0].cpu().to(ScalarType.Float64); // (d,)
            progress?.Report(new WorkProgress("influence", b + 1, n));
        }
        var norms = (normSum! / n).data<double>().ToArray(); // (d,)
        if (model.OutputShape.Length == 3)
        {
            var maps = (heatmapSum! / n).mean([1]); // (d, H, W), channels averaged
            LatentCharts.SaveHeatmaps(maps, (int)Math.Ceiling(Math.Sqrt(model.LatentSize)), pngPath);
        }
        else
            LatentCharts.SaveBars(norms, $"latent-to-output influence (mean over {n} samples)", "latent dimension (0-based)", "‖∂G/∂z_j‖₂", pngPath);
        return norms;
    }

    static double[,] RealPoints(AuditSubject subject, int count)
    {
        using var scope = NewDisposeScope();
        var m = (int)Math.Min(count, subject.Train.Count);
        var (x, _) = subject.Train.GetBatch(Enumerable.Range(0, m).Select(i => (long)i).ToArray());
        var values = x.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var points = new double[m, 2];
        for (int i = 0; i < m; i++) { points[i, 0] = values[2 * i]; points[i, 1] = values[2 * i + 1]; }
        return points;
    }
}
