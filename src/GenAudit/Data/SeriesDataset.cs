namespace GenAudit.Data;

/// <summary>
/// Real-valued multivariate sequences (N, T, F) float32: T time steps of F features each, time first as in
/// every <see cref="SequenceDataset"/>. The synthetic sines, windows of a user's CSV and the log-mel frames of
/// digits-speech (<see cref="Audio"/> set) are ones.
/// </summary>
public sealed class SeriesDataset : SequenceDataset
{
    /// <summary>Largest number of values (N·T·F) a series dataset may hold: 2²⁸ floats, 1 GiB.</summary>
    public const long MaxValues = 1L << 28;

    readonly float[] _values;

    /// <summary>Creates the dataset; <paramref name="values"/> is (N, T, F) row-major, finite, and is not copied.</summary>
    /// <param name="name">Human-readable name.</param>
    /// <param name="values">N·T·F values, sequence after sequence, step after step.</param>
    /// <param name="length">T.</param>
    /// <param name="features">F.</param>
    /// <param name="featureNames">Names of the F features (CSV header), or null to number them.</param>
    /// <param name="labels">Class index of every sequence (N), or null when unlabelled.</param>
    /// <param name="classNames">Name of each class index; empty when unlabelled.</param>
    public SeriesDataset(string name, float[] values, int length, int features, IReadOnlyList<string>? featureNames = null,
                         long[]? labels = null, IReadOnlyList<string>? classNames = null)
        : base(name, length > 0 && features > 0 ? values.Length / (length * features) : 0, [length, features], labels, classNames ?? [])
    {
        if (features < 1) throw new ArgumentException($"Dataset '{name}': a series needs at least one feature, not {features}.", nameof(features));
        if (values.LongLength > MaxValues) throw new ArgumentException($"Dataset '{name}': {values.LongLength} values exceed the limit of {MaxValues}.", nameof(values));
        if (values.Length % (length * features) != 0)
            throw new ArgumentException($"Dataset '{name}': {values.Length} values are not a whole number of sequences of {length} steps × {features} features.", nameof(values));
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"Dataset '{name}': sequence {i / (length * features)}, step {i / features % length}, feature {i % features} is {values[i]}; values must be finite.", nameof(values));
        if (featureNames is not null && featureNames.Count != features)
            throw new ArgumentException($"Dataset '{name}': {featureNames.Count} feature names for {features} features.", nameof(featureNames));
        _values = values;
        FeatureNames = featureNames?.ToArray() ?? Enumerable.Range(0, features).Select(f => $"f{f}").ToArray();
    }

    /// <summary>How the sequences sound: the log-mel representation they were made with, or null when they are not audio.</summary>
    public LogMelFrames? Audio { get; init; }

    /// <summary>Features F per step.</summary>
    public int Features => (int)SampleShape[1];

    /// <summary>Names of the features, "f0", "f1", ... unless the source named them.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The values (N, T, F) row-major; do not modify (the fingerprint is computed once).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <inheritdoc />
    protected override void CopySamples(long[] indices, Span<float> destination)
    {
        var size = SampleSize;
        for (var i = 0; i < indices.Length; i++)
            _values.AsSpan(checked((int)(indices[i] * size)), size).CopyTo(destination.Slice(i * size, size));
    }

    /// <inheritdoc />
    protected override string ElementType => "f32";

    /// <inheritdoc />
    protected override ReadOnlySpan<byte> ContentBytes() => LittleEndian.Bytes(_values);
}
