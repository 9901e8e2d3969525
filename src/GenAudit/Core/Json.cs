using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GenAudit.Core;

/// <summary>The one set of JSON options every file GenAudit writes or reads uses.</summary>
public static class Json
{
    /// <summary>camelCase names, enums as camelCase strings, nulls omitted, indented.</summary>
    public static readonly JsonSerializerOptions Options = Create(indented: true);

    /// <summary>As <see cref="Options"/> but on one line (JSON Lines files).</summary>
    public static readonly JsonSerializerOptions Compact = Create(indented: false);

    static JsonSerializerOptions Create(bool indented) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        WriteIndented = indented,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises <paramref name="value"/> and writes it atomically.</summary>
    public static void WriteFile<T>(string path, T value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");

    /// <summary>Largest JSON file read (64 MiB; manifests, policies and checkpoint states are a few kB).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Reads and deserialises a file, with an error naming the file when it is missing or malformed.</summary>
    public static T ReadFile<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new InvalidDataException($"{path}: {length:N0} bytes is more than the {MaxFileBytes:N0} GenAudit reads from a JSON file; it is not a file GenAudit wrote");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new InvalidDataException($"{path}: the file holds JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON at line {e.LineNumber + 1}: {e.Message}");
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // Valid JSON of the wrong shape, e.g. a layer without its "type" discriminator (found by fuzzing).
            throw new InvalidDataException($"{path}: not a valid {typeof(T).Name} ({e.Message})");
        }
    }
}
