using static TorchSharp.torch;

namespace GenAudit.Data;

/// <summary>
/// Token sequences (N, T) int64 over a vocabulary of V tokens 0..V−1. <see cref="Dataset.GetBatch(long[], Device?)"/>
/// serves the ids as float32 (exact: V is bounded by 2²⁴); sequence models take <see cref="GetTokens"/>.
/// The fingerprint hashes the ids and V; token spellings are metadata like class names.
/// </summary>
public sealed class TokenSequenceDataset : SequenceDataset
{
    /// <summary>Largest vocabulary accepted: every id is then exact in float32.</summary>
    public const int MaxVocabularySize = 1 << 24;

    readonly long[] _tokens;

    /// <summary>Creates the dataset; <paramref name="tokens"/> is (N, T) row-major and is not copied.</summary>
    /// <param name="name">Human-readable name.</param>
    /// <param name="tokens">Token ids (N·T), each in [0, V).</param>
    /// <param name="length">T.</param>
    /// <param name="vocabulary">The tokens' spellings (V entries).</param>
    /// <param name="oracle">The distribution the sequences were drawn from, when it is known (the synthetic oracle).</param>
    public TokenSequenceDataset(string name, long[] tokens, int length, TokenVocabulary vocabulary, TokenOracle? oracle = null)
        : base(name, length > 0 ? tokens.Length / length : 0, [length], null, [])
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (tokens.Length % length != 0)
            throw new ArgumentException($"Dataset '{name}': {tokens.Length} tokens are not a whole number of sequences of length {length}.", nameof(tokens));
        if (vocabulary.Size is < 2 or > MaxVocabularySize)
            throw new ArgumentException($"Dataset '{name}': a vocabulary needs 2 to {MaxVocabularySize} tokens, not {vocabulary.Size}.", nameof(vocabulary));
        for (var i = 0; i < tokens.Length; i++)
            if (tokens[i] < 0 || tokens[i] >= vocabulary.Size)
                throw new ArgumentException($"Dataset '{name}': sequence {i / length}, position {i % length} holds token {tokens[i]}, outside the vocabulary 0..{vocabulary.Size - 1}.", nameof(tokens));
        if (oracle is not null && oracle.VocabularySize != vocabulary.Size)
            throw new ArgumentException($"Dataset '{name}': the oracle has {oracle.VocabularySize} tokens but the vocabulary {vocabulary.Size}.", nameof(oracle));
        _tokens = tokens;
        Vocabulary = vocabulary;
        Oracle = oracle;
    }

    /// <summary>The vocabulary (V tokens).</summary>
    public TokenVocabulary Vocabulary { get; }

    /// <summary>Number of tokens V.</summary>
    public int VocabularySize => Vocabulary.Size;

    /// <summary>The known generating distribution (synthetic data), or null for real text.</summary>
    public TokenOracle? Oracle { get; }

    /// <summary>Token ids (N, T) row-major; do not modify (the fingerprint is computed once).</summary>
    public ReadOnlySpan<long> Tokens => _tokens;

    /// <summary>The sequences at <paramref name="indices"/> as a new (B, T) int64 tensor; the caller disposes it.</summary>
    public Tensor GetTokens(long[] indices, Device? device = null)
    {
        var t = Length;
        var values = new long[(long)indices.Length * t];
        for (var i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Index {indices[i]} is outside dataset '{Name}' of {Count} sequences.");
            _tokens.AsSpan(checked((int)(indices[i] * t)), t).CopyTo(values.AsSpan(i * t, t));
        }
        return tensor(values, [indices.Length, t], device: device);
    }

    /// <summary>Every sequence as a new (N, T) int64 tensor; the caller disposes it.</summary>
    public Tensor AllTokens(Device? device = null) => tensor(_tokens, [Count, Length], device: device);

    /// <inheritdoc />
    protected override void CopySamples(long[] indices, Span<float> destination)
    {
        var t = Length;
        for (var i = 0; i < indices.Length; i++)
        {
            var source = _tokens.AsSpan(checked((int)(indices[i] * t)), t);
            for (var j = 0; j < t; j++) destination[i * t + j] = source[j];
        }
    }

    // The vocabulary size is part of what a token means, so it is hashed with the element type.
    /// <inheritdoc />
    protected override string ElementType => $"i64 tokens of {VocabularySize}";

    /// <inheritdoc />
    protected override ReadOnlySpan<byte> ContentBytes() => LittleEndian.Bytes(_tokens);
}

/// <summary>The spellings of a vocabulary's tokens: words, characters, or the ids themselves for synthetic data.</summary>
public sealed class TokenVocabulary
{
    readonly IReadOnlyList<string>? _names;

    TokenVocabulary(int size, IReadOnlyList<string>? names, int? endToken = null)
    {
        Size = size;
        _names = names;
        EndToken = endToken;
    }

    /// <summary>A vocabulary of <paramref name="size"/> tokens spelled by their ids ("0", "1", ...).</summary>
    public static TokenVocabulary Numbered(int size) =>
        size >= 1 ? new TokenVocabulary(size, null) : throw new ArgumentOutOfRangeException(nameof(size), $"A vocabulary needs at least one token, not {size}.");

    /// <summary>A vocabulary with the given spellings, token i spelled <paramref name="names"/>[i]; spellings must be distinct.</summary>
    /// <param name="names">Token i is spelled names[i].</param>
    /// <param name="endToken">The token that ends a variable-length sequence and pads it to T, or null; spelling stops at it.</param>
    public static TokenVocabulary Named(IReadOnlyList<string> names, int? endToken = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new ArgumentException("A vocabulary needs at least one token.", nameof(names));
        if (endToken is { } end && (end < 0 || end >= names.Count)) throw new ArgumentOutOfRangeException(nameof(endToken), $"The end token {end} is outside the vocabulary 0..{names.Count - 1}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
            if (!seen.Add(name)) throw new ArgumentException($"The vocabulary spells two tokens '{name}'.", nameof(names));
        return new TokenVocabulary(names.Count, names.ToArray(), endToken);
    }

    /// <summary>Number of tokens V.</summary>
    public int Size { get; }

    /// <summary>The token that ends a sequence and pads it (words), or null when every sequence is T tokens long.</summary>
    public int? EndToken { get; }

    /// <summary>True when tokens (other than the end token) are single characters; a sequence is then written without separators.</summary>
    public bool IsCharacterLevel => _names is not null && _names.Where((_, i) => i != EndToken).All(n => n.Length == 1);

    /// <summary>The spelling of token <paramref name="id"/>.</summary>
    public string Spell(long id) =>
        id >= 0 && id < Size
            ? _names?[(int)id] ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(nameof(id), $"Token {id} is outside the vocabulary 0..{Size - 1}.");

    /// <summary>
    /// The ids of <paramref name="text"/> spelled as <see cref="Spell(ReadOnlySpan{long})"/> writes them: one token per character
    /// for a character-level vocabulary (spaces skipped), otherwise tokens separated by white space; numbered vocabularies
    /// take the ids. An unknown spelling is an error naming it.
    /// </summary>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = IsCharacterLevel
            ? text.Where(c => !char.IsWhiteSpace(c)).Select(c => c.ToString()).ToArray()
            : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var ids = _names is null ? null : _names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        return parts.Select(part =>
        {
            if (ids is not null)
                return ids.TryGetValue(part, out var id) ? id
                    : throw new ArgumentException($"'{part}' is not a token of this vocabulary of {Size}; spell tokens as the run's samples.txt does (e.g. lowercase for words and brown)");
            return long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number < Size ? number
                : throw new ArgumentException($"'{part}' is not a token id of this vocabulary; give ids 0..{Size - 1} separated by spaces");
        }).ToArray();
    }

    /// <summary>A sequence as text up to its end token: characters joined directly, other tokens separated by spaces.</summary>
    public string Spell(ReadOnlySpan<long> sequence)
    {
        var parts = new List<string>(sequence.Length);
        foreach (var token in sequence)
        {
            if (token == EndToken) break;
            parts.Add(Spell(token));
        }
        return string.Join(IsCharacterLevel ? "" : " ", parts);
    }
}
