using TorchSharp;
using TorchSharp.Modules;
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

    /// <summary>
    /// Re-estimates the batch-norm running statistics of <paramref name="network"/> for its own weights
    /// ("standing statistics", Brock et al. 2019): resets them, runs <paramref name="forward"/>(k) for
    /// k = 0 … <paramref name="passes"/> − 1 in training mode without gradients, with momentum 1/(k + 1),
    /// so each running mean ends as the mean of the passes' batch means and each running variance as
    /// the mean of their unbiased batch variances. An EMA generator needs this: the statistics
    /// <see cref="Update"/> copies belong to the trained weights, not to their average. Returns false
    /// (and does nothing) when the network has no batch normalisation.
    /// </summary>
    public static bool ReestimateBatchNorm(nn.Module network, int passes, Action<int> forward)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(forward);
        if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), $"passes is {passes}; at least one forward pass is needed");
        var norms = network.modules().OfType<NormBase>().ToList();
        if (norms.Count == 0) return false;
        bool training = network.training;
        var momenta = norms.Select(n => n.momentum).ToList();
        using (torch.no_grad())
        {
            foreach (var norm in norms) norm.reset_running_stats();
            network.train();
            try
            {
                for (int k = 0; k < passes; k++)
                {
                    foreach (var norm in norms) norm.momentum = 1.0 / (k + 1);
                    using var scope = NewDisposeScope();
                    forward(k);
                }
            }
            finally
            {
                for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
                network.train(training);
            }
        }
        return true;
    }
}
