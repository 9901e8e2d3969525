namespace GenAudit.Models;

/// <summary>
/// What a generator outputs, read from the shape of one sample. Each kind has one implementation of every
/// seam that depends on it (sample views, feature spaces, attribution inputs; docs/architecture.md), so a
/// new modality adds a member here and one implementation per seam.
/// </summary>
public enum OutputKind
{
    /// <summary>Points (D), e.g. the 2D mixtures.</summary>
    Points,

    /// <summary>Images (C, H, W) with values in [0, 1].</summary>
    Images,

    /// <summary>Real-valued sequences (T, F): T time steps of F features, values in [0, 1].</summary>
    Series,
    /// <summary>Token sequences (T) of ids in a vocabulary, from a token language model (<see cref="TokenSampler"/>).</summary>
    Tokens,
}

/// <summary>Classifies sample shapes into <see cref="OutputKind"/>s.</summary>
public static class OutputKinds
{
    /// <summary>The kind of the samples of <paramref name="data"/>: token sequences by their type (their shape [T] reads as points), other data by shape.</summary>
    public static OutputKind Of(GenAudit.Data.Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data is GenAudit.Data.TokenSequenceDataset ? OutputKind.Tokens : Of(data.SampleShape);
    }

    /// <summary>The kind of samples of shape <paramref name="sampleShape"/> (without the batch dimension).</summary>
    public static OutputKind Of(IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        return sampleShape.Count switch
        {
            1 => OutputKind.Points,
            2 => OutputKind.Series,
            3 => OutputKind.Images,
            _ => throw new ArgumentException($"samples of shape [{string.Join(", ", sampleShape)}] are neither points (D), series (T, F) nor images (C, H, W)", nameof(sampleShape)),
        };
    }
}
