using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// A labelled or unlabelled set of samples held in managed arrays. Tensors are created only on
/// request (<see cref="GetBatch(long[], Device?)"/>, <see cref="Batches"/>, <see cref="ToTensor"/>) and belong to the caller,
/// so a dataset never leaks tensors into a dispose scope.
/// </summary>
/// <remarks>
/// Two kinds share this base: <see cref="ImageDataset"/> (bytes, served as float32 (N, C, H, W) in [0, 1])
/// and <see cref="PointDataset"/> (float32 points, served as (N, D)). Keeping them apart lets images stay
/// in bytes, a quarter of the memory, and keeps the fingerprint exact.
/// </remarks>
public abstract class Dataset
{
    readonly Lazy<string> fingerprint;

    /// <summary>Creates the base; <paramref name="sampleShape"/> excludes the batch dimension.</summary>
    protected Dataset(string name, int count, long[] sampleShape, long[]? labels, IReadOnlyList<string> classNames)
    {
        if (count <= 0) throw new ArgumentException($"Dataset '{name}' has no samples.", nameof(count));
        if (labels is not null)
        {
            if (labels.Length != count) throw new ArgumentException($"Dataset '{name}' has {count} samples but {labels.Length} labels.", nameof(labels));
            foreach (var label in labels)
                if (label < 0 || label >= classNames.Count)
                    throw new ArgumentException($"Dataset '{name}' has label {label} but {classNames.Count} class names.", nameof(labels));
        }
        Name = name;
        Count = count;
        SampleShape = sampleShape;
        Labels = labels;
        ClassNames = classNames;
        fingerprint = new Lazy<string>(ComputeFingerprint);
    }

    /// <summary>Human-readable name, for example "mnist-train"; not part of the fingerprint.</summary>
    public string Name { get; }

    /// <summary>Number of samples N.</summary>
    public int Count { get; }

    /// <summary>Shape of one sample: [C, H, W] for images, [D] for points.</summary>
    public long[] SampleShape { get; }

    /// <summary>Number of values in one sample (the product of <see cref="SampleShape"/>).</summary>
    public int SampleSize => (int)SampleShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Class index of every sample (N), or null when the dataset is unlabelled.</summary>
    public long[]? Labels { get; }

    /// <summary>Name of each class index; empty when the dataset is unlabelled.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// SHA-256 (lower-case hex) of the content: element type, shape (N first), the values and the labels.
    /// Names and class names are metadata and are not hashed.
    /// </summary>
    public string Fingerprint => fingerprint.Value;

    /// <summary>Copies the samples at <paramref name="indices"/> into new tensors (x, y); y is null when unlabelled. The caller disposes both.</summary>
    public (Tensor X, Tensor? Y) GetBatch(long[] indices, Device? device = null)
    {
        foreach (var index in indices)
            if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Index {index} is outside dataset '{Name}' of {Count} samples.");
        var values = new float[(long)indices.Length * SampleSize];
        CopySamples(indices, values);
        long[] shape = [indices.Length, .. SampleShape];
        var x = tensor(values, shape, device: device);
        if (Labels is null) return (x, null);
        var labels = new long[indices.Length];
        for (var i = 0; i < indices.Length; i++) labels[i] = Labels[indices[i]];
        return (x, tensor(labels, device: device));
    }

    /// <summary>Like <see cref="GetBatch(long[], Device?)"/> with a 1-D int64 tensor of indices (for example from torch.randperm).</summary>
    public (Tensor X, Tensor? Y) GetBatch(Tensor indices, Device? device = null)
    {
        long[] values;
        using (NewDisposeScope()) values = indices.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        return GetBatch(values, device);
    }

    /// <summary>All samples as one new tensor (N, ...SampleShape); the caller disposes it.</summary>
    public Tensor ToTensor(Device? device = null)
    {
        var all = new long[Count];
        for (var i = 0; i < Count; i++) all[i] = i;
        var (x, y) = GetBatch(all, device);
        y?.Dispose();
        return x;
    }

    /// <summary>
    /// One pass over the data in batches: shuffled with torch.randperm(<paramref name="generator"/>) when a
    /// generator is given, in order otherwise. Each batch's tensors are new and belong to the caller.
    /// </summary>
    public IEnumerable<(Tensor X, Tensor? Y)> Batches(int batchSize, Generator? generator = null, bool dropLast = false, Device? device = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be positive, not {batchSize}.");
        long[] order;
        if (generator is null)
        {
            order = new long[Count];
            for (var i = 0; i < Count; i++) order[i] = i;
        }
        else
        {
            using var permutation = randperm(Count, generator: generator);
            order = permutation.data<long>().ToArray();
        }
        for (var start = 0; start < Count; start += batchSize)
        {
            var length = Math.Min(batchSize, Count - start);
            if (length < batchSize && dropLast) yield break;
            yield return GetBatch(order.AsSpan(start, length).ToArray(), device);
        }
    }

    /// <summary>Writes the samples at <paramref name="indices"/> as float32 values into <paramref name="destination"/>, sample after sample.</summary>
    protected abstract void CopySamples(long[] indices, Span<float> destination);

    /// <summary>Short tag of the stored element type for the fingerprint ("u8" or "f32").</summary>
    protected abstract string ElementType { get; }

    /// <summary>The stored values in little-endian byte order, as hashed by the fingerprint.</summary>
    protected abstract ReadOnlySpan<byte> ContentBytes();

    string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long[] shape = [Count, .. SampleShape];
        hash.AppendData(Encoding.ASCII.GetBytes($"GenAudit.Dataset/v1\n{ElementType}\n{string.Join(',', shape)}\n"));
        hash.AppendData(ContentBytes());
        if (Labels is null) hash.AppendData("\nunlabelled"u8);
        else
        {
            hash.AppendData("\nlabels int64\n"u8);
            hash.AppendData(LittleEndian.Bytes(Labels));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Little-endian views of primitive arrays for hashing and file formats.</summary>
static class LittleEndian
{
    /// <summary>The bytes of <paramref name="values"/> in little-endian order (a view on little-endian machines).</summary>
    public static ReadOnlySpan<byte> Bytes<T>(T[] values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GenAudit's data formats assume a little-endian machine.");
        return MemoryMarshal.AsBytes(values.AsSpan());
    }
}
