using System.IO.Compression;
using System.Text;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Interop;

/// <summary>
/// Reads a PyTorch state dict from a <c>torch.save</c> checkpoint (.pt, .pth, .bin: the zip format
/// of PyTorch 1.6 and later) or a .safetensors file, without running code from the file: the
/// pickle inside a .pt is read by a restricted unpickler that admits only tensors and plain
/// containers and refuses anything else by name (see docs/interop.md).
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>Largest file GenAudit reads (2 GiB); bigger checkpoints are refused before anything is read.</summary>
    public const long MaxFileBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest data.pkl read (64 MiB): a state dict's pickle holds names and shapes, a few kB per tensor; the tensor data lives in other entries.</summary>
    public const long MaxPickleBytes = 64L << 20;

    static readonly Dictionary<string, (ScalarType Type, int Size)> StorageDtypes = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>
    /// Reads the state dict in <paramref name="path"/> by its extension (.safetensors, or .pt/.pth/.bin
    /// for torch.save files). <paramref name="key"/> selects an entry of a checkpoint dict that holds
    /// the state dict (e.g. "generator" in {"generator": ..., "optimizer": ...}); null takes the top
    /// level. Returns name → CPU tensor; the caller disposes them. Errors are
    /// <see cref="InvalidDataException"/>s naming the file and the problem.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, string? key = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var name = Path.GetFileName(path);
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new InvalidDataException($"{name}: {length:N0} bytes exceeds the import limit of {MaxFileBytes:N0} bytes (2 GiB); GenAudit's built-in architectures are far smaller, so this is not one of them");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".safetensors")
        {
            if (key is not null) throw new ArgumentException($"{name}: --key selects an entry of a torch.save checkpoint; a .safetensors file is already a flat state dict");
            return SafeTensors.Load(path);
        }
        if (extension is not (".pt" or ".pth" or ".bin"))
            throw new ArgumentException($"{name}: expected a .pt, .pth or .bin file written by torch.save, or a .safetensors file");
        return LoadTorchZip(path, name, key, length);
    }

    /// <remarks>
    /// torch.save stores entries uncompressed, so only stored entries are read (a deflated entry is
    /// refused before it is inflated) and every entry read counts against one budget of the file's
    /// size: a lying zip directory, or many directory entries pointing at the same bytes, cannot
    /// allocate more than the file holds in total.
    /// </remarks>
    static Dictionary<string, Tensor> LoadTorchZip(string path, string name, string? key, long fileLength)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"{name}: {DescribeNonZip(path)}");
        }
        try
        {
            // The central directory is read lazily, on first use of Entries.
            _ = archive.Entries.Count;
        }
        catch (InvalidDataException e)
        {
            archive.Dispose();
            throw new InvalidDataException($"{name}: the zip directory is corrupt ({e.Message}); copy the file again");
        }
        using (archive)
        {
            var pickles = archive.Entries.Where(e => e.FullName == "data.pkl" || (e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)).ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"{name}: a zip, but not a torch.save checkpoint: expected one <name>/data.pkl entry, found {pickles.Count}");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var budget = new ReadBudget(fileLength);
            if (archive.GetEntry(prefix + "byteorder") is { } order && ReadText(order, name, budget) is var text && text != "little")
                throw new InvalidDataException($"{name}: the checkpoint was written on a '{text}'-endian machine; only little-endian checkpoints are supported");

            if (pickles[0].Length > MaxPickleBytes)
                throw new InvalidDataException($"{name}: {pickles[0].FullName} claims {pickles[0].Length:N0} bytes, more than the {MaxPickleBytes:N0} a state dict's pickle can need; the file is corrupt or not a state dict");
            var root = RestrictedUnpickler.Load(ReadEntry(pickles[0], name, budget), $"{name} ({pickles[0].FullName})");
            var stateDict = SelectStateDict(root, key, name);
            var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            try
            {
                foreach (var (tensorName, pickled) in stateDict)
                    result[tensorName] = Materialise(pickled, tensorName, archive, prefix, storages, name, budget);
            }
            catch (OverflowException)
            {
                foreach (var tensor in result.Values) tensor.Dispose();
                throw new InvalidDataException($"{name}: a tensor's size, stride or storage length overflows a 64-bit count; the file is corrupt");
            }
            catch
            {
                foreach (var tensor in result.Values) tensor.Dispose();
                throw;
            }
            finally
            {
                foreach (var storage in storages.Values) storage.Dispose();
            }
            return result;
        }
    }

    static List<(string Name, PickledTensor Tensor)> SelectStateDict(object? root, string? key, string file)
    {
        var dict = root as PickleDict ?? throw new InvalidDataException($"{file}: the checkpoint holds a {Describe(root)}, not a state dict (a dict of name → tensor)");
        if (key is not null)
        {
            var entry = dict.FirstOrDefault(kv => kv.Key as string == key);
            if (entry.Key is null)
                throw new InvalidDataException($"{file}: --key '{key}' is not in the checkpoint; its entries are {string.Join(", ", dict.Select(kv => $"'{kv.Key}' ({Describe(kv.Value)})"))}");
            dict = entry.Value as PickleDict ?? throw new InvalidDataException($"{file}: entry '{key}' holds a {Describe(entry.Value)}, not a state dict");
        }
        var others = dict.Where(kv => kv.Key is not string || kv.Value is not PickledTensor).ToList();
        if (others.Count > 0)
        {
            var nested = others.Where(kv => kv.Value is PickleDict d && d.Any(e => e.Value is PickledTensor)).Select(kv => $"'{kv.Key}'").ToList();
            throw new InvalidDataException($"{file}: {(key is null ? "the checkpoint" : $"entry '{key}'")} is not a flat state dict; it holds {string.Join(", ", others.Take(5).Select(kv => $"'{kv.Key}' ({Describe(kv.Value)})"))}" +
                                           (nested.Count > 0 ? $"; the state dict is probably under --key {string.Join(" or ", nested)}" : ""));
        }
        return dict.Select(kv => ((string)kv.Key!, (PickledTensor)kv.Value!)).ToList();
    }

    static Tensor Materialise(PickledTensor pickled, string tensorName, ZipArchive archive, string prefix, Dictionary<string, Tensor> storages, string file, ReadBudget budget)
    {
        var (dtype, size) = StorageDtypes[pickled.Storage.TypeName];
        if (!storages.TryGetValue(pickled.Storage.Key, out var storage))
        {
            var entryName = $"{prefix}data/{pickled.Storage.Key}";
            var entry = archive.GetEntry(entryName) ?? throw new InvalidDataException($"{file}: tensor '{tensorName}' refers to storage {entryName}, which is missing; the file is truncated or corrupt");
            long expected = checked(pickled.Storage.ElementCount * size);
            if (entry.Length != expected)
                throw new InvalidDataException($"{file}: storage {entryName} holds {entry.Length} bytes but the pickle says {pickled.Storage.ElementCount} × {pickled.Storage.TypeName} ({expected} bytes)");
            storage = torch.empty(pickled.Storage.ElementCount, dtype).DetachFromDisposeScope();
            try
            {
                ReadInto(entry, file, budget, storage);
            }
            catch
            {
                storage.Dispose();
                throw;
            }
            storages[pickled.Storage.Key] = storage;
        }
        if (storage.dtype != dtype)
            throw new InvalidDataException($"{file}: storage {pickled.Storage.Key} is read as two different types");
        var (offset, shape, stride) = (pickled.Offset, pickled.Size, pickled.Stride);
        if (shape.Length != stride.Length || shape.Any(d => d < 0) || stride.Any(s => s < 0) || offset < 0)
            throw new InvalidDataException($"{file}: tensor '{tensorName}' has an invalid view (size [{string.Join(", ", shape)}], stride [{string.Join(", ", stride)}], offset {offset})");
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        long last = count == 0 ? offset - 1 : offset + shape.Zip(stride, (d, s) => checked((d - 1) * s)).Sum();
        if (last >= storage.shape[0] || (count > 0 && offset >= storage.shape[0]))
            throw new InvalidDataException($"{file}: tensor '{tensorName}' (size [{string.Join(", ", shape)}], stride [{string.Join(", ", stride)}], offset {offset}) reaches beyond its storage of {storage.shape[0]} elements");
        using var view = storage.as_strided(shape, stride, offset);
        // A fresh contiguous tensor: the storage is disposed after loading, and views must not share it.
        return torch.empty(shape, dtype).copy_(view).DetachFromDisposeScope();
    }

    /// <summary>What is left of the bytes an archive may make GenAudit read: the file's size, shared by all entries.</summary>
    sealed class ReadBudget(long bytes)
    {
        public long Remaining { get; private set; } = bytes;

        public void Take(ZipArchiveEntry entry, string file)
        {
            if (entry.Length > Remaining)
                throw new InvalidDataException($"{file}: entry {entry.FullName} claims {entry.Length} bytes, more than the {Remaining} left of the file's size for its entries together; the file is corrupt or a zip bomb");
            Remaining -= entry.Length;
        }
    }

    /// <summary>Checks an entry before anything is allocated for it: stored, not beyond what one array holds, within the archive's budget.</summary>
    static void Admit(ZipArchiveEntry entry, string file, ReadBudget budget)
    {
        // A stored entry occupies exactly its length in the file; torch.save writes nothing else.
        if (entry.CompressedLength != entry.Length)
            throw new InvalidDataException($"{file}: entry {entry.FullName} is compressed ({entry.CompressedLength} bytes stored for {entry.Length}); torch.save writes uncompressed entries, so the archive was re-packed: save it again with torch.save, or as .safetensors");
        if (entry.Length > Array.MaxLength)
            throw new InvalidDataException($"{file}: entry {entry.FullName} holds {entry.Length} bytes, more than one array can hold ({Array.MaxLength}); save the state dict as .safetensors or split it");
        budget.Take(entry, file);
    }

    /// <summary>Streams a storage entry straight into the tensor's memory, so a large storage is held once, not twice.</summary>
    static void ReadInto(ZipArchiveEntry entry, string file, ReadBudget budget, Tensor storage)
    {
        Admit(entry, file, budget);
        var target = storage.bytes;
        try
        {
            using var stream = entry.Open();
            var buffer = new byte[(int)Math.Min(1 << 20, Math.Max(1, entry.Length))];
            for (long done = 0; done < entry.Length;)
            {
                var chunk = (int)Math.Min(buffer.Length, entry.Length - done);
                stream.ReadExactly(buffer, 0, chunk);
                buffer.AsSpan(0, chunk).CopyTo(target.Slice((int)done, chunk));
                done += chunk;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{file}: entry {entry.FullName} cannot be read ({e.Message}); the file is truncated or corrupt");
        }
    }

    static byte[] ReadEntry(ZipArchiveEntry entry, string file, ReadBudget budget)
    {
        Admit(entry, file, budget);
        var buffer = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{file}: entry {entry.FullName} cannot be read ({e.Message}); the file is truncated or corrupt");
        }
        return buffer;
    }

    static string ReadText(ZipArchiveEntry entry, string file, ReadBudget budget)
    {
        if (entry.Length > 64) throw new InvalidDataException($"{file}: entry {entry.FullName} holds {entry.Length} bytes; a byteorder entry holds 'little' or 'big'");
        return Encoding.ASCII.GetString(ReadEntry(entry, file, budget)).Trim();
    }

    static string DescribeNonZip(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int read;
        using (var stream = File.OpenRead(path)) read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (read == 0) return "the file is empty";
        if (head[0] == 0x80 && read > 1 && head[1] <= 5)
            return "a legacy torch.save file (PyTorch before 1.6, or _use_new_zipfile_serialization=False); re-save it with a current torch.save, or as .safetensors";
        if (read >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K')
            return "the zip archive is truncated or corrupt (its central directory cannot be read); copy the file again";
        return "not a torch.save checkpoint (expected a zip archive holding <name>/data.pkl) and not a legacy pickle";
    }

    static string Describe(object? value) => value switch
    {
        null => "None",
        PickleDict => "dict",
        PickledTensor => "tensor",
        List<object?> => "list",
        object?[] => "tuple",
        string => "str",
        long => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        PickleGlobal g => g.FullName,
        _ => value.GetType().Name,
    };
}
