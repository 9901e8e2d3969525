using System.IO.Compression;
using System.Text;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Interop;

/// <summary>The committed fixtures (tools/onnx-fixtures/make_fixtures.py) and small helpers.</summary>
static class InteropFixtures
{
    static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "GenAudit.sln")))
                return System.IO.Path.Combine(dir.FullName, "tests", "GenAudit.Tests", "Fixtures", "onnx");
        throw new DirectoryNotFoundException("GenAudit.sln not found above the test binaries");
    });

    public static string Path(string name) => System.IO.Path.Combine(Folder.Value, name);

    /// <summary>True when both tensors have the same shape and bit-identical values.</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>z ~ N(0, 1) of shape (batch, d) from a fixed seed.</summary>
    public static Tensor Latents(long seed, long batch, long d)
    {
        using var generator = new Generator((ulong)seed);
        return randn([batch, d], generator: generator);
    }

    /// <summary>nn.Sequential(Linear(in, hidden), Tanh(), Linear(hidden, out)) with the fixture's weights.</summary>
    public static nn.Module<Tensor, Tensor> TanhMlp(string weights, long input, long hidden, long output)
    {
        var model = nn.Sequential(("0", nn.Linear(input, hidden)), ("1", nn.Tanh()), ("2", nn.Linear(hidden, output)));
        ModuleWeights.Load(model, Path(weights));
        model.eval();
        return model;
    }
}

/// <summary>
/// Writes what torch.save(state_dict, path) writes: a zip with &lt;stem&gt;/data.pkl (pickle protocol 2:
/// an OrderedDict of torch._utils._rebuild_tensor_v2 calls whose storages are persistent ids) and
/// &lt;stem&gt;/data/&lt;key&gt; raw little-endian storages. Only for tests: it lets a round trip go
/// through the same bytes PyTorch would produce, without PyTorch.
/// </summary>
static class TorchSaveWriter
{
    static readonly Dictionary<ScalarType, string> StorageNames = new()
    {
        [ScalarType.Float32] = "FloatStorage", [ScalarType.Float64] = "DoubleStorage", [ScalarType.Int64] = "LongStorage",
        [ScalarType.Int32] = "IntStorage", [ScalarType.Byte] = "ByteStorage", [ScalarType.Bool] = "BoolStorage",
    };

    /// <summary>Saves <paramref name="stateDict"/>, or {wrapKey: stateDict, "epoch": 7} when <paramref name="wrapKey"/> is set.</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> stateDict, string? wrapKey = null)
    {
        var pickle = new MemoryStream();
        var storages = new List<byte[]>();
        void Op(byte b) => pickle.WriteByte(b);
        void Global(string module, string name) { Op((byte)'c'); pickle.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        void Str(string s) { var bytes = Encoding.UTF8.GetBytes(s); Op((byte)'X'); pickle.Write(BitConverter.GetBytes(bytes.Length)); pickle.Write(bytes); }
        void Int(long v) { Op((byte)'J'); pickle.Write(BitConverter.GetBytes(checked((int)v))); }
        void IntTuple(long[] values) { Op((byte)'('); foreach (var v in values) Int(v); Op((byte)'t'); }
        void EmptyOrderedDict() { Global("collections", "OrderedDict"); Op((byte)')'); Op((byte)'R'); }

        void StateDict()
        {
            EmptyOrderedDict();
            Op((byte)'(');
            foreach (var (name, tensor) in stateDict)
            {
                using var cpu = tensor.detach().cpu().contiguous();
                var bytes = new byte[cpu.NumberOfElements * cpu.ElementSize];
                cpu.bytes.CopyTo(bytes);
                var key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                storages.Add(bytes);
                Str(name);
                Global("torch._utils", "_rebuild_tensor_v2");
                Op((byte)'(');
                Op((byte)'('); Str("storage"); Global("torch", StorageNames[cpu.dtype]); Str(key); Str("cpu"); Int(cpu.NumberOfElements); Op((byte)'t');
                Op((byte)'Q');                                                  // BINPERSID
                Int(0);                                                         // storage offset
                IntTuple(cpu.shape);
                IntTuple(cpu.stride());
                Op(0x89);                                                       // requires_grad = False
                EmptyOrderedDict();                                             // backward hooks
                Op((byte)'t');
                Op((byte)'R');
            }
            Op((byte)'u');                                                      // SETITEMS
        }

        pickle.Write([0x80, 0x02]);
        if (wrapKey is null) StateDict();
        else
        {
            Op((byte)'}'); Op((byte)'(');
            Str(wrapKey); StateDict();
            Str("epoch"); Int(7);
            Op((byte)'u');
        }
        Op((byte)'.');

        var stem = System.IO.Path.GetFileNameWithoutExtension(path);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] data)
        {
            using var stream = archive.CreateEntry($"{stem}/{name}", CompressionLevel.NoCompression).Open();
            stream.Write(data);
        }
        Entry("data.pkl", pickle.ToArray());
        Entry("byteorder", "little"u8.ToArray());
        for (int i = 0; i < storages.Count; i++) Entry($"data/{i}", storages[i]);
        Entry("version", "3\n"u8.ToArray());
    }
}
