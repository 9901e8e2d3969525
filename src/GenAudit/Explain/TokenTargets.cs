using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// The targets of a token language model, scalars of the log-probabilities it assigns:
/// <c>logprob:&lt;text&gt;</c>, log p(text | prompt, z), the log-probability that the model continues the prompt with the
/// tokens of text (one token or several, summed over them); <c>nll</c>, −log p(prompt | z), the prompt's own negative
/// log-likelihood in nats (summed over its tokens). Over <see cref="TargetInput.TokenEmbeddings"/> the prompt's embeddings
/// are the input (a model with a state latent is read at z = 0, the prior mean); over <see cref="TargetInput.Latent"/> the
/// latent's first N dimensions are z and the prompt is fixed (the sampling noise after them does not enter, so its
/// attributions are 0). The targets read the model directly, so gradient methods reach both inputs.
/// </summary>
public sealed class TokenTargets : IOutputTargets
{
    /// <summary>The grammar, for help texts and errors.</summary>
    public const string Grammar = "logprob:<text> | nll";

    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Tokens;

    /// <inheritdoc />
    public AttributionTarget Region(string spec, string? argument, IGenerativeModel generator) =>
        throw new ArgumentException($"{spec}: region targets need image outputs; token runs explain {Grammar}");

    /// <inheritdoc />
    public (string Spec, string Reason) DefaultWithoutClassifier(AuditSubject subject) => ("nll", "the negative log-likelihood of the prompt");

    /// <inheritdoc />
    public bool LatentGradients(AuditSubject subject) => true;

    /// <inheritdoc />
    public AttributionTarget? Create(string spec, AuditSubject subject, TargetInput input, string? prompt)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sampler = TokenEmbeddingInput.Sampler(subject, spec);
        var model = sampler.Model;
        var parts = spec.Trim().Split(':', 2);
        var kind = parts[0].ToLowerInvariant();
        if (kind is not ("logprob" or "nll"))
            throw new ArgumentException($"--target '{spec}': token runs explain {Grammar} (the log-probability of <text> after --prompt, or the prompt's negative log-likelihood)");
        var promptIds = prompt is null ? [] : sampler.Vocabulary.Encode(prompt);
        long[] continuation = [];
        if (kind == "logprob")
        {
            continuation = sampler.Vocabulary.Encode(parts.Length > 1 ? parts[1] : "");
            if (continuation.Length == 0) throw new ArgumentException($"--target '{spec}': give the token(s) whose log-probability to explain, as in logprob:the");
        }
        else if (parts.Length > 1) throw new ArgumentException($"--target '{spec}': nll takes no argument; the scored tokens are --prompt's");
        else if (promptIds.Length == 0) throw new ArgumentException("--target nll scores the prompt: give --prompt TEXT");

        Func<Tensor, Tensor?, Tensor> score = kind == "nll"
            ? (embedded, z) => PromptNegativeLogLikelihood(model, embedded, z, promptIds)
            : (embedded, z) => ContinuationLogProbability(model, embedded, z, continuation);
        switch (input)
        {
            case TargetInput.TokenEmbeddings:
                return AttributionTarget.From(embedded =>
                {
                    if (kind == "nll" && embedded.shape[1] != promptIds.Length)
                        throw new ArgumentException($"--target nll scores the {promptIds.Length} tokens of --prompt but the inputs embed {embedded.shape[1]}");
                    var z = model.StateLatentSize == 0 ? null : zeros([embedded.shape[0], model.StateLatentSize], device: embedded.device); // the prior mean
                    return score(embedded, z);
                }, spec);
            case TargetInput.Latent:
                if (model.StateLatentSize == 0)
                    throw new ArgumentException($"--target {spec} over latents: this token run has no state latent (trained with --latent 0), so its log-probabilities do not depend on the latent; explain the prompt instead (--prompt TEXT)");
                return AttributionTarget.From(latents =>
                {
                    var z = latents.narrow(1, 0, model.StateLatentSize);                                         // (L, N)
                    var ids = tensor(promptIds, [1, promptIds.Length], device: latents.device).expand(latents.shape[0], promptIds.Length);
                    return score(model.Embed(ids), z);
                }, spec);
            default:
                throw new ArgumentException($"--target {spec} explains a token run's prompt (--prompt TEXT) or its latent (--input latent), not images");
        }
    }

    /// <summary>
    /// log p(c | prompt, z) = Σⱼ log p(cⱼ | prompt, c&lt;ⱼ, z) of the continuation <paramref name="continuation"/> (k ids) after
    /// embedded prompts (L, t, E), t ≥ 0: the model reads the start token, the prompt and c₁..c_{k−1}. Returns (L,).
    /// </summary>
    public static Tensor ContinuationLogProbability(TokenGenerator model, Tensor prompt, Tensor? latent, long[] continuation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        long rows = prompt.shape[0], t = prompt.shape[1], k = continuation.Length;
        var device = prompt.device;
        var start = model.Embed(full([rows, 1], model.StartToken, ScalarType.Int64, device: device)); // (L, 1, E)
        var pieces = new List<Tensor> { start, prompt.to_type(start.dtype) };
        if (k > 1) pieces.Add(model.Embed(tensor(continuation[..^1], [1, k - 1], device: device).expand(rows, k - 1))); // (L, k − 1, E)
        var logProbabilities = model.LogitsOfInputs(cat(pieces, 1), latent).narrow(1, t, k).log_softmax(2);           // (L, k, V)
        var ids = tensor(continuation, [1, k, 1], device: device).expand(rows, k, 1);
        return logProbabilities.gather(2, ids).squeeze(2).sum(1);                                                      // (L,)
    }

    /// <summary>
    /// −log p(x | z) = −Σⱼ log p(xⱼ | x&lt;ⱼ, z) of the prompt's ids <paramref name="ids"/> (t) read through their embeddings (L, t, E):
    /// the start token and embeddings 1..t−1 predict ids 1..t (the last embedding feeds no prediction). Returns (L,).
    /// </summary>
    public static Tensor PromptNegativeLogLikelihood(TokenGenerator model, Tensor prompt, Tensor? latent, long[] ids)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        long rows = prompt.shape[0], t = ids.Length;
        var device = prompt.device;
        var start = model.Embed(full([rows, 1], model.StartToken, ScalarType.Int64, device: device));                 // (L, 1, E)
        var inputs = cat([start, prompt.to_type(start.dtype).narrow(1, 0, t - 1)], 1);                               // (L, t, E)
        var logProbabilities = model.LogitsOfInputs(inputs, latent).log_softmax(2);                                  // (L, t, V)
        var targets = tensor(ids, [1, t, 1], device: device).expand(rows, t, 1);
        return -logProbabilities.gather(2, targets).squeeze(2).sum(1);                                               // (L,)
    }
}
