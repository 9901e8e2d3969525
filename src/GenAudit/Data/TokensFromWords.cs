using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GenAudit.Data;

/// <summary>
/// Word-level token data (the Brown corpus, a user's text): a vocabulary of the most frequent training
/// words after "&lt;end&gt;" (id 0, which ends and pads every sequence) and "&lt;unk&gt;" (id 1, every other
/// word), and sentences as (N, T) ids with T = the longest sentence + 1. The vocabulary is always taken
/// from the training sentences, so the held-out split of the same data has the same ids.
/// </summary>
public static class TokensFromWords
{
    /// <summary>Ids of the end and unknown tokens.</summary>
    public const int EndToken = 0, UnknownToken = 1;

    /// <summary>Spellings of the end and unknown tokens; a word spelled like one of them is read as unknown.</summary>
    public const string End = "<end>", Unknown = "<unk>";

    /// <summary>Default vocabulary size V, the two special tokens included: 5,000, as the issue's Brown setting.</summary>
    public const int DefaultVocabularySize = 5000;

    /// <summary>
    /// The dataset of <paramref name="sentences"/> over the vocabulary of <paramref name="training"/> (at most
    /// <paramref name="vocabularySize"/> tokens): ties in frequency are broken by ordinal order of the words.
    /// </summary>
    public static TokenSequenceDataset Build(string name, IReadOnlyList<string[]> training, IReadOnlyList<string[]> sentences, int vocabularySize = DefaultVocabularySize)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(sentences);
        if (vocabularySize < 3) throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"A word vocabulary needs at least 3 tokens (end, unknown and one word), not {vocabularySize}.");
        if (sentences.Count == 0) throw new InvalidDataException($"{name}: no sentence to load");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in training)
            foreach (var word in sentence)
                if (word is not (End or Unknown)) counts[word] = counts.GetValueOrDefault(word) + 1;
        var words = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(vocabularySize - 2).Select(kv => kv.Key).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++) ids[words[i]] = i + 2;
        var vocabulary = TokenVocabulary.Named([End, Unknown, .. words], EndToken);

        int length = training.Concat(sentences).Max(s => s.Length) + 1;
        var tokens = new long[checked((long)sentences.Count * length)];
        for (int i = 0; i < sentences.Count; i++)
            for (int j = 0; j < sentences[i].Length; j++)
                tokens[(long)i * length + j] = ids.TryGetValue(sentences[i][j], out var id) ? id : UnknownToken;
        return new TokenSequenceDataset(name, tokens, length, vocabulary);
    }

    /// <summary>True when <paramref name="key"/> is held out: the first byte of its SHA-256 (UTF-8) is divisible by 10 (about 10%).</summary>
    public static bool IsHeldOut(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] % 10 == 0;
}

/// <summary>
/// A user's own text (<c>--data text:FILE</c>): a UTF-8 file, one sequence a line, split into words at white space
/// (case and punctuation kept), blank lines skipped. A line is held out when its text hashes into the held-out tenth
/// (<see cref="TokensFromWords.IsHeldOut"/>), so equal lines stay on one side.
/// </summary>
public static class TextSequences
{
    /// <summary>Largest file read.</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Most lines kept.</summary>
    public const int MaxLines = 1_000_000;

    /// <summary>Most words in a line.</summary>
    public const int MaxWords = 100;

    /// <summary>The training or held-out sequences of <paramref name="path"/>.</summary>
    public static TokenSequenceDataset Load(string path, DataSplit split, int vocabularySize = TokensFromWords.DefaultVocabularySize)
    {
        var lines = Read(path);
        var training = lines.Where(l => !TokensFromWords.IsHeldOut(l.Text)).Select(l => l.Words).ToList();
        var heldOut = lines.Where(l => TokensFromWords.IsHeldOut(l.Text)).Select(l => l.Words).ToList();
        if (training.Count == 0) throw new InvalidDataException($"{path}: all {lines.Count} lines fell into the held-out split; give more lines");
        var selected = split == DataSplit.Train ? training : heldOut;
        if (selected.Count == 0) throw new InvalidDataException($"{path}: no line of the {lines.Count} fell into the held-out split; give more lines (about one in ten is held out)");
        return TokensFromWords.Build($"text:{Path.GetFileName(path)}-{(split == DataSplit.Train ? "train" : "test")}", training, selected, vocabularySize);
    }

    static List<(string Text, string[] Words)> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: text file not found (--data text:FILE reads a UTF-8 file, one sequence a line)", path);
        var size = new FileInfo(path).Length;
        if (size > MaxFileBytes) throw new InvalidDataException($"{path}: {size:N0} bytes; a text file may hold at most {MaxFileBytes >> 20} MB");
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var lines = new List<(string, string[])>();
        var bytes = File.ReadAllBytes(path).AsSpan();
        if (bytes.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) bytes = bytes[3..];
        for (int lineNumber = 1; bytes.Length > 0; lineNumber++)
        {
            int end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            string text;
            try { text = strict.GetString(line).Trim(); }
            catch (DecoderFallbackException) { throw new InvalidDataException($"{path}: line {lineNumber} is not valid UTF-8"); }
            if (text.Length == 0) continue;
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > MaxWords)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: line {lineNumber} has {words.Length} words; a sequence may have at most {MaxWords} (split long lines)"));
            if (lines.Count == MaxLines) throw new InvalidDataException($"{path}: more than {MaxLines:N0} non-blank lines");
            lines.Add((text, words));
        }
        if (lines.Count == 0) throw new InvalidDataException($"{path}: no non-blank line; --data text:FILE needs one sequence a line");
        return lines;
    }
}
