using System.IO.Compression;
using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class TokensFromWordsTests
{
    [Fact]
    public void TheVocabularyIsTheMostFrequentTrainingWordsAfterEndAndUnknown()
    {
        List<string[]> training = [["b", "a", "c"], ["a", "b", "a"], ["d", "<end>"]];
        // Counts a 3, b 2, c 1, d 1; with 5 tokens there is room for a, b and, on the ordinal tie, c.
        var data = TokensFromWords.Build("t", training, [["a", "d", "b", "c"], ["zzz"]], vocabularySize: 5);
        Assert.Equal(5, data.VocabularySize);
        Assert.Equal(["<end>", "<unk>", "a", "b", "c"], Enumerable.Range(0, 5).Select(i => data.Vocabulary.Spell(i)));
        Assert.Equal(5, data.Length); // the longest sentence (4 words) and an end token
        Assert.Equal([2L, 1, 3, 4, 0, 1, 0, 0, 0, 0], data.Tokens.ToArray());
        Assert.Equal("a <unk> b c", data.Vocabulary.Spell(data.Tokens[..5]));
    }

    [Fact]
    public void ATextFileIsSplitByLineHashWithClearErrors()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "mine.txt");
        var lines = Enumerable.Range(0, 60).Select(i => $"line {i} of my text").ToArray();
        File.WriteAllLines(path, ["", .. lines, "   "]);
        var train = TextSequences.Load(path, DataSplit.Train);
        var test = TextSequences.Load(path, DataSplit.Test);
        Assert.Equal(lines.Count(l => !TokensFromWords.IsHeldOut(l)), train.Count);
        Assert.Equal(60, train.Count + test.Count);
        Assert.True(test.Count > 0);
        Assert.Equal(6, train.Length);
        var spelled = Enumerable.Range(0, train.Count).Select(i => train.Vocabulary.Spell(train.Tokens.Slice(i * 6, 6))).ToList();
        Assert.Subset(lines.ToHashSet(), spelled.ToHashSet());

        File.WriteAllBytes(path, [(byte)'o', (byte)'k', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        Assert.Contains("line 2 is not valid UTF-8", Assert.Throws<InvalidDataException>(() => TextSequences.Load(path, DataSplit.Train)).Message);
        File.WriteAllText(path, "\n \n");
        Assert.Contains("no non-blank line", Assert.Throws<InvalidDataException>(() => TextSequences.Load(path, DataSplit.Train)).Message);
        File.WriteAllText(path, "short\n" + string.Join(' ', Enumerable.Repeat("w", 101)) + "\n");
        Assert.Contains("line 2 has 101 words", Assert.Throws<InvalidDataException>(() => TextSequences.Load(path, DataSplit.Train)).Message);
        Assert.Contains("not found", Assert.Throws<FileNotFoundException>(() => DatasetRegistry.Resolve("text:" + Path.Combine(folder.Path, "none.txt"))).Message);
    }

    [Fact]
    public void TheBrownCorpusShipsItsSentencesSplitByDocument()
    {
        // Counted from the committed file independently of the loader.
        var file = Path.Combine(TestRepository.Root, "data", "brown", "brown-sentences.txt.gz");
        using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        var rows = new StreamReader(gzip).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.Equal(30_304, rows.Count);
        Assert.Equal(500, rows.Select(r => r[0]).Distinct().Count());
        var heldOut = rows.Count(r => TokensFromWords.IsHeldOut(r[0]));

        var train = Assert.IsType<TokenSequenceDataset>(DatasetRegistry.Resolve("brown"));
        var test = BrownCorpus.Load(DataSplit.Test);
        Assert.Equal(rows.Count - heldOut, train.Count);
        Assert.Equal(heldOut, test.Count);
        Assert.InRange(heldOut / (double)rows.Count, 0.05, 0.15);
        Assert.Equal(21, train.Length);
        Assert.Equal(5000, train.VocabularySize);
        var top = rows.Where(r => !TokensFromWords.IsHeldOut(r[0])).SelectMany(r => r[2].Split(' ')).CountBy(w => w)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(3).Select(kv => kv.Key);
        Assert.Equal(top, Enumerable.Range(2, 3).Select(i => train.Vocabulary.Spell(i)));
        Assert.Equal(train.Vocabulary.Spell(4999), test.Vocabulary.Spell(4999));
        var firstTraining = rows.First(r => !TokensFromWords.IsHeldOut(r[0]))[2];
        var known = Enumerable.Range(0, 5000).Select(i => train.Vocabulary.Spell(i)).ToHashSet();
        Assert.Equal(string.Join(' ', firstTraining.Split(' ').Select(w => known.Contains(w) ? w : "<unk>")), train.Vocabulary.Spell(train.Tokens[..21]));
    }
}
