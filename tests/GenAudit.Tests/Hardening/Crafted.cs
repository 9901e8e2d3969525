using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace GenAudit.Tests.Hardening;

/// <summary>Hand-built hostile files: each byte layout follows the format's specification, so the tests do not depend on a writer that would refuse to produce them.</summary>
static class Crafted
{
    /// <summary>A PNG (RFC 2083) whose IHDR declares width × height RGBA pixels, with one tiny IDAT: a decompression bomb's header without its body.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 6;  // colour type RGBA
        Chunk(png, "IHDR", ihdr);
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[4096]);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A valid 4×4 grey PNG written by SkiaSharp.</summary>
    public static byte[] SmallPng(byte grey)
    {
        using var bitmap = new SkiaSharp.SKBitmap(4, 4);
        bitmap.Erase(new SkiaSharp.SKColor(grey, grey, grey));
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    /// <summary>CRC-32 (ISO 3309, polynomial 0xEDB88320) as PNG and gzip use it.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>gzip of <paramref name="content"/> with its ISIZE trailer field replaced by <paramref name="recordedSize"/>.</summary>
    public static byte[] GzipWithTrailer(byte[] content, uint recordedSize)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(content);
        var bytes = buffer.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), recordedSize);
        return bytes;
    }

    /// <summary>An unsigned-byte IDX header of the given dimensions followed by <paramref name="body"/>.</summary>
    public static byte[] Idx(uint[] dimensions, byte[] body)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + body.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dimensions.Length;
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        body.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    /// <summary>A version 1.0 .npy file with the given header dict text and data bytes.</summary>
    public static byte[] Npy(string dict, byte[] data)
    {
        var header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var bytes = new MemoryStream();
        bytes.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        bytes.Write(length);
        bytes.Write(Encoding.Latin1.GetBytes(header));
        bytes.Write(data);
        return bytes.ToArray();
    }

    /// <summary>A safetensors file with a hand-written JSON header (padded to 8 bytes) and data.</summary>
    public static byte[] SafeTensors(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        var bytes = new byte[8 + padded.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded.Length);
        padded.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + padded.Length);
        return bytes;
    }
}
