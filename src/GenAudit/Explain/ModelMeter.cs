using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Counts and times the calls into the target so every result can say how much time was overhead.</summary>
internal sealed class ModelMeter
{
    readonly Stopwatch total = Stopwatch.StartNew();
    readonly Stopwatch inModel = new();
    TimeSpan absorbedModelTime = TimeSpan.Zero;

    public long Calls { get; private set; }
    public long Evaluations { get; private set; }
    public TimeSpan Elapsed => total.Elapsed;
    public TimeSpan ModelTime => inModel.Elapsed + absorbedModelTime;

    /// <summary>f on one batch (no gradients are requested or prevented here).</summary>
    public Tensor Forward(AttributionTarget target, Tensor batch)
    {
        inModel.Start();
        try
        {
            var values = target.Evaluate(batch); // (B,)
            Calls++;
            Evaluations += batch.shape[0];
            return values;
        }
        finally { inModel.Stop(); }
    }

    /// <summary>f and ∂f/∂x on one batch; examples are assumed independent (no batch statistics in the model).</summary>
    public (Tensor Values, Tensor Gradients) ForwardBackward(AttributionTarget target, Tensor batch)
    {
        inModel.Start();
        try
        {
            using var grad = torch.enable_grad();
            var leaf = batch.detach().requires_grad_(true);
            var values = target.Evaluate(leaf); // (B,)
            var gradients = torch.autograd.grad([values.sum()], [leaf])[0]; // (B, ...)
            Calls++;
            Evaluations += batch.shape[0];
            return (values.detach(), gradients.detach());
        }
        finally { inModel.Stop(); }
    }

    /// <summary>Runs one model call of <paramref name="examples"/> examples inside the model clock (for maps that are not targets, such as a generator).</summary>
    public T Time<T>(Func<T> call, long examples)
    {
        inModel.Start();
        try
        {
            var result = call();
            Calls++;
            Evaluations += examples;
            return result;
        }
        finally { inModel.Stop(); }
    }

    /// <summary>Adds the counts and model time of an inner method's result (used by the noise tunnel).</summary>
    public void Absorb(AttributionResult inner)
    {
        Calls += inner.ModelCalls;
        Evaluations += inner.ModelEvaluations;
        absorbedModelTime += inner.ModelTime;
    }
}
