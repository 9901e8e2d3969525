using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// The exponential moving average of a network's weights (Karras et al. 2018; Yazıcı et al. 2019),
/// kept in a second copy of the network that is sampled from instead of the trained one.
/// </summary>
public static class Ema
{
    /// <summary>Copies every parameter and buffer of <paramref name="source"/> into the same-named one of <paramref name="target"/>.</summary>
    public static void CopyInto(nn.Module target, nn.Module source)
    {
        using var _ = torch.no_grad();
        var from = source.state_dict();
        foreach (var (key, tensor) in target.state_dict()) tensor.copy_(from[key]);
    }

    /// <summary>
    /// One update: every parameter θ̄ of <paramref name="ema"/> becomes β·θ̄ + (1 − β)·θ with θ the
    /// same-named parameter of <paramref name="model"/> and β = <paramref name="decay"/>; buffers
    /// (batch-norm running statistics) are copied, not averaged.
    /// </summary>
    public static void Update(nn.Module ema, nn.Module model, double decay)
    {
        using var _ = torch.no_grad();
        var current = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in ema.named_parameters()) p.mul_(decay).add_(current[name], alpha: 1 - decay);
        var buffers = model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in ema.named_buffers()) b.copy_(buffers[name]);
    }
}
