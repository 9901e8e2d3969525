namespace GenAudit.Data;

/// <summary>Images stored as bytes (N, C, H, W), served as float32 in [0, 1] (byte / 255).</summary>
public sealed class ImageDataset : Dataset
{
    /// <summary>Creates an image dataset; <paramref name="pixels"/> is (N, C, H, W) in row-major order.</summary>
    public ImageDataset(string name, byte[] pixels, int count, int channels, int height, int width,
        long[]? labels, IReadOnlyList<string> classNames, IReadOnlyList<SkippedFile>? skippedFiles = null)
        : base(name, count, [channels, height, width], labels, classNames)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"Dataset '{name}': image shape {channels}x{height}x{width} must be positive.");
        if (pixels.LongLength != (long)count * channels * height * width)
            throw new ArgumentException($"Dataset '{name}': {count} images of {channels}x{height}x{width} need {(long)count * channels * height * width} bytes, not {pixels.LongLength}.", nameof(pixels));
        Pixels = pixels;
        SkippedFiles = skippedFiles ?? [];
    }

    /// <summary>Raw pixel bytes (N, C, H, W); do not modify (the fingerprint is computed once).</summary>
    public byte[] Pixels { get; }

    /// <summary>Channels C: 1 for grayscale, 3 for RGB.</summary>
    public int Channels => (int)SampleShape[0];

    /// <summary>Image height H in pixels.</summary>
    public int Height => (int)SampleShape[1];

    /// <summary>Image width W in pixels.</summary>
    public int Width => (int)SampleShape[2];

    /// <summary>Files the loader could not use, each with the reason; empty for IDX and embedded data.</summary>
    public IReadOnlyList<SkippedFile> SkippedFiles { get; }

    /// <summary>
    /// Loads a pair of IDX files (images N×H×W, labels N) as a one-channel dataset; the labels must be
    /// below the number of <paramref name="classNames"/>.
    /// </summary>
    public static ImageDataset FromIdx(IdxArray images, string imagesName, IdxArray labels, string labelsName, string name, IReadOnlyList<string> classNames)
    {
        if (images.Dimensions.Length != 3)
            throw new InvalidDataException($"{imagesName}: expected 3 dimensions (images x height x width), found {images.Dimensions.Length} ({string.Join('x', images.Dimensions)}); is this a labels file?");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"{labelsName}: expected 1 dimension (labels), found {labels.Dimensions.Length} ({string.Join('x', labels.Dimensions)}); is this an images file?");
        if (images.Count != labels.Count)
            throw new InvalidDataException($"{labelsName}: holds {labels.Count} labels but {imagesName} holds {images.Count} images; use the two files of the same split.");
        var values = new long[labels.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = labels.Data[i];
            if (values[i] >= classNames.Count)
                throw new InvalidDataException($"{labelsName}: label {values[i]} at index {i} is not below the {classNames.Count} classes; the file is damaged or belongs to another dataset.");
        }
        return new ImageDataset(name, images.Data, images.Count, 1, images.Dimensions[1], images.Dimensions[2], values, classNames);
    }

    /// <summary>The pixels of all images as float32 in [0, 1], (N, C, H, W) row-major.</summary>
    public float[] ToFloatArray()
    {
        var values = new float[Pixels.LongLength];
        for (long i = 0; i < values.LongLength; i++) values[i] = Pixels[i] / 255f;
        return values;
    }

    /// <inheritdoc />
    protected override void CopySamples(long[] indices, Span<float> destination)
    {
        var size = SampleSize;
        for (var i = 0; i < indices.Length; i++)
        {
            var source = Pixels.AsSpan(checked((int)(indices[i] * size)), size);
            var target = destination.Slice(i * size, size);
            for (var j = 0; j < size; j++) target[j] = source[j] / 255f;
        }
    }

    /// <inheritdoc />
    protected override string ElementType => "u8";

    /// <inheritdoc />
    protected override ReadOnlySpan<byte> ContentBytes() => Pixels;
}

/// <summary>A file a loader skipped, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);
