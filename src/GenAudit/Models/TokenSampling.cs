using System.Globalization;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// How a token language model turns logits into a draw: softmax(logits / temperature) over the <see cref="TopK"/> most
/// likely tokens. One record for <c>generate</c>, <c>evaluate</c>, <c>stability</c> and library calls, so that
/// <c>--temperature</c> and <c>--top-k</c> mean the same everywhere. The defaults draw from the model's own distribution.
/// </summary>
public sealed record TokenSampling
{
    /// <summary>The model's own distribution: temperature 1, every token.</summary>
    public static TokenSampling Default { get; } = new();

    /// <summary>Divides the logits: below 1 sharpens the distribution towards its mode, above 1 flattens it. Default: 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Draw only among the K most likely tokens (tokens tied with the K-th are kept), renormalised; 0 = every token. Default: 0.</summary>
    public int TopK { get; init; }

    /// <summary>Throws naming the option when the temperature is not a positive number or top-k is negative.</summary>
    public void Validate()
    {
        if (!(Temperature > 0) || !double.IsFinite(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), $"--temperature must be a positive number, not {Temperature.ToString(CultureInfo.InvariantCulture)}");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), $"--top-k must be 0 (every token) or more, not {TopK}");
    }

    /// <summary>Short description for reports, e.g. "temperature 0.7, top-k 40".</summary>
    public override string ToString() =>
        $"temperature {Temperature.ToString(CultureInfo.InvariantCulture)}{(TopK > 0 ? $", top-k {TopK}" : "")}";

    /// <summary>The sampling probabilities (B, V) of logits (B, V): softmax of the temperature-scaled logits kept by top-k.</summary>
    public Tensor Probabilities(Tensor logits)
    {
        var scaled = logits / Temperature;                                                     // (B, V)
        if (TopK > 0 && TopK < logits.shape[1])
        {
            var kth = scaled.topk(TopK, dim: 1).values.narrow(1, TopK - 1, 1);                 // (B, 1)
            scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
        }
        return scaled.softmax(1);                                                              // (B, V)
    }
}
