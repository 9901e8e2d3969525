using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Core.KeptScalars;

/// <summary>
/// TorchSharp's Adam (0.107) with the same arithmetic, operation for operation, except that every Scalar
/// an update passes to libtorch is held by the step and disposed after the native call returns.
/// </summary>
/// <remarks>
/// TorchSharp's own step converts its coefficients to Scalars implicitly (<c>addcmul_(g, g, value: 1 - β₂)</c>)
/// and passes <c>scalar.Handle</c> to native code; nothing references the Scalar after that read, so a
/// garbage collection triggered by another thread can finalize it, and free its native memory, while
/// libtorch is still reading it. Under CPU contention this happened in a test run (libtorch's
/// "toFloat" check in Scalar.h failed inside <c>addcmul_</c>). Here each coefficient lives in a
/// <c>using</c> variable, so it is reachable until the call that reads it has returned. The optimizer
/// state and its save/load format are TorchSharp's, so checkpoints written with <c>optim.Adam</c> load
/// unchanged, and the parameters after any number of steps are bit-identical to <c>optim.Adam</c>'s
/// (KeptScalarAdamTests). The class is called Adam because TorchSharp writes the optimizer's type name
/// (without its namespace) into the saved state and refuses a state whose name differs.
/// </remarks>
public sealed class Adam : TorchSharp.Modules.Adam
{
    /// <summary>Adam over <paramref name="parameters"/> with TorchSharp's defaults and argument order.</summary>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
        double eps = options.eps!.Value, lr = options.LearningRate!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var oneMinusBeta1 = (1 - beta1).ToScalar();
        using var oneMinusBeta2 = (1 - beta2).ToScalar();
        using var epsScalar = eps.ToScalar();
        using var weightDecayScalar = weightDecay.ToScalar();
        using var one = 1.ToScalar();   // the alpha of TorchSharp's add_(Scalar), an int there too
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            if (maximize) grad = -grad;
            state.step += 1;
            var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            if (weightDecay != 0) grad = grad.add(param, alpha: weightDecayScalar);

            state.exp_avg.mul_(beta1Scalar).add_(grad, alpha: oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad.conj(), value: oneMinusBeta2);

            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            if (amsgrad)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
            }
            var secondMoment = amsgrad ? state.max_exp_avg_sq : state.exp_avg_sq;
            var denominator = secondMoment.sqrt().div(sqrtBiasCorrection2).add_(epsScalar, one);
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            param.addcdiv_(state.exp_avg, denominator, value: stepSize);
        }
    }, closure);
}
