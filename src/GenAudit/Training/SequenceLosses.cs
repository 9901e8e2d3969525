using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>The objectives of token-sequence models, as pure functions of tensors.</summary>
public static class SequenceLosses
{
    /// <summary>
    /// Teacher-forced negative log-likelihood in nats per token: −mean over (b, t) of log p(x_bt | x_b,&lt;t),
    /// from <paramref name="logProbabilities"/> (B, T) of the tokens that occurred.
    /// </summary>
    public static Tensor NegativeLogLikelihood(Tensor logProbabilities) => -logProbabilities.mean();

    /// <summary>
    /// SeqGAN's policy-gradient (REINFORCE) loss, −(1/B) Σ_b Σ_t Q_bt · log G(x_bt | x_b,&lt;t) (Yu et al. 2017, eq. 7;
    /// SeqGAN's code sums over the batch as well, which only rescales the step). <paramref name="rewards"/> (B, T)
    /// is treated as a constant; its gradient with respect to the logits z_bt is (Q_bt / B)(softmax(z_bt) − onehot(x_bt)).
    /// </summary>
    public static Tensor PolicyGradient(Tensor logProbabilities, Tensor rewards)
    {
        if (!logProbabilities.shape.SequenceEqual(rewards.shape) || logProbabilities.dim() != 2)
            throw new ArgumentException($"log-probabilities ({string.Join(", ", logProbabilities.shape)}) and rewards ({string.Join(", ", rewards.shape)}) must both be (B, T)");
        return -(logProbabilities * rewards.detach()).sum() / logProbabilities.shape[0];
    }

    /// <summary>
    /// Completes every prefix <paramref name="count"/> times: prefixes (B, t) → (count · B, T), roll-out r of
    /// sequence b in row r·B + b. All roll-outs are drawn in one batch from <paramref name="generator"/>, each under
    /// its sequence's state latent (B, N) when the model has one.
    /// </summary>
    public static Tensor RollOut(TokenGenerator rollout, Tensor prefixes, int count, Generator generator, Tensor? latent = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"at least one roll-out is needed, not {count}");
        return rollout.Complete(prefixes.repeat(count, 1), generator, latent: latent?.repeat(count, 1)); // (count·B, T)
    }

    /// <summary>
    /// SeqGAN's token rewards (Yu et al. 2017, eq. 4): for t &lt; T, Q_bt is the mean over <paramref name="rollouts"/>
    /// roll-outs of σ(D(completion of x_b,≤t)); for t = T it is σ(D(x_b)). Sequences (B, T) → rewards (B, T) in [0, 1],
    /// no gradient. <paramref name="randomFor"/> gives the generator for prefix length t (1 ≤ t &lt; T).
    /// </summary>
    public static Tensor MonteCarloRewards(TokenGenerator rollout, nn.Module<Tensor, Tensor> discriminator, Tensor sequences, int rollouts, Func<int, Generator> randomFor, Tensor? latent = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long batch = sequences.shape[0];
        int length = (int)sequences.shape[1];
        var columns = new List<Tensor>();
        for (int t = 1; t < length; t++)
        {
            var completed = RollOut(rollout, sequences.narrow(1, 0, t), rollouts, randomFor(t), latent); // (n·B, T)
            var probability = sigmoid(discriminator.call(completed));                              // (n·B,)
            columns.Add(probability.view(rollouts, batch).mean([0]));                              // (B,)
        }
        columns.Add(sigmoid(discriminator.call(sequences)));                                       // (B,)
        return stack(columns, 1).MoveToOuterDisposeScope();                                        // (B, T)
    }
}
