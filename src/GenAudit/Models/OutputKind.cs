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

    /// <summary>
    /// Audio as sequences (T, F) of log-mel frames with values in [0, 1] that decode to waveforms
    /// (<see cref="GenAudit.Data.LogMelFrames"/>); told from the data (digits-speech), since the shape reads as a series.
    /// </summary>
    Audio,

    /// <summary>Token sequences (T) of ids in a vocabulary, from a token language model (<see cref="TokenSampler"/>).</summary>
    Tokens,
}

/// <summary>Classifies sample shapes into <see cref="OutputKind"/>s.</summary>
public static class OutputKinds
{
    /// <summary>
    /// The kind of the samples of <paramref name="data"/>: token sequences by their type (their shape [T] reads as points),
    /// audio by its representation (its shape reads as a series), other data by shape.
    /// </summary>
    public static OutputKind Of(GenAudit.Data.Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data switch
        {
            GenAudit.Data.TokenSequenceDataset => OutputKind.Tokens,
            GenAudit.Data.SeriesDataset { Audio: not null } => OutputKind.Audio,
            _ => Of(data.SampleShape),
        };
    }

    /// <summary>
    /// The kind of the samples of shape <paramref name="sampleShape"/> from data <paramref name="dataSpec"/> (a <c>--data</c>
    /// value, as a run's manifest records it), without loading the data: tokens and audio by name, other data by shape.
    /// </summary>
    public static OutputKind Of(string dataSpec, IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(dataSpec);
        if (GenAudit.Data.DatasetRegistry.IsTokenSequences(dataSpec)) return OutputKind.Tokens;
        if (GenAudit.Data.DatasetRegistry.IsAudio(dataSpec)) return OutputKind.Audio;
        return Of(sampleShape);
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
