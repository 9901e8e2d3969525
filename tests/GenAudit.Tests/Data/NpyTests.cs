using System.Text;
using GenAudit.Core;
using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class NpyTests
{
    static byte[] Npy(string header, int dataBytes)
    {
        var padded = header + new string(' ', 63 - (10 + header.Length) % 64) + "\n";
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)padded.Length, (byte)(padded.Length >> 8), .. Encoding.ASCII.GetBytes(padded), .. new byte[dataBytes]];
    }

    static string ReadFails(TempFolder temp, byte[] content)
    {
        File.WriteAllBytes(temp.File("bad.npy"), content);
        var error = Assert.Throws<InvalidDataException>(() => GenAudit.Data.Npy.Read(temp.File("bad.npy")));
        Assert.Contains("bad.npy", error.Message);
        return error.Message;
    }

    [Fact]
    public void Float32AndInt64RoundTrip()
    {
        using var temp = new TempFolder();
        GenAudit.Data.Npy.Write(temp.File("f.npy"), [1.5f, -2f, 3.25f, 0f, 1e-7f, 9f], [2, 3]);
        GenAudit.Data.Npy.Write(temp.File("i.npy"), [5L, -1L, long.MaxValue], [3]);

        var f = GenAudit.Data.Npy.Read(temp.File("f.npy"));
        var i = GenAudit.Data.Npy.Read(temp.File("i.npy"));

        Assert.Equal([2L, 3], f.Shape);
        Assert.Equal([1.5f, -2f, 3.25f, 0f, 1e-7f, 9f], f.Float32!);
        Assert.Null(f.Int64);
        Assert.Equal([3L], i.Shape);
        Assert.Equal([5L, -1L, long.MaxValue], i.Int64!);
        var bytes = File.ReadAllBytes(temp.File("i.npy"));
        Assert.Equal(0, (bytes.Length - 24) % 64); // NumPy aligns the data to 64 bytes
        Assert.Contains("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void TensorRoundTrip()
    {
        TorchRuntime.EnsureLoaded();
        using var temp = new TempFolder();
        using var images = rand(2, 1, 3, 3);
        GenAudit.Data.Npy.Write(temp.File("t.npy"), images);

        using var back = GenAudit.Data.Npy.Read(temp.File("t.npy")).ToTensor();

        Assert.Equal(images.shape, back.shape);
        Assert.Equal(images.data<float>().ToArray(), back.data<float>().ToArray());
    }

    [Fact]
    public void ReadsHeadersWrittenByNumPy()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("np.npy"), Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", 8));
        Assert.Equal([2L, 1], GenAudit.Data.Npy.Read(temp.File("np.npy")).Shape);
    }

    [Fact]
    public void MalformedFilesAreSpecificErrors()
    {
        using var temp = new TempFolder();
        Assert.Contains("not a .npy file", ReadFails(temp, "PK\u0003\u0004 not numpy"u8.ToArray()));
        Assert.Contains("not a Python dict", ReadFails(temp, Npy("descr <f4", 0)));
        Assert.Contains("lacks 'descr', 'fortran_order' or 'shape'", ReadFails(temp, Npy("{'descr': '<f4', 'shape': (2,), }", 8)));
        Assert.Contains("dtype '<f8' is not supported", ReadFails(temp, Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16)));
        Assert.Contains("Fortran order", ReadFails(temp, Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)));
        Assert.Contains("header says shape (1000000000, 3) of <f4 (12000000000 bytes) but the file holds 8 bytes",
            ReadFails(temp, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 3), }", 8)));
        Assert.Contains("truncated", ReadFails(temp, Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8)[..20]));
    }
}
