using GenAudit.Core;
using GenAudit.Interop;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Tests.Data;
using GenAudit.Training;
using TorchSharp;
using static GenAudit.Tests.Interop.InteropFixtures;
using static TorchSharp.torch;

namespace GenAudit.Tests.Interop;

public class ModelImportTests
{
    [Fact]
    public void AnImportedOnnxRunLoadsThroughRunLoaderAndGeneratesLikeTheFile()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var runPath = folder.File("run");
        ModelImport.ImportOnnx(InteropFixtures.Path("conditional.onnx"), new OnnxGeneratorOptions { LatentSize = 4, ConditionCount = 3 }, runPath);

        var manifest = Json.ReadFile<RunManifest>(System.IO.Path.Combine(runPath, "manifest.json"));
        Assert.Equal("onnx", manifest.Source);
        Assert.Equal("conditional.onnx", manifest.Import!.OriginalFile);
        Assert.Equal(Checkpoint.Sha256(InteropFixtures.Path("conditional.onnx")), manifest.Import.Sha256);
        Assert.Equal(["z", "label"], manifest.Import.InputNames!);
        Assert.Equal(ConditionEncoding.Labels, manifest.Import.ConditionEncoding);
        Assert.Equal([2L], manifest.Config.Model.DataShape);

        using var run = RunLoader.Load(runPath);
        Assert.IsType<OnnxGenerator>(run.Generator);
        Assert.Null(run.Discriminator);
        Assert.Equal((4, 3), (run.Generator.LatentSize, run.Generator.ConditionCount));
        using var direct = OnnxGenerator.Load(InteropFixtures.Path("conditional.onnx"), new OnnxGeneratorOptions { LatentSize = 4, ConditionCount = 3 });
        var z = Latents(1, 9, 4);
        var y = arange(9, dtype: ScalarType.Int64) % 3;
        Assert.True(Same(direct.Generate(z, y), run.Generator.Generate(z, y)));
    }

    [Fact]
    public void ATamperedOnnxCopyIsRefusedOnLoad()
    {
        using var folder = new TempFolder();
        var runPath = folder.File("run");
        ModelImport.ImportOnnx(InteropFixtures.Path("mlp2d.onnx"), new OnnxGeneratorOptions { LatentSize = 4 }, runPath);
        File.AppendAllText(System.IO.Path.Combine(runPath, "model.onnx"), " ");
        var error = Assert.Throws<InvalidDataException>(() => RunLoader.Load(runPath));
        Assert.Contains("does not match the SHA-256 in manifest.json", error.Message);
        Assert.Contains("already holds a run", Assert.Throws<ArgumentException>(() =>
            ModelImport.ImportOnnx(InteropFixtures.Path("mlp2d.onnx"), new OnnxGeneratorOptions { LatentSize = 4 }, runPath)).Message);
    }

    [Fact]
    public void AFailedImportLeavesNoRunBehind()
    {
        using var folder = new TempFolder();
        var runPath = folder.File("run");
        Assert.Throws<InvalidDataException>(() => ModelImport.ImportOnnx(InteropFixtures.Path("mlp2d.onnx"), new OnnxGeneratorOptions { LatentSize = 3 }, runPath));
        Assert.Throws<InvalidDataException>(() => ModelImport.ImportPyTorch(InteropFixtures.Path("mlp_gan.pt"), "gan:mlp:latent=4,width=16,data=2", runPath));
        Assert.False(File.Exists(System.IO.Path.Combine(runPath, "manifest.json")));
    }

    [Fact]
    public void TheScriptsTorchSaveFileAndSafetensorsImportToTheSameGeneratorAsNumpysForwardPass()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        const string arch = "gan:mlp:latent=4,width=8,data=2";
        ModelImport.ImportPyTorch(InteropFixtures.Path("mlp_gan.pt"), arch, folder.File("pt"));
        ModelImport.ImportPyTorch(InteropFixtures.Path("mlp_gan.safetensors"), arch, folder.File("st"));
        var io = GenAudit.Models.SafeTensors.Load(InteropFixtures.Path("mlp_gan_io.safetensors"));
        using var fromPt = RunLoader.Load(folder.File("pt"));
        using var fromSafetensors = RunLoader.Load(folder.File("st"));
        Assert.Equal("pytorch", fromPt.Manifest.Source);
        Assert.Equal("torch.save", fromPt.Manifest.Import!.Format);
        Assert.Equal(arch, fromPt.Manifest.Import.Architecture);
        Assert.Null(fromPt.Discriminator);
        using var noGrad = no_grad();
        var a = fromPt.Generator.Generate(io["z"]);
        var b = fromSafetensors.Generator.Generate(io["z"]);
        Assert.True(Same(a, b));
        Assert.True((a - io["x"]).abs().max().item<float>() < 1e-6f);
    }

    public static TheoryData<string> RoundTripArchitectures => new()
    {
        "gan:mlp:latent=4,width=8,data=2",
        "gan:conv:latent=6,width=4,shape=1x8x8,conditions=3,embedding=5",
        "vae:mlp:latent=3,width=8,data=2,conditions=2",
    };

    [Theory]
    [MemberData(nameof(RoundTripArchitectures))]
    public void AModelSavedAsTorchSaveAndAsSafetensorsImportsToIdenticalSamples(string arch)
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var config = ArchitectureSpec.Parse(arch);
        torch.manual_seed(42);
        using var original = config.IsGan ? (nn.Module)new GanGenerator(config) : new Vae(config);
        if (original is GanGenerator g)
        {
            // One training-mode pass gives the batch-norm buffers non-default values worth round-tripping.
            g.train();
            using (no_grad()) g.Generate(Latents(9, 16, config.LatentSize), config.IsConditional ? arange(16, dtype: ScalarType.Int64) % config.ConditionCount : null);
        }
        original.eval();
        TorchSaveWriter.Save(folder.File("weights.pt"), original.state_dict().Select(kv => (kv.Key, kv.Value)));
        ModuleWeights.Save(original, folder.File("weights.safetensors"));
        ModelImport.ImportPyTorch(folder.File("weights.pt"), arch, folder.File("pt"));
        ModelImport.ImportPyTorch(folder.File("weights.safetensors"), arch, folder.File("st"));

        var z = Latents(3, 7, config.LatentSize);
        var y = config.IsConditional ? arange(7, dtype: ScalarType.Int64) % config.ConditionCount : null;
        using var noGrad = no_grad();
        var expected = ((IGenerativeModel)original).Generate(z, y);
        foreach (var run in new[] { "pt", "st" })
        {
            using var loaded = RunLoader.Load(folder.File(run));
            Assert.True(Same(expected, loaded.Generator.Generate(z, y)), $"{run} import differs from the original");
        }
    }

    [Fact]
    public void ACheckpointDictNeedsTheKeyOfItsStateDict()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var config = ArchitectureSpec.Parse("gan:mlp:latent=4,width=8,data=2");
        using var original = new GanGenerator(config);
        TorchSaveWriter.Save(folder.File("checkpoint.pt"), original.state_dict().Select(kv => (kv.Key, kv.Value)), wrapKey: "generator");

        var error = Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("checkpoint.pt")));
        Assert.Equal("checkpoint.pt: the checkpoint is not a flat state dict; it holds 'generator' (dict), 'epoch' (int); the state dict is probably under --key 'generator'", error.Message);
        Assert.Contains("--key 'gen' is not in the checkpoint; its entries are 'generator' (dict), 'epoch' (int)",
            Assert.Throws<InvalidDataException>(() => PyTorchStateDict.Load(folder.File("checkpoint.pt"), "gen")).Message);

        ModelImport.ImportPyTorch(folder.File("checkpoint.pt"), "gan:mlp:latent=4,width=8,data=2", folder.File("run"), key: "generator");
        using var run = RunLoader.Load(folder.File("run"));
        Assert.Equal("generator", run.Manifest.Import!.Key);
        var z = Latents(1, 4, 4);
        using var noGrad = no_grad();
        Assert.True(Same(original.Generate(z), run.Generator.Generate(z)));
    }

    [Fact]
    public void DataParallelWeightsLoseTheirModulePrefix()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        const string arch = "gan:mlp:latent=4,width=8,data=2";
        using var original = new GanGenerator(ArchitectureSpec.Parse(arch));
        TorchSaveWriter.Save(folder.File("ddp.pt"), original.state_dict().Select(kv => ("module." + kv.Key, kv.Value)));
        ModelImport.ImportPyTorch(folder.File("ddp.pt"), arch, folder.File("run"));
        using var run = RunLoader.Load(folder.File("run"));
        Assert.Equal("module.", run.Manifest.Import!.StrippedPrefix);
        var z = Latents(2, 3, 4);
        using var noGrad = no_grad();
        Assert.True(Same(original.Generate(z), run.Generator.Generate(z)));

        // A prefix on only some keys is not a wrapper's: nothing is renamed and the mismatch is reported.
        TorchSaveWriter.Save(folder.File("mixed.pt"), original.state_dict().Select((kv, i) => (i == 0 ? "module." + kv.Key : kv.Key, kv.Value)));
        var error = Assert.Throws<InvalidDataException>(() => ModelImport.ImportPyTorch(folder.File("mixed.pt"), arch, folder.File("mixed")));
        Assert.Contains("unexpected: module.net.0.", error.Message);
    }

    [Fact]
    public void WeightsForAnotherArchitectureListTheOffendingKeys()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<InvalidDataException>(() => ModelImport.ImportPyTorch(InteropFixtures.Path("mlp_gan.pt"), "gan:mlp:latent=4,width=16,data=2", folder.File("run")));
        Assert.StartsWith("mlp_gan.pt: the weights do not fit this architecture; wrong shape: net.0.weight (model [16, 4], file [8, 4])", error.Message);
        error = Assert.Throws<InvalidDataException>(() => ModelImport.ImportPyTorch(InteropFixtures.Path("mlp2d.safetensors"), "gan:mlp:latent=4,width=8,data=2", folder.File("run")));
        Assert.Contains("missing: net.0.weight", error.Message);
        Assert.Contains("unexpected: 0.bias", error.Message);
    }
}
