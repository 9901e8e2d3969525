using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// What every generator GenAudit audits offers: a latent space, optional class conditions, and a
/// batched map from (z, condition) to outputs.
/// </summary>
public interface IGenerativeModel
{
    /// <summary>Size d of the latent vector z.</summary>
    int LatentSize { get; }

    /// <summary>Number of classes the model can be conditioned on; 0 for an unconditional model.</summary>
    int ConditionCount { get; }

    /// <summary>Shape of one output without the batch dimension: [2] for 2D points, [C, H, W] for images.</summary>
    long[] OutputShape { get; }

    /// <summary>True when outputs are differentiable with respect to z (gradient methods need it).</summary>
    bool IsDifferentiable { get; }

    /// <summary>Device the model computes on; inputs are moved there.</summary>
    Device Device { get; }

    /// <summary>
    /// Generates a batch. <paramref name="z"/> is (B, d) float32; <paramref name="condition"/> is
    /// (B,) int64 class labels, or null for an unconditional model. Returns (B, ...OutputShape);
    /// images are in [0, 1]. Gradients flow to z when <see cref="IsDifferentiable"/> is true and the
    /// caller has not disabled them.
    /// </summary>
    Tensor Generate(Tensor z, Tensor? condition = null);
}
