using System.Security.Cryptography;
using System.Text;

namespace GenAudit.Data;

/// <summary>
/// English words as character sequences: the words of a word list (Debian's <c>wamerican</c> by default)
/// made only of the letters a–z, 3 to 12 long, each followed by end tokens up to T = 13. A word is held
/// out when the first byte of its SHA-256 is divisible by 10 (about 10%), so the split does not depend
/// on the file's order or on the other words.
/// </summary>
public static class EnglishWords
{
    /// <summary>Debian's American English word list (package <c>wamerican</c>).</summary>
    public const string DefaultPath = "/usr/share/dict/american-english";

    /// <summary>Shortest and longest words kept.</summary>
    public const int MinLength = 3, MaxLength = 12;

    /// <summary>Tokens per sequence: the longest word and one end token.</summary>
    public const int SequenceLength = MaxLength + 1;

    /// <summary>Id of the end token; the letters a–z are 1–26.</summary>
    public const int EndToken = 0;

    const long MaxFileBytes = 64L << 20;

    /// <summary>The vocabulary: "&lt;end&gt;", then a..z.</summary>
    public static TokenVocabulary Vocabulary { get; } =
        TokenVocabulary.Named(["<end>", .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())], EndToken);

    /// <summary>The kept words of <paramref name="path"/> (sorted, distinct) in the given split.</summary>
    public static IReadOnlyList<string> Words(DataSplit split, string path = DefaultPath) =>
        ReadWords(path).Where(w => IsHeldOut(w) == (split == DataSplit.Test)).ToList();

    /// <summary>The training or held-out words of <paramref name="path"/> as (N, 13) token sequences.</summary>
    public static TokenSequenceDataset Load(DataSplit split, string path = DefaultPath)
    {
        var words = Words(split, path);
        if (words.Count == 0) throw new InvalidDataException($"{path}: no word of {MinLength}–{MaxLength} letters a–z in the {split.ToString().ToLowerInvariant()} split");
        var tokens = new long[words.Count * SequenceLength];
        for (int i = 0; i < words.Count; i++)
            for (int j = 0; j < words[i].Length; j++) tokens[i * SequenceLength + j] = words[i][j] - 'a' + 1;
        var name = path == DefaultPath ? "words" : "words:" + Path.GetFileName(path);
        return new TokenSequenceDataset($"{name}-{(split == DataSplit.Train ? "train" : "test")}", tokens, SequenceLength, Vocabulary);
    }

    /// <summary>True for a word of 3–12 letters a–z.</summary>
    public static bool IsKept(string word) => word.Length is >= MinLength and <= MaxLength && word.All(c => c is >= 'a' and <= 'z');

    /// <summary>True when the word belongs to the held-out split.</summary>
    public static bool IsHeldOut(string word) => SHA256.HashData(Encoding.ASCII.GetBytes(word))[0] % 10 == 0;

    static SortedSet<string> ReadWords(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: word list not found; Debian's ({DefaultPath}, read by --data words) is installed by 'apt-get install wamerican', another list is given as words:FILE", path);
        var size = new FileInfo(path).Length;
        if (size > MaxFileBytes) throw new InvalidDataException($"{path}: {size} bytes; a word list may hold at most {MaxFileBytes >> 20} MB");
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var words = new SortedSet<string>(StringComparer.Ordinal);
        // Decoded line by line, so that bad bytes are reported on their own line.
        var bytes = File.ReadAllBytes(path).AsSpan();
        for (int lineNumber = 1; bytes.Length > 0; lineNumber++)
        {
            int end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            string word;
            try
            {
                word = strict.GetString(line).Trim();
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}: line {lineNumber} is not valid UTF-8");
            }
            if (IsKept(word)) words.Add(word);
        }
        return words;
    }
}
