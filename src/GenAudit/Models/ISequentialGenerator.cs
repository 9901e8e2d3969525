using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// A generator that is one named Sequential applied to an input built from (z, condition), reshaped to
/// the output shape: what GANSpace, SeFa and layer activations read. The built-in GAN generator and VAE
/// are resolved by type; other modules (the calibration's generators) implement this.
/// </summary>
public interface ISequentialGenerator : IGenerativeModel
{
    /// <summary>State-dict prefix of the Sequential, e.g. "net".</summary>
    string SequentialName { get; }

    /// <summary>The Sequential that maps <see cref="SequentialInput"/> to the flattened output.</summary>
    nn.Module<Tensor, Tensor> Sequential { get; }

    /// <summary>The Sequential's input (B, ·) for latents z (B, d) and optional conditions (B,).</summary>
    Tensor SequentialInput(Tensor z, Tensor? condition);
}
