using System.Globalization;
using TorchSharp;

namespace GenAudit.Explain;

/// <summary>Options every attribution method shares; method options derive from it.</summary>
public class AttributionOptions
{
    /// <summary>Largest batch sent to the model in one call (path points, perturbations, noisy copies). Default 64.</summary>
    public int InternalBatchSize { get; init; } = 64;

    /// <summary>Seed of the method's random draws when Attribute is not given a generator. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Throws with the method, the field and the fix when an option is out of range.</summary>
    internal virtual void Validate(string method)
    {
        if (InternalBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(InternalBatchSize), InternalBatchSize, $"{method}: InternalBatchSize must be >= 1.");
    }

    /// <summary>The generator to draw from: the caller's, or a new one seeded with <see cref="Seed"/>.</summary>
    internal torch.Generator GeneratorOrSeeded(torch.Generator? generator) => generator ?? new torch.Generator(unchecked((ulong)Seed));

    /// <summary>Parameters shared by all methods, for <see cref="AttributionResult.Parameters"/>.</summary>
    internal Dictionary<string, string> BaseParameters() => new()
    {
        ["internalBatchSize"] = InternalBatchSize.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
    };
}
