namespace GenAudit.Data;

/// <summary>
/// Sequences of a fixed length T: the shape that token sequences (N, T) int64 and real-valued
/// sequences (N, T, F) share. Time is the first axis of every sample, so a sequence model reads
/// <see cref="Length"/> steps whatever the per-step content is.
/// </summary>
public abstract class SequenceDataset : Dataset
{
    /// <summary>Creates the base; <paramref name="sampleShape"/> is [T] for tokens or [T, F] for real values.</summary>
    protected SequenceDataset(string name, int count, long[] sampleShape, long[]? labels, IReadOnlyList<string> classNames)
        : base(name, count, sampleShape, labels, classNames)
    {
        if (sampleShape.Length is < 1 or > 2 || sampleShape[0] < 1)
            throw new ArgumentException($"Dataset '{name}': a sequence sample has shape [T] or [T, F] with T ≥ 1, not [{string.Join(", ", sampleShape)}].", nameof(sampleShape));
    }

    /// <summary>Steps T in every sequence.</summary>
    public int Length => (int)SampleShape[0];
}
