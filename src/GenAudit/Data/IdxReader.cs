using System.Buffers.Binary;
using System.IO.Compression;

namespace GenAudit.Data;

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed (detected
/// by the magic bytes 1f 8b). Every defect is an <see cref="InvalidDataException"/> naming the file and the fix.
/// </summary>
/// <remarks>
/// Layout: 00 00 08 n, then n big-endian uint32 dimensions, then the bytes. The length is checked
/// against the header before the data array is allocated, so a lying header cannot exhaust memory.
/// A gzip file is checked against the decompressed size in its trailer (ISIZE) because .NET's
/// <see cref="GZipStream"/> ends silently on a truncated stream. A gzip bomb is stopped while it
/// streams: the trailer's size must be at most <see cref="MaxDecompressedBytes"/>, and decompression
/// stops as soon as the output exceeds that recorded size, so no more than the recorded size (plus one
/// 64 kB buffer) is ever held.
/// </remarks>
public static class IdxReader
{
    const byte UnsignedByteType = 0x08;
    const int MaxHeaderLength = 4 + 4 * 255;
    const string Redownload = "download the file again";

    /// <summary>Largest decompressed IDX content GenAudit reads from a gzip file (1 GiB; MNIST's training images are 47 MB).</summary>
    public const long MaxDecompressedBytes = 1L << 30;

    /// <summary>Reads the IDX file at <paramref name="path"/>.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX array from <paramref name="stream"/>; <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Read(Stream stream, string name)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        var size = stream.Length - stream.Position;
        if (size == 0) throw new InvalidDataException($"{name}: the file is empty; {Redownload}.");
        var prefix = new byte[(int)Math.Min(size, MaxHeaderLength)];
        var start = stream.Position;
        stream.ReadExactly(prefix);
        stream.Position = start;
        return prefix.Length >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b
            ? ReadGzip(stream, size, name)
            : ReadRaw(stream, prefix, size, name);
    }

    static IdxArray ReadRaw(Stream stream, byte[] prefix, long size, string name)
    {
        var (dimensions, headerLength, bodyLength) = ParseHeader(prefix, size, name);
        stream.Seek(headerLength, SeekOrigin.Current);
        var data = new byte[bodyLength];
        stream.ReadExactly(data);
        return new IdxArray(dimensions, data);
    }

    static IdxArray ReadGzip(Stream stream, long compressedSize, string name)
    {
        // 10-byte header + 8-byte trailer is the smallest possible gzip member.
        if (compressedSize < 18)
            throw new InvalidDataException($"{name}: the gzip stream is truncated ({compressedSize} bytes); {Redownload}.");
        var start = stream.Position;
        stream.Position = start + compressedSize - 4;
        Span<byte> trailer = stackalloc byte[4];
        stream.ReadExactly(trailer);
        var recordedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        stream.Position = start;

        if (recordedSize > MaxDecompressedBytes)
            throw new InvalidDataException(
                $"{name}: the gzip stream is truncated or damaged, or a decompression bomb: its trailer records {recordedSize} decompressed bytes, more than GenAudit's limit of {MaxDecompressedBytes} for an IDX file; {Redownload}.");
        var decompressed = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = ReadDecompressed(gzip, buffer, name)) > 0)
            {
                // Checked before the bytes are kept: a stream longer than its trailer claims is refused
                // after at most one buffer more than the claim, whatever the compression ratio.
                if (decompressed.Length + read > recordedSize)
                    throw new InvalidDataException(
                        $"{name}: the gzip stream is truncated or damaged, or a decompression bomb: it decompresses to more than the {recordedSize} bytes its trailer records; {Redownload}.");
                decompressed.Write(buffer, 0, read);
            }
        }
        var content = decompressed.GetBuffer().AsSpan(0, (int)decompressed.Length);
        var (dimensions, headerLength, bodyLength) = ParseHeader(content[..Math.Min(content.Length, MaxHeaderLength)], content.Length, name);
        return new IdxArray(dimensions, content.Slice(headerLength, (int)bodyLength).ToArray());
    }

    static int ReadDecompressed(GZipStream gzip, byte[] buffer, string name)
    {
        try
        {
            return gzip.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name}: the gzip stream is damaged ({e.Message}); {Redownload}.", e);
        }
    }

    /// <summary>Validates the header in <paramref name="prefix"/> against the total content size; allocates nothing large.</summary>
    static (int[] Dimensions, int HeaderLength, long BodyLength) ParseHeader(ReadOnlySpan<byte> prefix, long size, string name)
    {
        if (size == 0) throw new InvalidDataException($"{name}: the file is empty; {Redownload}.");
        if (size < 4) throw new InvalidDataException($"{name}: the file ends inside the 4-byte magic number ({size} bytes); {Redownload}.");
        if (prefix[0] != 0 || prefix[1] != 0)
            throw new InvalidDataException(
                $"{name}: not an IDX file: expected magic 00 00 08 <ndims>, found {Convert.ToHexString(prefix[..4])}. " +
                "Pass an MNIST-style IDX file (raw or .gz).");
        if (prefix[2] != UnsignedByteType)
            throw new InvalidDataException(
                $"{name}: IDX element type 0x{prefix[2]:X2} ({TypeName(prefix[2])}) is not supported; GenAudit reads unsigned-byte IDX files (type 0x08).");
        int ndims = prefix[3];
        if (ndims == 0) throw new InvalidDataException($"{name}: the header declares 0 dimensions; an IDX array needs at least one.");
        var headerLength = 4 + 4 * ndims;
        if (size < headerLength)
            throw new InvalidDataException($"{name}: the file ends inside the header ({size} bytes, the header of {ndims} dimensions needs {headerLength}); {Redownload}.");

        var declared = new uint[ndims];
        for (var i = 0; i < ndims; i++) declared[i] = BinaryPrimitives.ReadUInt32BigEndian(prefix.Slice(4 + 4 * i, 4));
        var listed = string.Join('x', declared);
        var dimensions = new int[ndims];
        long expected = 1;
        for (var i = 0; i < ndims; i++)
        {
            if (declared[i] == 0) throw new InvalidDataException($"{name}: dimension {i} of the header ({listed}) is 0; the file holds no data, {Redownload}.");
            if (declared[i] > int.MaxValue || expected * declared[i] > Array.MaxLength)
                throw new InvalidDataException($"{name}: the header's dimensions ({listed}) multiply to more than {Array.MaxLength} bytes, more than one array can hold in memory; the header is probably damaged.");
            dimensions[i] = (int)declared[i];
            expected *= declared[i];
        }

        var body = size - headerLength;
        if (body < expected)
            throw new InvalidDataException(
                $"{name}: header says {Describe(dimensions, ndims)} ({expected} bytes) but the file holds {body} bytes after the header; the file is truncated, {Redownload}.");
        if (body > expected)
            throw new InvalidDataException(
                $"{name}: header says {Describe(dimensions, ndims)} ({expected} bytes) but the file holds {body - expected} trailing bytes after them; the file is damaged or not an IDX file.");
        return (dimensions, headerLength, expected);
    }

    static string Describe(int[] dimensions, int ndims) => ndims switch
    {
        1 => $"{dimensions[0]} items",
        3 => $"{dimensions[0]} images of {dimensions[1]}x{dimensions[2]}",
        _ => $"an array of {string.Join('x', dimensions)}",
    };

    static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };
}
