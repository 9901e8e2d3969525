using System.ComponentModel;
using System.Globalization;
using GenAudit.Application;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Explain;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Runs;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit latents: latent directions with traversal grids, latent-to-pixel influence, activations and Grad-CAM of a run.</summary>
public sealed class LatentsCommand(IAnsiConsole console, ProgressOptions progressOptions) : VerbCommand<LatentsCommand.Settings>
{
    /// <summary>Options of <c>genaudit latents</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory (a built-in GAN or VAE, trained or imported from PyTorch).",
            Seed = "Seed of every latent draw. Default: 0.",
            Count = new("Latent samples for GANSpace, top-activating samples and Grad-CAM (also accepted as --n). Default: 1000.", Minimum: 2, Default: 1000),
            Out = new("Output folder. Default: latents.", Folder: true),
        };

        /// <summary>Direction method.</summary>
        [CommandOption("--method <METHOD>")]
        [Description("ganspace (PCA of a generator layer, Härkönen et al. 2020) or sefa (eigenvectors of WᵀW of the first layer, Shen and Zhou 2021). Default: sefa.")]
        public string Method { get; init; } = "sefa";

        /// <summary>Number of directions.</summary>
        [CommandOption("-k|--directions <K>")]
        [Description("Directions to find (also accepted as -k). Default: 8.")]
        public int K { get; init; } = 8;

        /// <summary>Traversal strengths.</summary>
        [CommandOption("--strengths <LIST>")]
        [Description("Comma-separated traversal strengths in latent units; write --strengths=-3,-1.5,0,1.5,3 when the list starts with a minus. Default: -3,-1.5,0,1.5,3.")]
        [TypeConverter(typeof(Numbers))]
        public IReadOnlyList<double> Strengths { get; init; } = LatentsRunner.DefaultStrengths;

        /// <summary>GANSpace layer.</summary>
        [CommandOption("--layer <NAME>")]
        [Description("Generator layer GANSpace analyses, by state-dict name (net.2, decoder.1). Default: the first ReLU or SiLU after the Linear reading z.")]
        public string? Layer { get; init; }

        /// <summary>Influence sample count.</summary>
        [CommandOption("--influence-n <N>")]
        [Description("Latent samples the influence heatmaps average over; 0 skips them. Default: 16.")]
        public int InfluenceN { get; init; } = 16;

        /// <summary>Activation layer.</summary>
        [CommandOption("--activations <LAYER>")]
        [Description("Also draw feature maps and top-activating samples of a generator (net.N, decoder.N) or discriminator (body.N) layer.")]
        public string? ActivationLayer { get; init; }

        /// <summary>Units and samples per unit.</summary>
        [CommandOption("--top <K>")]
        [Description("Units shown by --activations, and samples per unit. Default: 8.")]
        public int Top { get; init; } = 8;

        /// <summary>Grad-CAM target.</summary>
        [CommandOption("--gradcam <TARGET>")]
        [Description("Also draw Grad-CAM over 16 generated images: disc (the discriminator's last conv layer) or class:<c> (the feature classifier's last conv layer).")]
        public string? GradCamTarget { get; init; }

        /// <summary>Output folder.</summary>
        public string OutFolder => Out ?? "latents";

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (Method is not ("ganspace" or "sefa")) return ValidationResult.Error($"--method must be ganspace or sefa, got '{Method}'");
            if (K < 1) return ValidationResult.Error($"--k must be at least 1, got {K}");
            if (InfluenceN < 0) return ValidationResult.Error($"--influence-n must be 0 or more, got {InfluenceN}");
            if (Top < 1) return ValidationResult.Error($"--top must be at least 1, got {Top}");
            if (GradCamTarget is { } g && g != "disc" && !g.StartsWith("class:", StringComparison.Ordinal))
                return ValidationResult.Error($"--gradcam must be disc or class:<c>, got '{g}'");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(console);
        using var subject = AuditSubject.Open(settings.Run!, progress);
        var (count, seed, folder) = (settings.CountOrDefault, settings.SeedOrDefault, settings.OutFolder);
        Directory.CreateDirectory(folder);
        string Output(string name) => Path.Combine(folder, name);
        var strengths = settings.Strengths.ToArray();
        var layers = GeneratorLayers.Of(subject.Generator);
        var layer = settings.Method == "ganspace" ? settings.Layer ?? layers.DefaultLayer : null;
        if (layer is not null) layers.ChildName(layer);
        // Check the optional pictures' options before the long computations, so a typo fails fast.
        if (settings.ActivationLayer is { } requested) ActivationPictures.Resolve(subject, layers, requested);
        if (settings.GradCamTarget is { } requestedTarget) GradCamPictures.Resolve(subject, requestedTarget);

        var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["run"] = Path.GetFullPath(settings.Run!),
            ["checkpointStep"] = subject.Run.Step,
            ["method"] = settings.Method,
            ["layer"] = layer,
            ["seed"] = seed,
            ["samples"] = settings.Method == "ganspace" ? count : null,
            ["strengths"] = strengths,
            ["latentSize"] = subject.Generator.LatentSize,
        };
        var files = new List<string>();
        // Steps: directions, traversals, the spectrum, one per influence sample, then the optional pictures.
        var total = 3 + settings.InfluenceN + (settings.ActivationLayer is null ? 0 : 1) + (settings.GradCamTarget is null ? 0 : 1);
        using var directions = StepProgress.Run(console, progressOptions, $"latents {settings.Method}", steps =>
        {
            var counter = new StepCounter(steps, total);

            var found = LatentsRunner.Directions(subject, settings.Method, settings.K, count, seed, layer);
            try
            {
                Npy.Write(Output("directions.npy"), found.Directions);
                files.Add("directions.npy");
                counter.Finished("directions");
                var traversal = $"traversal-{settings.Method}.png";
                LatentsRunner.WriteTraversals(subject, found, strengths, Output(traversal), seed);
                files.Add(traversal);
                counter.Finished("traversals");
                var spectrum = $"spectrum-{settings.Method}.png";
                LatentCharts.SaveBars(found.ExplainedRatio, $"{settings.Method}: share carried by each direction", "direction (0-based)", "explained ratio", Output(spectrum));
                files.Add(spectrum);
                counter.Finished("spectrum");
                if (settings.InfluenceN > 0)
                {
                    var norms = counter.Part("", settings.InfluenceN, perSample => LatentsRunner.WriteInfluence(subject, settings.InfluenceN, seed, Output("influence.png"), perSample));
                    document["influence"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["samples"] = settings.InfluenceN, ["columnNorms"] = norms };
                    files.Add("influence.png");
                }
                if (settings.ActivationLayer is { } activationLayer)
                {
                    document["activations"] = ActivationPictures.Write(subject, layers, activationLayer, count, settings.Top, seed, Output, files);
                    counter.Finished("activations");
                }
                if (settings.GradCamTarget is { } target)
                {
                    document["gradcam"] = GradCamPictures.Write(subject, target, seed, Output, files);
                    counter.Finished("Grad-CAM");
                }
                return found;
            }
            catch
            {
                found.Dispose();
                throw;
            }
        });
        document["directions"] = Enumerable.Range(0, directions.Strengths.Length).Select(i => new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["index"] = i,
            ["strength"] = directions.Strengths[i],
            ["explainedRatio"] = directions.ExplainedRatio[i],
            ["vector"] = directions.Directions[i].data<float>().ToArray(),
        }).ToList();
        document["strengthKind"] = settings.Method == "sefa" ? "eigenvalue of WᵀW" : "variance of the activation's principal component";
        files.Add("latents.json");
        document["files"] = files;
        Core.Json.WriteFile(Output("latents.json"), document);

        var table = new Table().Title($"{settings.Method} directions of {settings.Run} (step {subject.Run.Step})").AddColumns("direction", "strength", "explained ratio");
        for (int i = 0; i < directions.Strengths.Length; i++)
            table.AddRow(i.ToString(CultureInfo.InvariantCulture), MetricTable.Format(directions.Strengths[i]), MetricTable.Format(directions.ExplainedRatio[i]));
        console.Write(table);
        console.MarkupLineInterpolated($"Wrote {string.Join(", ", files)} to [bold]{folder}[/]");
        return ExitCode.Ok;
    }
}

/// <summary>Feature maps and top-activating samples of one generator or discriminator layer.</summary>
static class ActivationPictures
{
    const int MapSamples = 4;

    /// <summary>The activation function (latents → activation) of a generator (net.N, decoder.N) or discriminator (body.N) layer.</summary>
    public static Func<Tensor, Tensor> Resolve(AuditSubject subject, GeneratorLayers layers, string layer)
    {
        if (subject.Generator.OutputShape.Length != 3) throw new ArgumentException("--activations draws images: it needs an image generator");
        if (!layer.StartsWith("body.", StringComparison.Ordinal))
        {
            layers.ChildName(layer);
            return z => layers.Activation(layer, z);
        }
        var discriminator = subject.Run.Discriminator ?? throw new ArgumentException($"--activations {layer}: this run has no discriminator");
        var body = (nn.Module<Tensor, Tensor>)discriminator.named_children().First(c => c.name == "body").module;
        var name = layer["body.".Length..];
        if (!body.named_children().Any(c => c.name == name))
            throw new ArgumentException($"--activations '{layer}': the discriminator's layers are {string.Join(", ", Activations.Describe(body, "body"))}");
        return z => Activations.RunTo(body, name, subject.Generator.Generate(z, layers.Labels(z.shape[0], subject.Generator.Device)));
    }

    public static object Write(AuditSubject subject, GeneratorLayers layers, string layer, int n, int top, long seed, Func<string, string> output, List<string> files)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var activation = Resolve(subject, layers, layer);
        using var random = new Generator(unchecked((ulong)seed));
        var z = randn([n, subject.Generator.LatentSize], generator: random); // (n, d)
        var topSamples = Activations.TopSamples(activation, z, top, top);
        var stem = "activations-" + layer.Replace('.', '-');

        var first = activation(z.narrow(0, 0, MapSamples)).cpu(); // (S, C, h, w) or (S, F)
        var units = tensor(topSamples.Units.Select(u => (long)u).ToArray());
        if (first.dim() == 4)
        {
            var maps = first.index_select(1, units); // (S, U, h, w)
            var h = maps.shape[2];
            var grid = LatentCharts.NormaliseEach(maps.flatten(0, 1));
            ImageGrid.Save(grid, topSamples.Units.Length, output(stem + ".png"), scale: (int)Math.Max(1, 84 / h));
            files.Add(stem + ".png");
        }
        var chosen = tensor(topSamples.SampleIndices.SelectMany(s => s).ToArray());
        var images = subject.Generator.Generate(z.index_select(0, chosen), layers.Labels(z.shape[0], subject.Generator.Device)?.index_select(0, chosen)).cpu();
        ImageGrid.Save(images, topSamples.SampleIndices[0].Length, output(stem + "-top.png"));
        files.Add(stem + "-top.png");
        return new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["layer"] = layer,
            ["samples"] = n,
            ["featureMapSamples"] = first.dim() == 4 ? MapSamples : 0,
            ["units"] = topSamples.Units.Select((u, i) => new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["unit"] = u,
                ["meanActivation"] = topSamples.MeanActivation[i],
                ["topSamples"] = topSamples.SampleIndices[i],
                ["topValues"] = topSamples.Values[i],
            }).ToList(),
        };
    }
}

/// <summary>Grad-CAM overlays on generated images, for the discriminator or a class of the feature classifier.</summary>
static class GradCamPictures
{
    const int Count = 16;

    /// <summary>The layer name, its conv module and the score (images, labels) → (B,) of a Grad-CAM target.</summary>
    public static (string Layer, nn.Module<Tensor, Tensor> Conv, Func<Tensor, Tensor?, Tensor> Score) Resolve(AuditSubject subject, string target)
    {
        if (subject.Generator.OutputShape.Length != 3) throw new ArgumentException("--gradcam needs an image generator");
        if (target == "disc")
        {
            var discriminator = subject.Run.Discriminator ?? throw new ArgumentException("--gradcam disc: this run has no discriminator (VAEs have none)");
            var (name, conv) = GradCam.LastConv(discriminator.named_children().First(c => c.name == "body").module);
            return ("body." + name, conv, (x, labels) => discriminator.call(x, labels));
        }
        var classifier = subject.Classifier?.Classifier ?? throw new ArgumentException($"--gradcam {target}: class targets need the feature classifier, which exists for labelled image data only");
        var text = target["class:".Length..];
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) || c < 0 || c >= classifier.ClassCount)
            throw new ArgumentException($"--gradcam {target}: the class must be in 0..{classifier.ClassCount - 1}");
        var (layer, module) = GradCam.LastConv(classifier);
        return (layer, module, (x, _) => classifier.Logits(x).select(1, c));
    }

    public static object Write(AuditSubject subject, string target, long seed, Func<string, string> output, List<string> files)
    {
        var model = subject.Generator;
        using var scope = NewDisposeScope();
        using var random = new Generator(unchecked((ulong)seed));
        var z = randn([Count, model.LatentSize], generator: random);
        var labels = model.ConditionCount > 0 ? arange(Count, dtype: ScalarType.Int64).remainder(model.ConditionCount).to(model.Device) : null;
        Tensor images;
        using (no_grad()) images = model.Generate(z, labels);
        var (layerName, conv, score) = Resolve(subject, target);
        using (var result = GradCam.Compute(x => score(x, labels), conv, images))
        {
            var overlays = LatentCharts.Overlay(images.cpu(), result.Upsampled.cpu()); // (B, 3, H, W)
            var gray = images.cpu().expand(-1, 3, -1, -1);
            var pairs = stack([gray, overlays], 1).flatten(0, 1); // image, overlay, image, overlay, ...
            var file = "gradcam-" + target.Replace(':', '-') + ".png";
            ImageGrid.Save(pairs, 8, output(file));
            files.Add(file);
            return new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["target"] = target,
                ["layer"] = layerName,
                ["samples"] = Count,
                ["scores"] = result.Scores.cpu().to(ScalarType.Float64).data<double>().ToArray(),
            };
        }
    }
}
