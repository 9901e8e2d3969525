namespace GenAudit.Data;

/// <summary>Points in D dimensions (N, D) float32, for example samples of a <see cref="Mixture2D"/>.</summary>
public sealed class PointDataset : Dataset
{
    /// <summary>Creates a point dataset; <paramref name="points"/> is (N, D) row-major.</summary>
    public PointDataset(string name, float[] points, int dimension, long[]? labels, IReadOnlyList<string> classNames, Mixture2D? mixture = null)
        : base(name, dimension > 0 ? points.Length / dimension : 0, [dimension], labels, classNames)
    {
        if (points.Length % dimension != 0)
            throw new ArgumentException($"Dataset '{name}': {points.Length} values are not a whole number of {dimension}-D points.", nameof(points));
        Points = points;
        Mixture = mixture;
    }

    /// <summary>Coordinates (N, D) row-major; do not modify (the fingerprint is computed once).</summary>
    public float[] Points { get; }

    /// <summary>Dimension D of each point.</summary>
    public int Dimension => (int)SampleShape[0];

    /// <summary>The mixture these points were drawn from, or null; trainers may sample it afresh and audits use its modes.</summary>
    public Mixture2D? Mixture { get; }

    /// <inheritdoc />
    protected override void CopySamples(long[] indices, Span<float> destination)
    {
        var d = Dimension;
        for (var i = 0; i < indices.Length; i++)
            Points.AsSpan(checked((int)(indices[i] * d)), d).CopyTo(destination.Slice(i * d, d));
    }

    /// <inheritdoc />
    protected override string ElementType => "f32";

    /// <inheritdoc />
    protected override ReadOnlySpan<byte> ContentBytes() => LittleEndian.Bytes(Points);
}
