using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Grad-CAM maps of a batch. Owns its tensors.</summary>
public sealed record GradCamResult : IDisposable
{
    /// <summary>ReLU(Σ_k α_k A_k) at the layer's resolution (B, h, w), unnormalised.</summary>
    public required Tensor Maps { get; init; }

    /// <summary>The maps resized bilinearly to the input (B, H, W) and divided by each map's maximum, in [0, 1] (an all-zero map stays 0).</summary>
    public required Tensor Upsampled { get; init; }

    /// <summary>The channel weights α_k = spatial mean of ∂score/∂A_k (B, K).</summary>
    public required Tensor ChannelWeights { get; init; }

    /// <summary>The explained scores (B,).</summary>
    public required Tensor Scores { get; init; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Maps.Dispose();
        Upsampled.Dispose();
        ChannelWeights.Dispose();
        Scores.Dispose();
    }
}

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017, arXiv:1610.02391): for a score y and the feature maps A (B, K, h, w)
/// of a convolutional layer, α_k = (1/hw) Σ_ij ∂y/∂A_kij and the map is ReLU(Σ_k α_k A_k): where the
/// layer holds evidence that raises the score. GenAudit applies it to the discriminator's last conv
/// layer (score = D(x)) and to the feature classifier's last conv layer (score = logit of class c).
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Grad-CAM of <paramref name="score"/> (inputs (B, C, H, W) → one score per example (B,)) at the
    /// output of <paramref name="layer"/>, a module that <paramref name="score"/> calls exactly once
    /// per forward pass (a forward hook captures its output; pass the conv module itself, so the
    /// maps are its pre-activation outputs). Gradients are taken of Σ_b y_b, which separates per
    /// example because examples do not interact (networks in eval mode).
    /// </summary>
    public static GradCamResult Compute(Func<Tensor, Tensor> score, nn.Module<Tensor, Tensor> layer, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() != 4)
            throw new ArgumentException($"grad-cam: inputs must be images (B, C, H, W), got [{string.Join(", ", inputs.shape)}]");
        using var scope = NewDisposeScope();
        Tensor? captured = null;
        var calls = 0;
        // Networks dispose intermediate tensors (Sequential drops each child's output, FeatureClassifier
        // runs in its own dispose scope), so the hook keeps the layer's own output handle out of every
        // scope and hands the network a view of it; gradients reach the captured tensor through the view.
        var hook = layer.register_forward_hook((_, _, output) =>
        {
            calls++;
            captured = output.DetachFromDisposeScope();
            return output.alias();
        });
        Tensor y;
        using (enable_grad())
        {
            try { y = score(inputs.detach()); } // (B,)
            finally { hook.remove(); }
        }
        if (captured is null || calls != 1)
            throw new ArgumentException($"grad-cam: the layer ran {calls} times during one score evaluation; it must run exactly once");
        var a = captured.MoveToOtherDisposeScope(scope);
        if (a.dim() != 4)
            throw new ArgumentException($"grad-cam: the layer's output must be feature maps (B, K, h, w), got [{string.Join(", ", a.shape)}]");
        if (y.dim() != 1 || y.shape[0] != inputs.shape[0])
            throw new ArgumentException($"grad-cam: the score must be one value per example ({inputs.shape[0]}), got [{string.Join(", ", y.shape)}]");
        Tensor gradient;
        using (enable_grad()) gradient = autograd.grad([y.sum()], [a])[0]; // (B, K, h, w)
        var weights = gradient.mean([2, 3]); // (B, K)
        var maps = nn.functional.relu((weights.unsqueeze(-1).unsqueeze(-1) * a.detach()).sum(dim: 1)); // (B, h, w)
        var resized = nn.functional.interpolate(maps.unsqueeze(1), [inputs.shape[2], inputs.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1); // (B, H, W)
        var peak = resized.flatten(1).amax([1]).clamp_min(1e-12).view(-1, 1, 1);
        return new GradCamResult
        {
            Maps = maps.detach().MoveToOuterDisposeScope(),
            Upsampled = (resized / peak).detach().MoveToOuterDisposeScope(),
            ChannelWeights = weights.detach().MoveToOuterDisposeScope(),
            Scores = y.detach().MoveToOuterDisposeScope(),
        };
    }

    /// <summary>The last child of <paramref name="sequential"/> that is a 2-D convolution (plain or spectrally normalised), with its name.</summary>
    public static (string Name, nn.Module<Tensor, Tensor> Module) LastConv(nn.Module sequential)
    {
        ArgumentNullException.ThrowIfNull(sequential);
        var last = sequential.named_children()
            .LastOrDefault(c => c.module is TorchSharp.Modules.Conv2d or Models.SpectralNormConv2d);
        return last.module is nn.Module<Tensor, Tensor> conv
            ? (last.name, conv)
            : throw new ArgumentException("grad-cam: this network has no 2-D convolution (2D-point models have no feature maps)");
    }
}
