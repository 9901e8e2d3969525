using System.Security.Cryptography;

namespace GenAudit.Tests.Build;

/// <summary>The build-time fix of libLibTorchSharp.so (build/LibStdCxxCompat.cs, run by Directory.Build.targets).</summary>
public class LibStdCxxCompatTests
{
    static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static string PackageOriginal()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void ShippedLibraryIsPatchedOnceAndThenLeftAlone()
    {
        if (!OperatingSystem.IsLinux()) return;
        var original = File.ReadAllBytes(PackageOriginal());
        var bytes = (byte[])original.Clone();

        Assert.Equal(LibStdCxxPatchResult.Patched, LibStdCxxCompat.PatchBytes(bytes, "copy"));
        Assert.NotEqual(SHA256.HashData(original), SHA256.HashData(bytes));
        // Only the version flag, the version index and the 28 bytes of the symbol name may change.
        int changed = original.Zip(bytes).Count(p => p.First != p.Second);
        Assert.InRange(changed, 3, 2 + 2 + LibStdCxxCompat.MissingSymbol.Length);

        var once = (byte[])bytes.Clone();
        Assert.Equal(LibStdCxxPatchResult.AlreadyPatched, LibStdCxxCompat.PatchBytes(bytes, "copy"));
        Assert.Equal(once, bytes);
        Assert.Contains("sched_yield\0", System.Text.Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void BuildOutputCarriesThePatchWhereTheSystemNeedsIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        var copy = File.ReadAllBytes(OutputCopy);
        var expected = LibStdCxxCompat.SystemLibStdCxxLacksVersion(out _) ? LibStdCxxPatchResult.AlreadyPatched : LibStdCxxPatchResult.Patched;
        Assert.Equal(expected, LibStdCxxCompat.PatchBytes((byte[])copy.Clone(), "output copy"));
        // The NuGet cache is never touched.
        Assert.Equal(LibStdCxxPatchResult.Patched, LibStdCxxCompat.PatchBytes(File.ReadAllBytes(PackageOriginal()), "package"));
    }

    [Fact]
    public void PatchingTheFileTwiceLeavesItByteForByteUnchanged()
    {
        if (!OperatingSystem.IsLinux()) return;
        var temp = Path.Combine(Path.GetTempPath(), $"genaudit-patch-{Guid.NewGuid():N}.so");
        try
        {
            File.Copy(PackageOriginal(), temp);
            Assert.Equal(LibStdCxxPatchResult.Patched, LibStdCxxCompat.Patch(temp));
            var first = File.ReadAllBytes(temp);
            var written = File.GetLastWriteTimeUtc(temp);
            Assert.Equal(LibStdCxxPatchResult.AlreadyPatched, LibStdCxxCompat.Patch(temp));
            Assert.Equal(first, File.ReadAllBytes(temp));
            Assert.Equal(written, File.GetLastWriteTimeUtc(temp));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Theory]
    [InlineData("not an ELF file")]
    [InlineData("truncated")]
    public void MalformedFilesAreRefusedWithoutWriting(string kind)
    {
        if (!OperatingSystem.IsLinux()) return;
        var bytes = kind == "truncated"
            ? File.ReadAllBytes(PackageOriginal())[..4096]
            : System.Text.Encoding.ASCII.GetBytes(new string('x', 200));
        var before = (byte[])bytes.Clone();
        var error = Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.PatchBytes(bytes, "lib.so"));
        Assert.StartsWith("lib.so: ", error.Message);
        Assert.Contains(kind == "truncated" ? "outside the file" : "not an ELF file", error.Message);
        Assert.Equal(before, bytes);
    }
}
