using System.Globalization;
using GenAudit.Models;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Interop;

/// <summary>What the user declares about an ONNX generator; the graph is checked against it when it is loaded.</summary>
public sealed record OnnxGeneratorOptions
{
    /// <summary>Size d of the latent input, which must be float32 of shape (batch, d).</summary>
    public required int LatentSize { get; init; }

    /// <summary>Number of classes K; 0 for an unconditional generator (one graph input).</summary>
    public int ConditionCount { get; init; }

    /// <summary>
    /// Names of the graph inputs: the latent input first, then the condition input of a conditional
    /// generator. Null takes the graph's inputs in their declared order.
    /// </summary>
    public IReadOnlyList<string>? InputNames { get; init; }

    /// <summary>Name of the output to use; null requires the graph to have exactly one output.</summary>
    public string? OutputName { get; init; }

    /// <summary>Largest batch passed to one ONNX Runtime call; larger requests are split. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Intra-op threads of ONNX Runtime; 1 (the default) gives run-to-run identical results, 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Checks the ranges; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (LatentSize < 1) throw new ArgumentException($"--latent must be at least 1, got {LatentSize}");
        if (ConditionCount < 0 || ConditionCount == 1) throw new ArgumentException($"--conditions must be 0 (unconditional) or at least 2, got {ConditionCount}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, got {BatchSize}");
        if (Threads < 0) throw new ArgumentException($"threads must be ≥ 0, got {Threads}");
        if (InputNames is { } names)
        {
            int expected = ConditionCount > 0 ? 2 : 1;
            if (names.Count != expected)
                throw new ArgumentException($"--input-names needs {expected} name{(expected == 1 ? "" : "s")} (the latent input{(expected == 2 ? ", then the condition input" : "")}), got {names.Count}: {string.Join(",", names)}");
            if (names.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("--input-names has an empty name");
        }
    }
}

/// <summary>
/// A generator exported to ONNX, run through ONNX Runtime as a black box: forward passes only
/// (<see cref="IsDifferentiable"/> is false). The graph's inputs and output are checked against the
/// declared <see cref="OnnxGeneratorOptions"/> when it is loaded, and once more by a probe batch.
/// </summary>
public sealed class OnnxGenerator : IGenerativeModel, IDisposable
{
    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly int _batchSize;
    readonly string _source;
    bool _disposed;

    OnnxGenerator(InferenceSession session, OnnxGeneratorOptions options, string source)
    {
        _session = session;
        _source = source;
        _batchSize = options.BatchSize;
        LatentSize = options.LatentSize;
        ConditionCount = options.ConditionCount;
        (LatentInputName, ConditionInputName, ConditionEncoding) = CheckInputs(session, options, source);
        (OutputName, OutputShape) = CheckOutput(session, options, source);
        Probe();
    }

    /// <summary>
    /// Loads <paramref name="path"/> and checks it against <paramref name="options"/>. A file that is
    /// not ONNX, is truncated, or whose inputs or output differ from the declaration is an
    /// <see cref="InvalidDataException"/> naming the file and the mismatch.
    /// </summary>
    public static OnnxGenerator Load(string path, OnnxGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var name = Path.GetFileName(path);
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.Threads, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        InferenceSession session;
        try
        {
            session = new InferenceSession(File.ReadAllBytes(path), sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{name}: ONNX Runtime cannot load it as an ONNX model; the file is truncated, corrupt or not ONNX ({FirstLine(e.Message)})");
        }
        try
        {
            return new OnnxGenerator(session, options, name);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public int LatentSize { get; }
    /// <inheritdoc />
    public int ConditionCount { get; }
    /// <inheritdoc />
    public long[] OutputShape { get; }
    /// <inheritdoc />
    public bool IsDifferentiable => false;
    /// <inheritdoc />
    public Device Device => CPU;

    /// <summary>Name of the graph input that takes z.</summary>
    public string LatentInputName { get; }
    /// <summary>Name of the graph input that takes the condition; null for an unconditional generator.</summary>
    public string? ConditionInputName { get; }
    /// <summary>How the condition is fed to the graph.</summary>
    public ConditionEncoding ConditionEncoding { get; }
    /// <summary>Name of the graph output used as the sample.</summary>
    public string OutputName { get; }

    /// <summary>
    /// Runs the graph on z (B, d) float32 and, for a conditional generator, class labels (B,) int64
    /// (converted to one-hot rows when the graph takes those), in batches of at most the configured
    /// size. Returns (B, ...OutputShape) float32 on z's device, without gradients.
    /// </summary>
    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"latent batch must have shape (B, {LatentSize}), got ({string.Join(", ", z.shape)})");
        long batch = z.shape[0];
        var labels = CheckCondition(condition, batch);
        float[] latent;
        using (var cpu = z.detach().cpu().to(ScalarType.Float32).contiguous()) latent = cpu.data<float>().ToArray();

        long sampleSize = OutputShape.Aggregate(1L, (a, b) => a * b);
        var output = new float[checked(batch * sampleSize)];
        for (long start = 0; start < batch; start += _batchSize)
        {
            int length = (int)Math.Min(_batchSize, batch - start);
            Run(latent.AsSpan((int)(start * LatentSize), length * LatentSize), labels is null ? default : labels.AsSpan((int)start, length), length)
                .CopyTo(output.AsSpan((int)(start * sampleSize), (int)(length * sampleSize)));
        }
        var result = torch.tensor(output, [batch, .. OutputShape]); // (B, ...OutputShape)
        return z.device.type == DeviceType.CPU ? result : result.to(z.device);
    }

    float[] Run(ReadOnlySpan<float> latent, ReadOnlySpan<long> labels, int batch)
    {
        var names = new List<string> { LatentInputName };
        var values = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(latent.ToArray(), [batch, LatentSize]) };
        try
        {
            if (ConditionEncoding == ConditionEncoding.Labels)
            {
                names.Add(ConditionInputName!);
                values.Add(OrtValue.CreateTensorValueFromMemory(labels.ToArray(), [batch]));
            }
            else if (ConditionEncoding == ConditionEncoding.OneHot)
            {
                var oneHot = new float[batch * ConditionCount];
                for (int i = 0; i < batch; i++) oneHot[i * ConditionCount + (int)labels[i]] = 1f;
                names.Add(ConditionInputName!);
                values.Add(OrtValue.CreateTensorValueFromMemory(oneHot, [batch, ConditionCount]));
            }
            using var outputs = _session.Run(_runOptions, names, values, [OutputName]);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != OutputShape.Length + 1 || shape[0] != batch || !shape.AsSpan(1).SequenceEqual(OutputShape))
                throw new InvalidDataException($"{_source}: output '{OutputName}' came back with shape [{string.Join(", ", shape)}] for a batch of {batch}; the graph declares [batch, {string.Join(", ", OutputShape)}]");
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{_source}: ONNX Runtime failed on a batch of {batch}: {FirstLine(e.Message)}");
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    long[]? CheckCondition(Tensor? condition, long batch)
    {
        if (ConditionCount == 0)
        {
            if (condition is not null) throw new ArgumentException("this model is unconditional: pass no condition");
            return null;
        }
        if (condition is null) throw new ArgumentException($"this model is conditional on {ConditionCount} classes: pass a condition");
        if (condition.dim() != 1 || condition.shape[0] != batch)
            throw new ArgumentException($"condition must have shape ({batch},), got ({string.Join(", ", condition.shape)})");
        if (condition.dtype != ScalarType.Int64) throw new ArgumentException($"condition must be int64 class labels, got {condition.dtype}");
        var labels = condition.cpu().data<long>().ToArray();
        if (labels.Any(l => l < 0 || l >= ConditionCount))
            throw new ArgumentException($"condition labels must be in 0..{ConditionCount - 1}, got {labels.First(l => l < 0 || l >= ConditionCount)}");
        return labels;
    }

    /// <summary>One batch of two through the graph, so a Reshape that contradicts the declared output fails at load, not mid-audit.</summary>
    void Probe()
    {
        var latent = new float[2 * LatentSize];
        var labels = ConditionCount > 0 ? new long[] { 0, ConditionCount - 1 } : null;
        Run(latent, labels, 2);
    }

    static (string Latent, string? Condition, ConditionEncoding Encoding) CheckInputs(InferenceSession session, OnnxGeneratorOptions options, string source)
    {
        var inputs = session.InputMetadata;
        var graphNames = session.InputNames;
        string Described() => string.Join(", ", graphNames.Select(n => $"{n} {Describe(inputs[n])}"));
        int expected = options.ConditionCount > 0 ? 2 : 1;
        var names = options.InputNames ?? graphNames.Take(expected).ToList();
        foreach (var n in names)
            if (!inputs.ContainsKey(n)) throw new InvalidDataException($"{source}: the graph has no input '{n}'; its inputs are {Described()}");
        if (graphNames.Count != expected)
            throw new InvalidDataException(options.ConditionCount > 0
                ? $"{source}: --conditions {options.ConditionCount} declares two inputs (latent, condition) but the graph has {graphNames.Count}: {Described()}"
                : graphNames.Count == 2
                    ? $"{source}: the graph has two inputs ({Described()}); for a conditional generator pass --conditions K (and --input-names if the order is not latent, condition)"
                    : $"{source}: a generator needs one latent input{(options.ConditionCount > 0 ? " and one condition input" : "")} but the graph has {graphNames.Count}: {Described()}");

        var latent = inputs[names[0]];
        CheckBatchDimension(latent, names[0], source);
        if (latent.ElementDataType != TensorElementType.Float || latent.Dimensions.Length != 2)
            throw new InvalidDataException($"{source}: latent input '{names[0]}' must be float32 of shape [batch, {options.LatentSize}], but the graph declares {Describe(latent)}");
        if (latent.Dimensions[1] > 0 && latent.Dimensions[1] != options.LatentSize)
            throw new InvalidDataException($"{source}: latent input '{names[0]}' takes {latent.Dimensions[1]} values (shape {Describe(latent)}) but --latent {options.LatentSize} was declared");
        if (options.ConditionCount == 0) return (names[0], null, ConditionEncoding.None);

        var condition = inputs[names[1]];
        CheckBatchDimension(condition, names[1], source);
        if (condition.ElementDataType == TensorElementType.Int64 && condition.Dimensions.Length == 1)
            return (names[0], names[1], ConditionEncoding.Labels);
        if (condition.ElementDataType == TensorElementType.Float && condition.Dimensions.Length == 2)
        {
            if (condition.Dimensions[1] > 0 && condition.Dimensions[1] != options.ConditionCount)
                throw new InvalidDataException($"{source}: condition input '{names[1]}' takes one-hot rows of {condition.Dimensions[1]} classes ({Describe(condition)}) but --conditions {options.ConditionCount} was declared");
            return (names[0], names[1], ConditionEncoding.OneHot);
        }
        throw new InvalidDataException($"{source}: condition input '{names[1]}' must be int64 labels [batch] or float32 one-hot rows [batch, {options.ConditionCount}], but the graph declares {Describe(condition)}");
    }

    static (string Name, long[] Shape) CheckOutput(InferenceSession session, OnnxGeneratorOptions options, string source)
    {
        var outputs = session.OutputMetadata;
        string Described() => string.Join(", ", session.OutputNames.Select(n => $"{n} {Describe(outputs[n])}"));
        string name;
        if (options.OutputName is { } declared)
        {
            if (!outputs.ContainsKey(declared)) throw new InvalidDataException($"{source}: the graph has no output '{declared}'; its outputs are {Described()}");
            name = declared;
        }
        else if (session.OutputNames.Count == 1) name = session.OutputNames[0];
        else throw new InvalidDataException($"{source}: the graph has {session.OutputNames.Count} outputs ({Described()}); name the sample output with --output-name");

        var output = outputs[name];
        if (output.ElementDataType != TensorElementType.Float || output.Dimensions.Length < 2)
            throw new InvalidDataException($"{source}: output '{name}' must be float32 of shape [batch, ...], but the graph declares {Describe(output)}");
        CheckBatchDimension(output, name, source, isOutput: true);
        for (int i = 1; i < output.Dimensions.Length; i++)
            if (output.Dimensions[i] <= 0)
                throw new InvalidDataException($"{source}: output '{name}' has a symbolic dimension '{output.SymbolicDimensions[i]}' at position {i} ({Describe(output)}); only the batch dimension may be symbolic, so re-export with a fixed sample shape");
        return (name, output.Dimensions.Skip(1).Select(d => (long)d).ToArray());
    }

    static void CheckBatchDimension(NodeMetadata node, string name, string source, bool isOutput = false)
    {
        if (node.Dimensions.Length > 0 && node.Dimensions[0] > 0)
            throw new InvalidDataException($"{source}: {(isOutput ? "output" : "input")} '{name}' has a fixed batch dimension of {node.Dimensions[0]} ({Describe(node)}); " +
                                           $"re-export with a dynamic batch axis, e.g. torch.onnx.export(..., dynamic_axes={{'{name}': {{0: 'batch'}}}})");
    }

    static string Describe(NodeMetadata node)
    {
        var type = node.IsTensor ? node.ElementDataType.ToString().ToLowerInvariant() switch { "float" => "float32", var t => t } : node.OnnxValueType.ToString();
        var dims = node.Dimensions.Select((d, i) => d > 0 ? d.ToString(CultureInfo.InvariantCulture)
            : string.IsNullOrEmpty(node.SymbolicDimensions.ElementAtOrDefault(i)) ? "?" : node.SymbolicDimensions[i]);
        return $"{type} [{string.Join(", ", dims)}]";
    }

    static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
        _runOptions.Dispose();
    }
}
