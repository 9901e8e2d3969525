using System.Buffers.Binary;
using System.IO.Compression;
using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class IdxTests
{
    static byte[] Header(byte type, params uint[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        header[2] = type;
        header[3] = (byte)dimensions.Length;
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        return header;
    }

    static byte[] Gzip(byte[] raw)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(raw);
        return output.ToArray();
    }

    static InvalidDataException ReadFails(TempFolder temp, string name, byte[] content)
    {
        var path = temp.File(name);
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(name, error.Message);
        return error;
    }

    [Theory]
    [InlineData("images-idx3-ubyte")]
    [InlineData("images-idx3-ubyte.gz")]
    public void WriterAndReaderRoundTrip(string name)
    {
        using var temp = new TempFolder();
        var data = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 7)).ToArray();
        IdxWriter.Write(temp.File(name), [3, 4, 5], data);

        var array = IdxReader.Read(temp.File(name));

        Assert.Equal([3, 4, 5], array.Dimensions);
        Assert.Equal(data, array.Data);
        Assert.Equal(name.EndsWith(".gz"), File.ReadAllBytes(temp.File(name))[0] == 0x1f);
    }

    [Fact]
    public void ReadsFromANonSeekableStream()
    {
        var raw = new MemoryStream();
        IdxWriter.Write(raw, [2], [7, 9]);
        var gz = new BufferedStream(new GZipStream(new MemoryStream(Gzip(raw.ToArray())), CompressionMode.Decompress));

        Assert.Equal([7, 9], IdxReader.Read(gz, "labels").Data);
    }

    [Fact]
    public void EmptyFileIsAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("empty", ReadFails(temp, "empty-idx1-ubyte", []).Message);
    }

    [Fact]
    public void WrongMagicIsAnError()
    {
        using var temp = new TempFolder();
        var error = ReadFails(temp, "png-idx3-ubyte", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]);
        Assert.Contains("not an IDX file", error.Message);
        Assert.Contains("89504E47", error.Message);
    }

    [Fact]
    public void UnsupportedElementTypeIsAnError()
    {
        using var temp = new TempFolder();
        var error = ReadFails(temp, "floats-idx1", [.. Header(0x0D, 1), 0, 0, 0, 0]);
        Assert.Contains("0x0D (float32) is not supported", error.Message);
    }

    [Fact]
    public void ZeroDimensionsAreAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("0 dimensions", ReadFails(temp, "nodims", Header(0x08)).Message);
    }

    [Fact]
    public void ADimensionOfZeroIsAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("dimension 1 of the header (5x0x28) is 0", ReadFails(temp, "zero-idx3", Header(0x08, 5, 0, 28)).Message);
    }

    [Fact]
    public void FileEndingInsideTheHeaderIsAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("ends inside the header", ReadFails(temp, "short-idx3", Header(0x08, 5, 28, 28)[..10]).Message);
    }

    [Fact]
    public void HeaderPromisingMoreThanTheFileHoldsNamesBothNumbers()
    {
        using var temp = new TempFolder();
        var error = ReadFails(temp, "train-images-idx3-ubyte", [.. Header(0x08, 60000, 28, 28), .. new byte[41]]);
        Assert.Equal(
            $"{temp.File("train-images-idx3-ubyte")}: header says 60000 images of 28x28 (47040000 bytes) but the file holds 41 bytes after the header; the file is truncated, download the file again.",
            error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LyingHeaderDoesNotAllocate(bool gzip)
    {
        using var temp = new TempFolder();
        byte[] raw = [.. Header(0x08, 1_000_000_000, 1, 1), .. new byte[84]]; // 100 bytes promising 10^9 images
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = ReadFails(temp, "liar-idx3-ubyte" + (gzip ? ".gz" : ""), gzip ? Gzip(raw) : raw);

        Assert.Contains("header says 1000000000 images of 1x1", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000, "reading a lying header allocated megabytes");
    }

    [Fact]
    public void HeaderBeyondMemoryIsAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("more than", ReadFails(temp, "huge-idx3", [.. Header(0x08, 4_000_000_000, 60_000, 60_000), 1, 2]).Message);
    }

    [Fact]
    public void TrailingBytesAreAnError()
    {
        using var temp = new TempFolder();
        var error = ReadFails(temp, "labels-idx1-ubyte", [.. Header(0x08, 3), 1, 2, 3, 4, 5]);
        Assert.Contains("header says 3 items (3 bytes) but the file holds 2 trailing bytes", error.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void TruncatedGzipIsAnError(double keep)
    {
        using var temp = new TempFolder();
        var data = new byte[20_000];
        new Random(1).NextBytes(data);
        var full = Gzip([.. Header(0x08, 20_000), .. data]);

        var error = ReadFails(temp, "labels-idx1-ubyte.gz", full[..(int)(full.Length * keep)]);

        Assert.Contains("gzip stream is truncated", error.Message);
    }

    [Fact]
    public void GzipCutInsideItsHeaderIsAnError()
    {
        using var temp = new TempFolder();
        Assert.Contains("gzip stream is truncated (12 bytes)", ReadFails(temp, "cut.gz", Gzip(Header(0x08, 1))[..12]).Message);
    }

    [Fact]
    public void CorruptGzipIsAnError()
    {
        using var temp = new TempFolder();
        var content = Gzip([.. Header(0x08, 1000), .. new byte[1000]]);
        for (var i = 10; i < content.Length - 8; i++) content[i] = 0xFF;
        var error = ReadFails(temp, "corrupt.gz", content);
        Assert.Contains("gzip stream is", error.Message);
    }

    [Fact]
    public void ImageAndLabelFilesMustAgree()
    {
        var images = new IdxArray([2, 2, 2], new byte[8]);
        Assert.Contains("holds 3 labels but images holds 2 images",
            Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx(images, "images", new IdxArray([3], new byte[3]), "labels", "x", ["a", "b"])).Message);
        Assert.Contains("label 7 at index 1",
            Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx(images, "images", new IdxArray([2], [0, 7]), "labels", "x", ["a", "b"])).Message);
        Assert.Contains("is this a labels file",
            Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx(new IdxArray([2], new byte[2]), "images", new IdxArray([2], new byte[2]), "labels", "x", ["a"])).Message);
    }
}
