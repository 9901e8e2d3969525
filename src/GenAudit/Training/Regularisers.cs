using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>The penalties added to a discriminator's or a network's loss, as functions of their inputs.</summary>
public static class Regularisers
{
    /// <summary>
    /// R1 (Mescheder et al. 2018): γ/2 · mean over the batch of ‖∇ₓD(x)‖² on real data.
    /// <paramref name="real"/> must require gradients and <paramref name="scoreReal"/> (B,) must have
    /// been computed from it; the result keeps its graph so the penalty can be back-propagated.
    /// </summary>
    public static Tensor R1(Tensor scoreReal, Tensor real, double gamma)
    {
        var gradient = torch.autograd.grad([scoreReal.sum()], [real], create_graph: true, retain_graph: true)[0];   // (B, ...)
        return gamma / 2 * gradient.pow(2).flatten(1).sum(1).mean();
    }

    /// <summary>
    /// The WGAN-GP penalty (Gulrajani et al. 2017): λ · mean over the batch of (‖∇D(x̂)‖ − 1)² at
    /// x̂ = α·real + (1 − α)·fake. <paramref name="alpha"/> is (B, 1, ...) with one weight per
    /// example; 1e-12 under the square root keeps the gradient finite where ∇D(x̂) = 0.
    /// </summary>
    public static Tensor GradientPenalty(Func<Tensor, Tensor> critic, Tensor real, Tensor fake, Tensor alpha, double weight)
    {
        var mixed = (alpha * real.detach() + (1 - alpha) * fake).requires_grad_(true);   // (B, ...)
        var scoreMixed = critic(mixed);                                                    // (B,)
        var gradient = torch.autograd.grad([scoreMixed.sum()], [mixed], create_graph: true, retain_graph: true)[0];
        return weight * (gradient.flatten(1).pow(2).sum(1).add(1e-12).sqrt() - 1).pow(2).mean();
    }

    /// <summary>
    /// l1 · Σ|w| + l2 · Σw² over the weights of <paramref name="module"/>: parameters with at least
    /// two dimensions, so biases and normalisation scales are not penalised. Zero (shape (1,)) when
    /// both weights are 0.
    /// </summary>
    public static Tensor WeightPenalty(nn.Module module, double l1, double l2)
    {
        Tensor? total = null;
        foreach (var (_, p) in module.named_parameters())
        {
            if (p.dim() < 2) continue;
            if (l1 > 0) total = total is null ? l1 * p.abs().sum() : total + l1 * p.abs().sum();
            if (l2 > 0) total = total is null ? l2 * p.pow(2).sum() : total + l2 * p.pow(2).sum();
        }
        return total ?? torch.zeros(1);
    }
}
