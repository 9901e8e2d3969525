using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Core;

/// <summary>The optimizers GenAudit trains with.</summary>
public static class Optimizers
{
    /// <summary>
    /// Adam with TorchSharp's defaults and argument order, as <see cref="KeptScalars.Adam"/>: the same
    /// updates and state as <c>torch.optim.Adam</c>, without its Scalar lifetime race.
    /// </summary>
    public static TorchSharp.Modules.Adam Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false) =>
        new KeptScalars.Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize);
}
