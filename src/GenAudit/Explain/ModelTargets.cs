using System.Globalization;
using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>What an attribution explains: the generator's latent vector, an image fed to a network, or a prompt's token embeddings.</summary>
public enum TargetInput
{
    /// <summary>Inputs are latents z (B, d); the target is computed on G(z).</summary>
    Latent,
    /// <summary>Inputs are images (B, C, H, W) fed to the discriminator, the classifier or the VAE.</summary>
    Image,
    /// <summary>Inputs are the embeddings (B, t, E) of a prompt's tokens fed to a token language model (<see cref="TokenEmbeddingInput"/>).</summary>
    TokenEmbeddings,
}

/// <summary>
/// Binds a target specification to a run's networks. Specifications:
/// <c>class:&lt;c&gt;</c> (the feature classifier's logit for class c),
/// <c>disc</c> (the discriminator's score),
/// <c>output:&lt;i&gt;</c> (element i of the flattened output; for 2D generators 0 = x, 1 = y),
/// <c>region:&lt;x0&gt;,&lt;y0&gt;,&lt;x1&gt;,&lt;y1&gt;</c> (mean intensity of a half-open box of the output),
/// <c>recon</c> (the VAE's squared reconstruction error of an input image);
/// token runs have their own, <c>logprob:&lt;text&gt;</c> and <c>nll</c> (<see cref="TokenTargets"/>).
/// A conditional model is explained under one condition per call, broadcast to every batch the
/// attribution method evaluates.
/// </summary>
public static class ModelTargets
{
    /// <summary>The grammar, for help texts and errors.</summary>
    public const string Grammar = "class:<c> | disc | output:<i> | region:<x0>,<y0>,<x1>,<y1> | recon; token runs: " + TokenTargets.Grammar;

    /// <summary>Builds the scalar-per-example target for <paramref name="spec"/>; <paramref name="prompt"/> is the text a token run continues (<c>--prompt</c>).</summary>
    public static AttributionTarget Create(string spec, AuditSubject subject, TargetInput input, int? condition = null, string? prompt = null)
    {
        if (OutputTargets.Find(subject.Output)?.Create(spec, subject, input, prompt) is { } own) return own;
        if (prompt is not null) throw new ArgumentException($"--prompt applies to token runs (mle, seqgan); this run generates {subject.Output.ToString().ToLowerInvariant()}");
        var generator = subject.Generator;
        int? conditionValue = generator.ConditionCount > 0 ? condition ?? 0 : null;
        if (condition is { } c && (generator.ConditionCount == 0 || c < 0 || c >= generator.ConditionCount))
            throw new ArgumentException(generator.ConditionCount == 0 ? "--condition: this model is unconditional" : $"--condition must be in 0..{generator.ConditionCount - 1}, got {c}");
        Tensor? Labels(Tensor batch) => conditionValue is { } value ? torch.full([batch.shape[0]], value, ScalarType.Int64, device: batch.device) : null;

        var parts = spec.Trim().Split(':', 2);
        var kind = parts[0].ToLowerInvariant();
        var argument = parts.Length > 1 ? parts[1] : null;

        if (input == TargetInput.Latent && !generator.IsDifferentiable && kind is "disc")
            throw new ArgumentException("disc: this run has no discriminator (an imported black box)");

        // The function producing the generator-side output for latents, or the VAE reconstruction for images.
        Func<Tensor, Tensor> Output() => input switch
        {
            TargetInput.Latent => z => generator.Generate(z, Labels(z)),
            _ => subject.Generator is Vae vae
                ? x => vae.call(x, Labels(x))
                : throw new ArgumentException($"{spec}: on input images, output and region targets read the VAE's reconstruction; this run is not a VAE"),
        };

        switch (kind)
        {
            case "class":
            {
                var logits = subject.Logits ?? throw new ArgumentException($"{spec}: class targets need the feature classifier, which exists for labelled image data only");
                int k = ParseInt(argument, spec, "class index");
                int classes = subject.Classifier!.Classifier.ClassCount;
                if (k < 0 || k >= classes) throw new ArgumentException($"{spec}: class must be in 0..{classes - 1}");
                Func<Tensor, Tensor> images = input == TargetInput.Latent ? Output() : x => x;
                return AttributionTarget.From(x => logits(images(x)).select(1, k), spec);
            }
            case "disc":
            {
                var discriminator = subject.Run.Discriminator ?? throw new ArgumentException($"{spec}: this run has no discriminator (VAEs and imported generators have none)");
                Func<Tensor, Tensor> images = input == TargetInput.Latent ? Output() : x => x;
                return AttributionTarget.From(x => discriminator.call(images(x), Labels(x)), spec);
            }
            case "output":
            {
                long index = ParseInt(argument, spec, "element index");
                long size = generator.OutputShape.Aggregate(1L, (a, b) => a * b);
                if (index < 0 || index >= size) throw new ArgumentException($"{spec}: the output has {size} elements");
                return AttributionTarget.Compose(Output(), AttributionTarget.Output(index));
            }
            case "region":
            {
                return AttributionTarget.Compose(Output(), OutputTargets.For(subject.Output).Region(spec, argument, generator));
            }
            case "recon":
            {
                if (input != TargetInput.Image) throw new ArgumentException($"{spec}: the reconstruction target explains input images (--input FILE.npy of images)");
                if (subject.Generator is not Vae vae) throw new ArgumentException($"{spec}: reconstruction targets need a VAE run");
                return AttributionTarget.From(x => (vae.call(x, Labels(x)) - x).pow(2).flatten(1).sum(1), spec);
            }
            default:
                throw new ArgumentException($"--target '{spec}' is not one of {Grammar}");
        }
    }

    static int ParseInt(string? text, string spec, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{spec}: expected a {what} after ':', as in {Grammar}");
}
