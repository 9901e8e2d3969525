using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header of
/// name → dtype, shape, data offsets, then the raw little-endian data), so PyTorch's
/// <c>safetensors.torch.load_file</c> reads GenAudit weights and GenAudit reads PyTorch's.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header GenAudit accepts (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    static readonly Dictionary<ScalarType, (string Name, int Size)> Types = new()
    {
        [ScalarType.Float32] = ("F32", 4),
        [ScalarType.Float64] = ("F64", 8),
        [ScalarType.Float16] = ("F16", 2),
        [ScalarType.BFloat16] = ("BF16", 2),
        [ScalarType.Int64] = ("I64", 8),
        [ScalarType.Int32] = ("I32", 4),
        [ScalarType.Int16] = ("I16", 2),
        [ScalarType.Int8] = ("I8", 1),
        [ScalarType.Byte] = ("U8", 1),
        [ScalarType.Bool] = ("BOOL", 1),
    };

    /// <summary>Writes <paramref name="tensors"/> (sorted by name) atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<(string Name, string Dtype, long[] Shape, byte[] Data)>();
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!Types.TryGetValue(tensor.dtype, out var type)) throw new NotSupportedException($"{name}: dtype {tensor.dtype} has no safetensors name");
            using var cpu = tensor.detach().cpu().contiguous();
            var bytes = new byte[cpu.NumberOfElements * type.Size];
            cpu.bytes.CopyTo(bytes);
            entries.Add((name, type.Name, cpu.shape, bytes));
        }

        using var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, data) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += data.Length;
            }
            json.WriteEndObject();
        }
        var header = headerBuffer.ToArray();
        int padding = (int)((8 - header.Length % 8) % 8);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + padding));
            stream.Write(length);
            stream.Write(header);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var entry in entries) stream.Write(entry.Data);
        });
    }

    /// <summary>
    /// Reads every tensor in <paramref name="path"/>. The header is validated before any data is
    /// read: a truncated file, a lying header, overlapping or out-of-range offsets, or a shape that
    /// does not match its byte count is an <see cref="InvalidDataException"/> naming the file and key.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor and the "__metadata__" strings.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        var name = Path.GetFileName(path);
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        if (fileLength < 8) throw new InvalidDataException($"{name}: {fileLength} bytes is too short for a safetensors file (8-byte header length missing)");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw new InvalidDataException($"{name}: header length {headerLength} exceeds the file ({fileLength} bytes); the file is truncated or not safetensors");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        // JsonDocument leaves invalid UTF-8 inside names and strings to be found when they are read (found by fuzzing).
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new InvalidDataException($"{name}: the header is not valid UTF-8; not a safetensors file");
        JsonDocument document;
        try { document = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}); not a safetensors file"); }

        metadata = new Dictionary<string, string>();
        var specs = new List<(string Key, ScalarType Type, long[] Shape, long Begin, long End)>();
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{name}: the header is not a JSON object");
            // JSON allows a key twice and System.Text.Json keeps both; the reference implementation
            // refuses such headers, and so does GenAudit, since either reading would be a guess.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                // A JSON escape of a lone surrogate ("\udc00") is valid JSON but no string; reading such a name throws.
                try { _ = property.Name; }
                catch (InvalidOperationException e) { throw new InvalidDataException($"{name}: the header holds a name that is not a string ({e.Message})"); }
                if (!seen.Add(property.Name)) throw new InvalidDataException($"{name}: the header names '{property.Name}' twice; the file is corrupt or was edited by hand");
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(name, property.Value, metadata);
                    continue;
                }
                specs.Add(ParseEntry(name, property));
            }
        }

        long expected = 0;
        foreach (var spec in specs.OrderBy(s => s.Begin))
        {
            if (spec.Begin != expected) throw new InvalidDataException($"{name}: tensor '{spec.Key}' starts at byte {spec.Begin}, expected {expected} (gaps or overlaps in data_offsets)");
            expected = spec.End;
        }
        if (expected != dataLength)
            throw new InvalidDataException($"{name}: the header describes {expected} bytes of tensor data but the file holds {dataLength}; the file is truncated or has trailing bytes");

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var bytes = new byte[spec.End - spec.Begin];
            stream.Position = dataStart + spec.Begin;
            stream.ReadExactly(bytes);
            var tensor = torch.empty(spec.Shape, spec.Type);
            bytes.CopyTo(tensor.bytes);
            result[spec.Key] = tensor;
        }
        return result;
    }

    static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{file}: __metadata__ is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object of strings");
        try
        {
            foreach (var m in value.EnumerateObject())
            {
                if (m.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{file}: __metadata__ entry '{m.Name}' is a JSON {m.Value.ValueKind.ToString().ToLowerInvariant()}; safetensors metadata values are strings");
                if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                    throw new InvalidDataException($"{file}: __metadata__ names '{m.Name}' twice; the file is corrupt or was edited by hand");
            }
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{file}: __metadata__ holds text that is not a string ({e.Message})");
        }
    }

    static (string Key, ScalarType Type, long[] Shape, long Begin, long End) ParseEntry(string file, JsonProperty property)
    {
        var key = property.Name;
        try
        {
            var dtypeName = property.Value.GetProperty("dtype").GetString();
            var type = Types.FirstOrDefault(t => t.Value.Name == dtypeName);
            if (type.Value.Name is null) throw new InvalidDataException($"{file}: tensor '{key}' has unsupported dtype '{dtypeName}'");
            var shape = property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new InvalidDataException($"{file}: tensor '{key}' has invalid data_offsets [{string.Join(", ", offsets)}]");
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"{file}: tensor '{key}' has a negative dimension");
            long count = 1;
            foreach (var d in shape) count = checked(count * d);
            if (checked(count * type.Value.Size) != offsets[1] - offsets[0])
                throw new InvalidDataException($"{file}: tensor '{key}' of shape [{string.Join(", ", shape)}] {dtypeName} needs {count * type.Value.Size} bytes but data_offsets span {offsets[1] - offsets[0]}");
            return (key, type.Key, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{file}: tensor '{key}' has a malformed header entry ({e.Message})");
        }
    }
}

/// <summary>Saves and loads a module's state dict as safetensors with PyTorch-style names.</summary>
public static class ModuleWeights
{
    /// <summary>Writes the module's parameters and persistent buffers.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Save(path, module.state_dict().Select(kv => (kv.Key, kv.Value)), metadata);

    /// <summary>
    /// Copies the tensors in <paramref name="path"/> into the module. Every key must match in name,
    /// shape and dtype; otherwise an <see cref="InvalidDataException"/> lists the missing, unexpected and
    /// mis-shaped keys.
    /// </summary>
    public static void Load(nn.Module module, string path)
    {
        var loaded = SafeTensors.Load(path);
        try
        {
            LoadInto(module, loaded, Path.GetFileName(path));
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    /// <summary>Copies named tensors into the module with strict name, shape and dtype checks.</summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var state = module.state_dict();
        var missing = state.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var misShaped = state.Keys.Where(tensors.ContainsKey)
            .Where(k => !state[k].shape.SequenceEqual(tensors[k].shape))
            .Select(k => $"{k} (model [{string.Join(", ", state[k].shape)}], file [{string.Join(", ", tensors[k].shape)}])")
            .ToList();
        var misTyped = state.Keys.Where(tensors.ContainsKey)
            .Where(k => state[k].dtype != tensors[k].dtype)
            .Select(k => $"{k} (model {state[k].dtype}, file {tensors[k].dtype})")
            .ToList();
        if (missing.Count + unexpected.Count + misShaped.Count + misTyped.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add("missing: " + string.Join(", ", missing));
            if (unexpected.Count > 0) parts.Add("unexpected: " + string.Join(", ", unexpected));
            if (misShaped.Count > 0) parts.Add("wrong shape: " + string.Join(", ", misShaped));
            if (misTyped.Count > 0) parts.Add("wrong dtype: " + string.Join(", ", misTyped));
            throw new InvalidDataException($"{source}: the weights do not fit this architecture; {string.Join("; ", parts)}");
        }
        using (torch.no_grad())
        {
            foreach (var (key, target) in state)
            {
                target.copy_(tensors[key]);
            }
        }
    }
}
