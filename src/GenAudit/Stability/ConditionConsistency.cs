using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Condition pairs: the fraction of samples a classifier assigns to the condition they were generated with.</summary>
/// <param name="Value">Fraction in [0, 1] (higher is better), or null when it cannot be measured.</param>
/// <param name="PerCondition">The fraction for each condition, or null.</param>
/// <param name="Reason">Why <paramref name="Value"/> is null; null otherwise.</param>
public sealed record ConditionConsistencyResult(double? Value, IReadOnlyList<double>? PerCondition, string? Reason);

/// <summary>Condition consistency of a conditional generator: same condition, different z, checked by a classifier.</summary>
public static class ConditionConsistency
{
    /// <summary>
    /// Generates <paramref name="count"/> samples with conditions 0, 1, …, C−1 in turn and different z,
    /// and counts how often <paramref name="classifier"/> (outputs → (B, K) scores, argmax taken, or
    /// (B,) labels) predicts the requested condition.
    /// </summary>
    public static ConditionConsistencyResult Compute(
        IGenerativeModel model, Func<Tensor, Tensor>? classifier, int count, int batchSize, Generator generator)
    {
        if (model.ConditionCount == 0) return new(null, null, "the model is unconditional");
        if (classifier is null) return new(null, null, "no classifier was given to recognise the generated conditions");

        var classes = model.ConditionCount;
        var hits = new long[classes];
        var totals = new long[classes];
        using var outer = NewDisposeScope();
        var z = Latents.Normal(model, count, generator);                              // (N, d)
        var conditions = arange(count, ScalarType.Int64).remainder(classes).to(model.Device); // (N,)
        foreach (var (start, length) in Latents.Batches(count, batchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var requested = conditions.narrow(0, start, length);
            var output = classifier(model.Generate(z.narrow(0, start, length), requested));
            var predicted = output.dim() == 2 ? output.argmax(1) : output.to_type(ScalarType.Int64); // (b,)
            if (predicted.dim() != 1 || predicted.shape[0] != length)
                throw new ArgumentException($"The classifier must return (B, K) scores or (B,) labels; it returned [{string.Join(", ", output.shape)}] for B = {length}.", nameof(classifier));
            var requestedCpu = requested.cpu().data<long>().ToArray();
            var predictedCpu = predicted.cpu().data<long>().ToArray();
            for (var i = 0; i < requestedCpu.Length; i++)
            {
                totals[requestedCpu[i]]++;
                if (predictedCpu[i] == requestedCpu[i]) hits[requestedCpu[i]]++;
            }
        }
        var perCondition = hits.Select((h, c) => totals[c] == 0 ? double.NaN : (double)h / totals[c]).ToArray();
        return new((double)hits.Sum() / totals.Sum(), perCondition, null);
    }
}
