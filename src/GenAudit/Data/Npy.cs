using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GenAudit.Core;
using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// Reads and writes NumPy .npy files (format 1.0; the reader also takes 2.0 and 3.0 headers) holding
/// little-endian float32 ('&lt;f4') or int64 ('&lt;i8') arrays in C order. Errors name the file and the fix.
/// </summary>
public static partial class Npy
{
    /// <summary>Largest .npy header GenAudit reads (1 MiB; NumPy writes a few hundred bytes).</summary>
    public const long MaxHeaderBytes = 1 << 20;

    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Atomically writes a float32 array of the given shape.</summary>
    public static void Write(string path, float[] data, long[] shape) => WriteArray(path, "<f4", shape, data.LongLength, LittleEndian.Bytes(data).ToArray());

    /// <summary>Atomically writes an int64 array of the given shape.</summary>
    public static void Write(string path, long[] data, long[] shape) => WriteArray(path, "<i8", shape, data.LongLength, LittleEndian.Bytes(data).ToArray());

    /// <summary>Atomically writes a float32 or int64 tensor (copied to the CPU).</summary>
    public static void Write(string path, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        switch (cpu.dtype)
        {
            case ScalarType.Float32: Write(path, cpu.data<float>().ToArray(), cpu.shape); break;
            case ScalarType.Int64: Write(path, cpu.data<long>().ToArray(), cpu.shape); break;
            default: throw new ArgumentException($"{path}: .npy output supports float32 and int64 tensors, not {cpu.dtype}; convert with .to_type(ScalarType.Float32).", nameof(tensor));
        }
    }

    /// <summary>Reads a .npy file, validating magic, header, dtype and that the shape matches the data length.</summary>
    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        using var stream = File.OpenRead(path);
        var size = stream.Length;
        var prelude = new byte[Math.Min(size, 12)];
        stream.ReadExactly(prelude);
        if (size < 10 || !prelude.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file (it does not start with \\x93NUMPY); save arrays with numpy.save.");
        var major = prelude[6];
        int headerLengthSize = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new InvalidDataException($"{path}: .npy format version {major}.{prelude[7]} is not supported; save with numpy.save (version 1.0)."),
        };
        if (size < 8 + headerLengthSize) throw new InvalidDataException($"{path}: the file ends inside the header; write it again.");
        long headerLength = headerLengthSize == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prelude.AsSpan(8))
            : BinaryPrimitives.ReadUInt32LittleEndian(prelude.AsSpan(8));
        var dataStart = 8 + headerLengthSize + headerLength;
        if (dataStart > size)
            throw new InvalidDataException($"{path}: the header claims {headerLength} bytes but the file holds {size - 8 - headerLengthSize} after the prelude; the file is truncated, write it again.");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: the header claims {headerLength} bytes, more than the {MaxHeaderBytes} a .npy header can sensibly need; the file is damaged, write it again.");
        stream.Position = 8 + headerLengthSize;
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes).Trim();

        var (descr, shape) = ParseHeader(header, path);
        var itemSize = descr == "<f4" ? 4 : 8;
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0 || (d > 0 && count > long.MaxValue / d)) throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) is invalid.");
            count *= d;
        }
        var body = size - dataStart;
        // count × itemSize can overflow a long for a lying shape; compare it with the bytes that are there first.
        if (count > body / itemSize || count * itemSize != body || body > Array.MaxLength)
            throw new InvalidDataException(
                $"{path}: header says shape ({string.Join(", ", shape)}) of {descr} ({(count > long.MaxValue / itemSize ? "more than 2^63" : (count * itemSize).ToString(CultureInfo.InvariantCulture))} bytes) but the file holds {body} bytes of data; the file is truncated or damaged, write it again.");
        var bytes = new byte[body];
        stream.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GenAudit's data formats assume a little-endian machine.");
        return descr == "<f4"
            ? new NpyArray(shape, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(), null)
            : new NpyArray(shape, null, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray());
    }

    static (string Descr, long[] Shape) ParseHeader(string header, string path)
    {
        if (!header.StartsWith('{') || !header.EndsWith('}'))
            throw new InvalidDataException($"{path}: the .npy header is not a Python dict: {Abbreviate(header)}; write the file again with numpy.save.");
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidDataException($"{path}: the .npy header lacks 'descr', 'fortran_order' or 'shape': {Abbreviate(header)}; write the file again with numpy.save.");
        var type = descr.Groups[1].Value;
        if (type is not ("<f4" or "<i8"))
            throw new InvalidDataException($"{path}: dtype '{type}' is not supported; GenAudit reads little-endian float32 ('<f4') and int64 ('<i8'): use array.astype(numpy.float32).");
        if (fortran.Groups[1].Value == "True")
            throw new InvalidDataException($"{path}: the array is in Fortran order; save numpy.ascontiguousarray(array) instead.");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var parsed = new long[dims.Length];
        for (var i = 0; i < dims.Length; i++)
            if (!long.TryParse(dims[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]))
                throw new InvalidDataException($"{path}: shape entry '{dims[i]}' in the .npy header is not a non-negative integer.");
        return (type, parsed);
    }

    static void WriteArray(string path, string descr, long[] shape, long count, byte[] data)
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != count || shape.Any(d => d < 0))
            throw new ArgumentException($"{path}: shape ({string.Join(", ", shape)}) does not hold {count} values.", nameof(shape));
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // NumPy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
        var unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        var header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        if (header.Length > ushort.MaxValue) throw new ArgumentException($"{path}: shape too long for a version 1.0 .npy header.", nameof(shape));
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            stream.Write([1, 0]);
            Span<byte> length = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length);
            stream.Write(Encoding.Latin1.GetBytes(header));
            stream.Write(data);
        });
    }

    static string Abbreviate(string text) => text.Length <= 80 ? text : text[..80] + "...";

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

/// <summary>An array read from a .npy file: its shape and either float32 or int64 values (C order).</summary>
public sealed record NpyArray(long[] Shape, float[]? Float32, long[]? Int64)
{
    /// <summary>The values as a new tensor of <see cref="Shape"/>; the caller disposes it.</summary>
    public Tensor ToTensor() => Float32 is not null ? tensor(Float32, Shape) : tensor(Int64!, Shape);
}
