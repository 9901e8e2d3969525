using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// The mode-seeking regulariser of MSGAN (Mao et al. 2019): the generator maximises
/// d(G(z₁), G(z₂)) / d(z₁, z₂), so nearby latents may not collapse onto one output.
/// </summary>
public static class ModeSeeking
{
    /// <summary>ε in 1 / (ratio + ε), as in the MSGAN code.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>
    /// The term added (times its weight) to the generator loss: 1 / (mean|G(z₁) − G(z₂)| / mean|z₁ − z₂| + ε),
    /// with z₁ the first and z₂ the second half of the batch (an odd last sample is left out).
    /// <paramref name="samples"/> are G(z) (B, ...) and <paramref name="latents"/> z (B, d).
    /// </summary>
    public static Tensor Term(Tensor samples, Tensor latents)
    {
        long half = samples.shape[0] / 2;
        if (half < 1 || latents.shape[0] != samples.shape[0])
            throw new ArgumentException($"the mode-seeking term needs at least 2 samples and one latent per sample, got {samples.shape[0]} samples and {latents.shape[0]} latents");
        var outputs = (samples.narrow(0, 0, half) - samples.narrow(0, half, half)).abs().mean();   // mean over (B/2, ...)
        var inputs = (latents.narrow(0, 0, half) - latents.narrow(0, half, half)).abs().mean();    // mean over (B/2, d)
        return (outputs / inputs + Epsilon).reciprocal();
    }
}
