using System.Buffers.Binary;
using System.Text;

namespace GenAudit.Interop;

/// <summary>A module-qualified name a pickle refers to with GLOBAL or STACK_GLOBAL.</summary>
sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A dict read from a pickle, in insertion order (plain dict and collections.OrderedDict alike).</summary>
sealed class PickleDict : List<KeyValuePair<object?, object?>>;

/// <summary>The arguments torch._utils._rebuild_tensor_v2 received: which storage, and the view on it.</summary>
sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Size, long[] Stride);

/// <summary>A storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel).</summary>
sealed record PickledStorage(string Key, string TypeName, long ElementCount);

/// <summary>
/// Reads the subset of Python's pickle format that torch.save writes for state dicts, without
/// executing anything: only tensors (torch._utils._rebuild_tensor_v2, _rebuild_parameter), typed
/// storages (as persistent ids), OrderedDict, and plain values (None, bool, int, float, str, bytes,
/// tuple, list, dict) can appear. Any other GLOBAL, and opcodes that build arbitrary objects (INST,
/// OBJ, NEWOBJ, extension registry), are refused with an <see cref="InvalidDataException"/> that
/// names what the pickle tried to import.
/// </summary>
sealed class RestrictedUnpickler
{
    /// <summary>The storage classes torch.save names in persistent ids, by their dtype.</summary>
    public static readonly IReadOnlySet<string> StorageTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    };

    static readonly IReadOnlySet<string> Callables = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    };

    static readonly object Mark = new();

    readonly byte[] _data;
    readonly string _source;
    int _position;
    readonly List<object?> _stack = [];
    readonly Dictionary<long, object?> _memo = [];

    RestrictedUnpickler(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    /// <summary>Reads one pickled value from <paramref name="data"/>; <paramref name="source"/> names it in errors.</summary>
    public static object? Load(byte[] data, string source) => new RestrictedUnpickler(data, source).Run();

    object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length) throw Error("the pickle ends without a STOP opcode; the file is truncated");
            int at = _position;
            byte opcode = _data[_position++];
            switch (opcode)
            {
                case 0x80: ReadBytes(1); break;                                  // PROTO
                case 0x95: ReadBytes(8); break;                                  // FRAME
                case (byte)'.': return _stack.Count == 1 ? _stack[0] : throw Error("STOP with a malformed stack");
                case (byte)'(': _stack.Add(Mark); break;                         // MARK
                case (byte)'0': Pop(); break;                                    // POP
                case (byte)'1': PopToMark(); break;                              // POP_MARK
                case (byte)'2': _stack.Add(Peek()); break;                       // DUP
                case (byte)'N': _stack.Add(null); break;
                case 0x88: _stack.Add(true); break;                              // NEWTRUE
                case 0x89: _stack.Add(false); break;                             // NEWFALSE
                case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case (byte)'K': _stack.Add((long)ReadBytes(1)[0]); break;
                case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case 0x8a: _stack.Add(ReadLong1()); break;                       // LONG1
                case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(4)))); break;  // BINUNICODE
                case 0x8c: _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(1)))); break;       // SHORT_BINUNICODE
                case 0x8d: _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(8)))); break;       // BINUNICODE8
                case (byte)'T': _stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break; // BINSTRING
                case (byte)'U': _stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadLength(1)))); break; // SHORT_BINSTRING
                case (byte)'B': _stack.Add(ReadBytes(ReadLength(4)).ToArray()); break;                  // BINBYTES
                case (byte)'C': _stack.Add(ReadBytes(ReadLength(1)).ToArray()); break;                  // SHORT_BINBYTES
                case (byte)')': _stack.Add(Array.Empty<object?>()); break;       // EMPTY_TUPLE
                case (byte)'t': _stack.Add(PopToMark().ToArray()); break;        // TUPLE
                case 0x85: _stack.Add(PopMany(1)); break;                        // TUPLE1
                case 0x86: _stack.Add(PopMany(2)); break;                        // TUPLE2
                case 0x87: _stack.Add(PopMany(3)); break;                        // TUPLE3
                case (byte)']': _stack.Add(new List<object?>()); break;          // EMPTY_LIST
                case (byte)'l': _stack.Add(PopToMark()); break;                  // LIST
                case (byte)'a': { var item = Pop(); List(Peek()).Add(item); break; }        // APPEND
                case (byte)'e': { var items = PopToMark(); List(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'}': _stack.Add(new PickleDict()); break;             // EMPTY_DICT
                case (byte)'d': { var dict = new PickleDict(); AddPairs(dict, PopToMark()); _stack.Add(dict); break; } // DICT
                case (byte)'s': { var value = Pop(); var key = Pop(); Dict(Peek()).Add(new(key, value)); break; }    // SETITEM
                case (byte)'u': { var items = PopToMark(); AddPairs(Dict(Peek()), items); break; }                 // SETITEMS
                case (byte)'q': _memo[ReadBytes(1)[0]] = Peek(); break;          // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                   // MEMOIZE
                case (byte)'h': _stack.Add(Memo(ReadBytes(1)[0])); break;        // BINGET
                case (byte)'j': _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'c': _stack.Add(Global(ReadLine(), ReadLine())); break;                       // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); _stack.Add(Global(Text(module), Text(name))); break; } // STACK_GLOBAL
                case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break;        // BINPERSID
                case (byte)'R': { var args = Pop(); var callable = Pop(); _stack.Add(Reduce(callable, args)); break; } // REDUCE
                case (byte)'b': Build(Pop(), Peek()); break;                      // BUILD
                case (byte)'i': throw Refuse($"{ReadLine()}.{ReadLine()}");       // INST imports a class and instantiates it
                case (byte)'o' or 0x81 or 0x92:                                   // OBJ, NEWOBJ, NEWOBJ_EX
                    throw Error($"refusing to load: opcode 0x{opcode:x2} at byte {at} instantiates an arbitrary class; a .pt file may hold only tensors and plain containers");
                case 0x82 or 0x83 or 0x84:                                        // EXT1, EXT2, EXT4
                    throw Error($"refusing to load: opcode 0x{opcode:x2} at byte {at} imports through the copyreg extension registry");
                default:
                    throw Error($"unsupported pickle opcode 0x{opcode:x2} at byte {at}; GenAudit reads the pickles torch.save writes (protocol 2 to 5)");
            }
        }
    }

    object Global(string module, string name)
    {
        var global = new PickleGlobal(module, name);
        if (Callables.Contains(global.FullName) || (module == "torch" && StorageTypes.Contains(name))) return global;
        throw Refuse(global.FullName);
    }

    InvalidDataException Refuse(string fullName)
    {
        var hint = fullName.StartsWith("torch.nn.", StringComparison.Ordinal) || fullName.StartsWith("__main__.", StringComparison.Ordinal)
            ? "; this looks like a whole pickled model: save model.state_dict() instead of the model"
            : "";
        return Error($"refusing to load: the pickle imports {fullName}; a .pt file may hold only tensors and plain containers (tensors, OrderedDict, dict, list, tuple, numbers, strings){hint}");
    }

    object? Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal global || !Callables.Contains(global.FullName))
            throw Error($"refusing to load: the pickle calls {(callable as PickleGlobal)?.FullName ?? callable?.GetType().Name ?? "None"}; only tensor and OrderedDict constructors may be called");
        var arguments = args as object?[] ?? throw Error($"{global.FullName} is called with {args?.GetType().Name ?? "None"} instead of an argument tuple");
        switch (global.Name)
        {
            case "OrderedDict":
                var dict = new PickleDict();
                if (arguments.Length == 1 && arguments[0] is List<object?> pairs)
                    foreach (var pair in pairs)
                        dict.Add(pair is object?[] { Length: 2 } kv ? new(kv[0], kv[1]) : throw Error("OrderedDict is built from something other than (key, value) pairs"));
                else if (arguments.Length != 0) throw Error($"OrderedDict is called with {arguments.Length} arguments");
                return dict;
            case "_rebuild_tensor_v2":
                if (arguments.Length is < 5 or > 7 || arguments[0] is not PickledStorage storage)
                    throw Error($"_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, hooks), got {arguments.Length} arguments");
                return new PickledTensor(storage, Integer(arguments[1], "storage offset"), Integers(arguments[2], "size"), Integers(arguments[3], "stride"));
            default: // _rebuild_parameter(data, requires_grad, hooks[, state]): a Parameter is its data
                if (arguments.Length is < 3 or > 4 || arguments[0] is not PickledTensor tensor)
                    throw Error($"{global.Name} expects (tensor, requires_grad, hooks), got {arguments.Length} arguments");
                return tensor;
        }
    }

    void Build(object? state, object? target)
    {
        // state_dict() carries a `_metadata` attribute (layer versions); it sets no tensor data.
        if (target is PickleDict) return;
        throw Error($"refusing to load: BUILD sets the state of a {target?.GetType().Name ?? "None"}; only OrderedDict attributes may be set");
    }

    PickledStorage PersistentLoad(object? id)
    {
        if (id is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is PickleGlobal { Module: "torch" } type && StorageTypes.Contains(type.Name) && t[2] is string key)
            return new PickledStorage(key, type.Name, Integer(t[4], "storage size"));
        throw Error("a persistent id is not a torch storage ('storage', torch.<Type>Storage, key, location, size)");
    }

    long Integer(object? value, string what) => value is long l ? l : throw Error($"tensor {what} is {value?.GetType().Name ?? "None"}, not an integer");

    long[] Integers(object? value, string what) =>
        value is object?[] items ? items.Select(i => Integer(i, what)).ToArray() : throw Error($"tensor {what} is not a tuple of integers");

    void AddPairs(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Error("a dict is built from an odd number of items");
        for (int i = 0; i < items.Count; i += 2) dict.Add(new(items[i], items[i + 1]));
    }

    List<object?> List(object? value) => value as List<object?> ?? throw Error($"APPEND to a {value?.GetType().Name ?? "None"}, not a list");

    PickleDict Dict(object? value) => value as PickleDict ?? throw Error($"SETITEM on a {value?.GetType().Name ?? "None"}, not a dict");

    string Text(object? value) => value as string ?? throw Error("STACK_GLOBAL with a non-string name");

    object? Memo(long index) => _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} is read before it is written");

    object? Peek() => _stack.Count > 0 && _stack[^1] != Mark ? _stack[^1] : throw Error("stack underflow");

    object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    object?[] PopMany(int count)
    {
        var items = new object?[count];
        for (int i = count - 1; i >= 0; i--) items[i] = Pop();
        return items;
    }

    List<object?> PopToMark()
    {
        int mark = _stack.LastIndexOf(Mark);
        if (mark < 0) throw Error("an opcode needs a MARK that is not on the stack");
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    long ReadLong1()
    {
        int length = ReadBytes(1)[0];
        if (length > 8) throw Error($"an integer of {length} bytes does not fit 64 bits");
        var bytes = ReadBytes(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0) value -= 1L << (8 * length); // two's complement sign
        return value;
    }

    int ReadLength(int size)
    {
        var bytes = ReadBytes(size);
        ulong length = size switch
        {
            1 => bytes[0],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
        if (length > (ulong)(_data.Length - _position)) throw Error($"a string of {length} bytes at byte {_position} runs past the end of the pickle; the file is truncated");
        return (int)length;
    }

    ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _data.Length - _position) throw Error($"the pickle ends inside an opcode at byte {_position}; the file is truncated");
        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0) throw Error("a GLOBAL name is not terminated; the file is truncated");
        var text = Encoding.UTF8.GetString(_data, _position, end - _position);
        _position = end + 1;
        return text;
    }

    InvalidDataException Error(string message) => new($"{_source}: {message}");
}
