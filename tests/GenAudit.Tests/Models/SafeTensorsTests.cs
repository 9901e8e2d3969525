using System.Text;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Models;

public class SafeTensorsTests
{
    static string TempFile() => Path.Combine(Path.GetTempPath(), $"genaudit-st-{Guid.NewGuid():N}.safetensors");

    /// <summary>Builds a safetensors file by hand, byte by byte, as the format specification describes it.</summary>
    static byte[] HandMade(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)json.Length));
        bytes.AddRange(json);
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    [Fact]
    public void ReadsAFileWrittenFromTheSpecification()
    {
        var path = TempFile();
        try
        {
            var data = new List<byte>();
            foreach (var v in new float[] { 1.5f, -2f, 3.25f, 0f, 7f, 8f }) data.AddRange(BitConverter.GetBytes(v));
            data.AddRange(BitConverter.GetBytes(42L));
            File.WriteAllBytes(path, HandMade(
                """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"n":{"dtype":"I64","shape":[],"data_offsets":[24,32]}}""",
                data.ToArray()));
            var tensors = SafeTensors.Load(path, out var metadata);
            Assert.Equal("pt", metadata["format"]);
            Assert.Equal(new long[] { 2, 3 }, tensors["w"].shape);
            Assert.Equal(new float[] { 1.5f, -2f, 3.25f, 0f, 7f, 8f }, tensors["w"].data<float>().ToArray());
            Assert.Equal(42L, tensors["n"].item<long>());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RoundTripsAModuleWithPyTorchNames()
    {
        var path = TempFile();
        try
        {
            var config = new ModelConfig { Family = ModelFamily.Cgan, DataShape = [1, 8, 8], ConditionCount = 3, LatentSize = 4, Width = 4, EmbeddingSize = 2, SpectralNorm = true };
            using var d = new GanDiscriminator(config);
            ModuleWeights.Save(d, path);
            var names = SafeTensors.Load(path).Keys.Order().ToArray();
            Assert.Contains("body.0.weight_orig", names);
            Assert.Contains("body.0.weight_u", names);
            Assert.Contains("body.0.weight_v", names);
            Assert.Contains("head.weight_orig", names);
            Assert.Contains("embed.weight", names);

            using var copy = new GanDiscriminator(config);
            ModuleWeights.Load(copy, path);
            foreach (var (key, tensor) in d.state_dict()) Assert.True(tensor.equal(copy.state_dict()[key]).all().item<bool>(), key);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MismatchedArchitectureListsTheKeys()
    {
        var path = TempFile();
        try
        {
            using var small = new GanGenerator(new ModelConfig { LatentSize = 4, Width = 8 });
            ModuleWeights.Save(small, path);
            using var wide = new GanGenerator(new ModelConfig { LatentSize = 4, Width = 16 });
            var error = Assert.Throws<InvalidDataException>(() => ModuleWeights.Load(wide, path));
            Assert.Contains("wrong shape: net.0.weight (model [16, 4], file [8, 4])", error.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("lying-header", "exceeds the file")]
    [InlineData("overlap", "gaps or overlaps")]
    [InlineData("bad-json", "not valid JSON")]
    [InlineData("shape", "needs 8 bytes but data_offsets span 4")]
    public void MalformedFilesGiveSpecificErrors(string kind, string expected)
    {
        var path = TempFile();
        try
        {
            var four = new byte[4];
            byte[] bytes = kind switch
            {
                "truncated" => HandMade("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", four),
                "lying-header" => BitConverter.GetBytes(1_000_000UL).Concat(new byte[16]).ToArray(),
                "overlap" => HandMade("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", four),
                "bad-json" => HandMade("{not json", four),
                _ => HandMade("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", four),
            };
            File.WriteAllBytes(path, bytes);
            var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.Contains(expected, error.Message);
            Assert.StartsWith(Path.GetFileName(path), error.Message);
        }
        finally { File.Delete(path); }
    }
}
