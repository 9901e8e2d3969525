using System.IO.Compression;
using GenAudit.Interop;
using GenAudit.Tests.Data;
using TorchSharp;
using static GenAudit.Tests.Interop.InteropFixtures;

namespace GenAudit.Tests.Interop;

public class PyTorchStateDictTests
{
    [Fact]
    public void TheScriptsCheckpointReadsWithStridesOffsetsAndSharedStorages()
    {
        var tensors = PyTorchStateDict.Load(InteropFixtures.Path("mlp_gan.pt"));
        var reference = GenAudit.Models.SafeTensors.Load(InteropFixtures.Path("mlp_gan.safetensors"));
        Assert.Equal(reference.Keys.Order(), tensors.Keys.Order());
        foreach (var (name, tensor) in reference)
            Assert.True(Same(tensor, tensors[name]), name);
        Assert.True(tensors["net.2.weight"].is_contiguous());
    }

    [Fact]
    public void APickleThatImportsOsSystemIsRefusedByName()
    {
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(InteropFixtures.Path("malicious.pt")));
        Assert.Equal("malicious.pt (malicious/data.pkl): refusing to load: the pickle imports os.system; a .pt file may hold only tensors and plain containers (tensors, OrderedDict, dict, list, tuple, numbers, strings)", error.Message);
    }

    [Fact]
    public void AWholePickledModuleIsRefusedWithTheStateDictHint()
    {
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(InteropFixtures.Path("whole_module.pt")));
        Assert.Contains("refusing to load: the pickle imports torch.nn.modules.linear.Linear", error.Message);
        Assert.EndsWith("save model.state_dict() instead of the model", error.Message);
    }

    [Theory]
    [InlineData("cbuiltins\neval\n(X\u0004\u0000\u0000\u00001+1\u0000tR.", "the pickle imports builtins.eval")]
    [InlineData("\u0080\u0002ctorch._utils\n_rebuild_tensor_v2\n)\u0081.", "instantiates an arbitrary class")]
    [InlineData("\u0080\u0002(ios\nsystem\n.", "the pickle imports os.system")]
    [InlineData("\u0080\u0002\u0082\u0001.", "extension registry")]
    [InlineData("\u0080\u0002ctorch\nFloatStorage\n)R.", "refusing to load: the pickle calls torch.FloatStorage")]
    [InlineData("\u0080\u0002}q\u0000(X\u0001\u0000\u0000\u0000aK\u0001u", "the pickle ends without a STOP opcode")]
    [InlineData("\u0080\u0002X\u00FF\u0000\u0000\u0000ab.", "runs past the end of the pickle")]
    public void OtherHostileOrBrokenPicklesAreRefused(string pickle, string expected)
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.pt");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var stream = archive.CreateEntry("bad/data.pkl", CompressionLevel.NoCompression).Open())  // stored, as torch.save writes
            stream.Write(System.Text.Encoding.Latin1.GetBytes(pickle));
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(path));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TruncatedLegacyForeignAndMissingStorageFilesAreClearErrors()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(InteropFixtures.Path("mlp_gan.pt"));
        File.WriteAllBytes(folder.File("truncated.pt"), bytes[..(bytes.Length - 200)]);
        File.WriteAllBytes(folder.File("legacy.pt"), [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc]);
        File.WriteAllText(folder.File("text.pt"), "hello");
        File.WriteAllBytes(folder.File("empty.pt"), []);
        Assert.Equal("truncated.pt: the zip archive is truncated or corrupt (its central directory cannot be read); copy the file again",
            Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("truncated.pt"))).Message);
        Assert.StartsWith("legacy.pt: a legacy torch.save file (PyTorch before 1.6",
            Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("legacy.pt"))).Message);
        Assert.StartsWith("text.pt: not a torch.save checkpoint",
            Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("text.pt"))).Message);
        Assert.Equal("empty.pt: the file is empty",
            Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("empty.pt"))).Message);
        Assert.Contains("expected a .pt, .pth or .bin file",
            Assert.Throws<ArgumentException>(() => PyTorchStateDict.Load(InteropFixtures.Path("mlp2d.onnx"))).Message);

        // A zip whose storage entry was lost.
        var copy = folder.File("nostorage.pt");
        File.Copy(InteropFixtures.Path("mlp_gan.pt"), copy);
        using (var archive = ZipFile.Open(copy, ZipArchiveMode.Update)) archive.GetEntry("mlp_gan/data/3")!.Delete();
        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(copy));
        Assert.Contains("refers to storage mlp_gan/data/3, which is missing", error.Message);
    }

    [Fact]
    public void ATruncatedSafetensorsFileIsAClearError()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(InteropFixtures.Path("mlp_gan.safetensors"));
        File.WriteAllBytes(folder.File("cut.safetensors"), bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("cut.safetensors"))).Message);
    }
}
