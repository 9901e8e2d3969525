using System.Buffers.Binary;
using System.IO.Compression;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Interop;
using GenAudit.Models;
using GenAudit.Tests.Data;
using GenAudit.Tests.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Hardening;

/// <summary>Issue #18, "bombs and bounds": each test is a file that today's readers mishandled.</summary>
public class LoaderBoundsTests
{
    [Fact]
    public void APngDeclaring60000By60000PixelsIsSkippedAndCountedNotFatal()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("a"));
        File.WriteAllBytes(temp.File("a/good.png"), Crafted.SmallPng(200));
        var bomb = Crafted.PngHeader(60_000, 60_000);
        Assert.True(bomb.Length < 1000);
        File.WriteAllBytes(temp.File("a/bomb.png"), bomb);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var dataset = ImageFolderDataset.Load(temp.Path, 4);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16 << 20);

        Assert.Equal(1, dataset.Count);
        var skipped = Assert.Single(dataset.SkippedFiles);
        Assert.EndsWith("bomb.png", skipped.Path);
        Assert.Contains("60000x60000", skipped.Reason);
    }

    [Theory]
    [InlineData(8000, 8000, true)]     // 64,000,000: exactly the cap
    [InlineData(8001, 8000, false)]
    [InlineData(int.MaxValue, 2, false)]
    [InlineData(0, 5, false)]
    public void ThePixelCapIsWidthTimesHeightInSixtyFourBits(int width, int height, bool admitted) =>
        Assert.Equal(admitted, ImageFolderDataset.CheckPixelBudget(new SkiaSharp.SKImageInfo(width, height)) is null);

    [Fact]
    public void AGzipIdxThatInflatesPastItsTrailerStopsAfterOneBuffer()
    {
        using var temp = new TempFolder();
        // 64 MB of zeros after a header that declares them, with a trailer that records 1,000 bytes:
        // today's reader inflates all 64 MB before comparing with the trailer.
        const int size = 64 << 20;
        var content = Crafted.Idx([size], new byte[size]);
        File.WriteAllBytes(temp.File("bomb.gz"), Crafted.GzipWithTrailer(content, 1000));
        content = null;
        GC.Collect();

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(temp.File("bomb.gz")));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 4 << 20, "the reader held more than a few MB");
        Assert.Contains("bomb.gz", error.Message);
        Assert.Contains("1000 bytes its trailer records", error.Message);
    }

    [Fact]
    public void AGzipIdxWhoseTrailerRecordsMoreThanTheCapIsRefusedBeforeInflating()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("big.gz"), Crafted.GzipWithTrailer(Crafted.Idx([4], [1, 2, 3, 4]), uint.MaxValue));
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(temp.File("big.gz")));
        Assert.Contains($"{uint.MaxValue} decompressed bytes", error.Message);
    }

    [Fact]
    public void ANpyShapeWhoseByteCountWrapsAroundTo64BitsIsRefused()
    {
        using var temp = new TempFolder();
        // (2^62 + 1) × 4 bytes = 2^64 + 4, which wraps to 4: today's check compares 4 with the 4 bytes present.
        const long count = (1L << 62) + 1;
        File.WriteAllBytes(temp.File("wrap.npy"), Crafted.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count},), }}", new byte[4]));
        var error = Assert.Throws<InvalidDataException>(() => Npy.Read(temp.File("wrap.npy")));
        Assert.Contains("wrap.npy", error.Message);
        Assert.Contains("more than 2^63", error.Message);
    }

    [Fact]
    public void ADeflatedTorchZipIsRefusedBeforeInflating()
    {
        using var temp = new TempFolder();
        var deflated = temp.File("deflated.pt");
        using (var source = ZipFile.OpenRead(InteropFixtures.Path("mlp_gan.pt")))
        using (var target = ZipFile.Open(deflated, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var to = target.CreateEntry(entry.FullName, CompressionLevel.SmallestSize).Open();
                from.CopyTo(to);
            }
        }
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(deflated));
        Assert.Contains("deflated.pt", error.Message);
        Assert.Contains("is compressed", error.Message);
    }

    [Fact]
    public void ATorchZipWhosePickleClaimsNearlyTwoGiBIsRefusedWithoutAllocating()
    {
        using var temp = new TempFolder();
        var path = temp.File("huge.pt");
        const uint length = 2_000_000_000;
        SparseStoredZip(path, "huge/data.pkl", length);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16 << 20, "the reader allocated for the claimed entry");
        Assert.Contains("huge.pt", error.Message);
        Assert.Contains("2,000,000,000", error.Message);
    }

    /// <summary>A zip (APPNOTE 6.3: local header, data, central directory, end record) with one stored entry of <paramref name="length"/> zero bytes, written sparsely.</summary>
    static void SparseStoredZip(string path, string name, uint length)
    {
        var nameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        using var file = new FileStream(path, FileMode.CreateNew);
        var writer = new BinaryWriter(file);
        writer.Write(0x04034b50u); writer.Write((ushort)20); writer.Write((ushort)0); writer.Write((ushort)0);
        writer.Write(0u); writer.Write(0u); writer.Write(length); writer.Write(length);
        writer.Write((ushort)nameBytes.Length); writer.Write((ushort)0); writer.Write(nameBytes);
        writer.Flush();
        file.Seek(length, SeekOrigin.Current);
        var central = file.Position;
        writer.Write(0x02014b50u); writer.Write((ushort)20); writer.Write((ushort)20); writer.Write((ushort)0); writer.Write((ushort)0);
        writer.Write(0u); writer.Write(0u); writer.Write(length); writer.Write(length);
        writer.Write((ushort)nameBytes.Length); writer.Write((ushort)0); writer.Write((ushort)0); writer.Write((ushort)0); writer.Write((ushort)0);
        writer.Write(0u); writer.Write(0u); writer.Write(nameBytes);
        var centralSize = file.Position - central;
        writer.Write(0x06054b50u); writer.Write((ushort)0); writer.Write((ushort)0); writer.Write((ushort)1); writer.Write((ushort)1);
        writer.Write((uint)centralSize); writer.Write((uint)central); writer.Write((ushort)0);
        writer.Flush();
    }

    [Fact]
    public void SafeTensorsWithADuplicateKeyIsRefused()
    {
        using var temp = new TempFolder();
        // Two entries named "a" covering the data contiguously: today the second silently wins.
        File.WriteAllBytes(temp.File("dup.safetensors"), Crafted.SafeTensors(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]));
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(temp.File("dup.safetensors")));
        Assert.Contains("dup.safetensors", error.Message);
        Assert.Contains("'a' twice", error.Message);
    }

    [Theory]
    [InlineData("""{"__metadata__":{"format":7}}""", "entry 'format' is a JSON number")]
    [InlineData("""{"__metadata__":["pt"]}""", "__metadata__ is a JSON array")]
    public void NonStringSafeTensorsMetadataIsInvalidData(string header, string expected)
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("meta.safetensors"), Crafted.SafeTensors(header, []));
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(temp.File("meta.safetensors")));
        Assert.Contains("meta.safetensors", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void LoadIntoRefusesADtypeThatDiffersFromTheModule()
    {
        TorchRuntime.EnsureLoaded();
        using var linear = nn.Linear(2, 1);
        var tensors = new Dictionary<string, Tensor> { ["weight"] = zeros(1, 2, ScalarType.Float64), ["bias"] = zeros(1) };
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ModuleWeights.LoadInto(linear, tensors, "doubles.safetensors"));
            Assert.Contains("doubles.safetensors", error.Message);
            Assert.Contains("wrong dtype: weight (model Float32, file Float64)", error.Message);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
