using System.Buffers.Binary;
using System.IO.Compression;
using GenAudit.Core;

namespace GenAudit.Data;

/// <summary>Writes unsigned-byte IDX files, the format <see cref="IdxReader"/> reads.</summary>
public static class IdxWriter
{
    /// <summary>Atomically writes an IDX file; it is gzip-compressed when <paramref name="path"/> ends with ".gz".</summary>
    public static void Write(string path, int[] dimensions, byte[] data)
    {
        Validate(dimensions, data);
        AtomicFile.Write(path, stream =>
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                Write(stream, dimensions, data);
                return;
            }
            using var gzip = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            Write(gzip, dimensions, data);
        });
    }

    /// <summary>Writes an uncompressed IDX array to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, int[] dimensions, byte[] data)
    {
        Validate(dimensions, data);
        var header = new byte[4 + 4 * dimensions.Length];
        header[2] = 0x08;
        header[3] = (byte)dimensions.Length;
        for (var i = 0; i < dimensions.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), (uint)dimensions[i]);
        stream.Write(header);
        stream.Write(data);
    }

    static void Validate(int[] dimensions, byte[] data)
    {
        if (dimensions.Length is 0 or > 255) throw new ArgumentException($"An IDX array has 1 to 255 dimensions, not {dimensions.Length}.", nameof(dimensions));
        long product = 1;
        foreach (var d in dimensions)
        {
            if (d <= 0) throw new ArgumentException($"IDX dimensions must be positive: {string.Join('x', dimensions)}.", nameof(dimensions));
            product *= d;
        }
        if (product != data.Length)
            throw new ArgumentException($"Dimensions {string.Join('x', dimensions)} hold {product} bytes but {data.Length} were given.", nameof(data));
    }
}
