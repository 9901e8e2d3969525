using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// The training objectives as functions of network outputs, each averaged over the batch, so that
/// every one can be checked against its closed form.
/// </summary>
public static class Losses
{
    /// <summary>
    /// The discriminator's (critic's) loss on the scores (logits) of a real and a fake batch, (B,) each:
    /// ns: mean softplus(−D(x)) + mean softplus(D(G(z))) (Goodfellow et al. 2014);
    /// hinge: mean relu(1 − D(x)) + mean relu(1 + D(G(z))) (Lim and Ye 2017);
    /// wgan-gp: mean D(G(z)) − mean D(x) (Arjovsky et al. 2017), without its gradient penalty.
    /// </summary>
    public static Tensor Discriminator(GanLoss loss, Tensor scoreReal, Tensor scoreFake) => loss switch
    {
        GanLoss.Ns => nn.functional.softplus(-scoreReal).mean() + nn.functional.softplus(scoreFake).mean(),
        GanLoss.Hinge => nn.functional.relu(1 - scoreReal).mean() + nn.functional.relu(1 + scoreFake).mean(),
        GanLoss.WganGp => scoreFake.mean() - scoreReal.mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "unknown GAN loss"),
    };

    /// <summary>
    /// The generator's loss on the scores of its fake batch, (B,): the non-saturating
    /// mean softplus(−D(G(z))) for ns, and −mean D(G(z)) for hinge and wgan-gp.
    /// </summary>
    public static Tensor Generator(GanLoss loss, Tensor scoreFake) =>
        loss == GanLoss.Ns ? nn.functional.softplus(-scoreFake).mean() : -scoreFake.mean();

    /// <summary>
    /// The VAE's negative log-likelihood of <paramref name="x"/> under its decoder output, summed
    /// over elements and averaged over the batch: binary cross-entropy (outputs clamped to
    /// [1e-6, 1 − 1e-6]) for Bernoulli, Σ(x̂ − x)² / (2σ²) for Gaussian (constants dropped).
    /// </summary>
    public static Tensor Reconstruction(VaeLikelihood likelihood, double gaussianSigma, Tensor reconstruction, Tensor x)
    {
        long batch = x.shape[0];
        return likelihood == VaeLikelihood.Bernoulli
            ? nn.functional.binary_cross_entropy(reconstruction.clamp(1e-6, 1 - 1e-6), x, reduction: nn.Reduction.Sum) / batch
            : (reconstruction - x).pow(2).sum() / (2 * gaussianSigma * gaussianSigma) / batch;
    }

    /// <summary>
    /// KL(N(μ, diag σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), summed over latent dimensions and
    /// averaged over the batch (Kingma and Welling 2014). <paramref name="mean"/> and
    /// <paramref name="logVariance"/> are (B, d).
    /// </summary>
    public static Tensor GaussianKl(Tensor mean, Tensor logVariance) =>
        -0.5 * (1 + logVariance - mean.pow(2) - logVariance.exp()).sum() / mean.shape[0];
}
