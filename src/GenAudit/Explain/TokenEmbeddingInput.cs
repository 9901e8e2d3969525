using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// The embeddings (N, t, E) of a prompt's t tokens, fed to a token language model after its start token: what
/// attributions to prompt tokens are taken over (Integrated Gradients on the embedding layer, as Captum's
/// LayerIntegratedGradients on an LLM's embeddings). Baselines: zeros or the mean embedding of the vocabulary; masks group
/// each token's E values, so perturbation methods remove whole tokens.
/// </summary>
public sealed class TokenEmbeddingInput : IAttributionInput
{
    /// <inheritdoc />
    public TargetInput Kind => TargetInput.TokenEmbeddings;

    /// <summary>The embeddings (1, t, E) of <paramref name="prompt"/> under <paramref name="subject"/>'s language model, detached; an error for a run that is not a token run or an empty prompt.</summary>
    public static Tensor Embed(AuditSubject subject, string prompt)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(prompt);
        var sampler = Sampler(subject, "--prompt");
        var ids = sampler.Vocabulary.Encode(prompt);
        if (ids.Length == 0) throw new ArgumentException("--prompt is empty; give at least one token to explain (or --input latent to explain the state latent)");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return sampler.Model.Embed(tensor(ids, [1, ids.Length], device: sampler.Model.Device)).detach().cpu().MoveToOuterDisposeScope(); // (1, t, E)
    }

    /// <summary>The run's token sampler, or an error saying that <paramref name="what"/> needs a token run.</summary>
    internal static TokenSampler Sampler(AuditSubject subject, string what) =>
        subject.Generator as TokenSampler
        ?? throw new ArgumentException($"{what} applies to token runs (mle, seqgan); this run generates {subject.Output.ToString().ToLowerInvariant()}");

    /// <inheritdoc />
    public bool Accepts(AuditSubject subject, Tensor inputs) =>
        subject.Generator is TokenSampler sampler && inputs.dim() == 3 && inputs.shape[0] >= 1 && inputs.shape[1] >= 1 && inputs.shape[2] == sampler.Model.EmbeddingSize;

    /// <inheritdoc />
    public string? Describe(AuditSubject subject) =>
        subject.Generator is TokenSampler sampler ? $"prompt embeddings (N, t, {sampler.Model.EmbeddingSize}) (--prompt TEXT builds them)" : null;

    /// <inheritdoc />
    public Baseline Baseline(AuditSubject subject, string name, long[] exampleShape, long seed)
    {
        var model = Sampler(subject, "token embeddings").Model;
        return name switch
        {
            "mean" => Explain.Baseline.FromTensor(MeanEmbedding(model).expand(1, exampleShape[0], exampleShape[1]).contiguous(), "mean"),
            "blur" => throw new ArgumentException("--baseline blur blurs images; for prompt tokens use zeros, mean (the vocabulary's mean embedding) or a FILE.npy"),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "the kind-specific baselines are mean and blur"),
        };
    }

    /// <summary>The mean (1, 1, E) of the V token embeddings (the start token left out).</summary>
    static Tensor MeanEmbedding(TokenGenerator model)
    {
        using var noGrad = no_grad();
        var ids = arange(model.VocabularySize, dtype: ScalarType.Int64, device: model.Device).unsqueeze(0); // (1, V)
        return model.Embed(ids).mean([1], keepdim: true).detach().cpu();                                    // (1, 1, E)
    }

    /// <inheritdoc />
    public Tensor Background(AuditSubject subject, long[] exampleShape, long seed)
    {
        // 64 prompts of the same length with tokens drawn uniformly from the vocabulary.
        var model = Sampler(subject, "token embeddings").Model;
        using var noGrad = no_grad();
        var ids = randint(0, model.VocabularySize, [64, exampleShape[0]], generator: new Generator(unchecked((ulong)seed + 1)), dtype: ScalarType.Int64);
        return model.Embed(ids.to(model.Device)).detach().cpu(); // (64, t, E)
    }

    /// <inheritdoc />
    public Func<Tensor, FeatureMask> Mask(string? spec, long[] exampleShape)
    {
        if (spec is not null && !spec.Equals("token", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--mask '{spec}': prompt embeddings are masked by token (--mask token, the default); patch, slic and latent masks are for images and latents");
        return _ =>
        {
            using var scope = NewDisposeScope();
            var groups = arange(exampleShape[0], dtype: ScalarType.Int64).unsqueeze(1).expand(exampleShape[0], exampleShape[1]); // (t, E): token index
            return FeatureMask.FromGroups(groups, name: "token");
        };
    }

    /// <inheritdoc />
    public long[] OcclusionWindow(string? spec, long[] exampleShape) => [1, exampleShape[1]];
}
