using System.Text;
using System.Text.RegularExpressions;
using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class EnglishWordsTests
{
    [Fact]
    public void AWordListBecomesEndPaddedCharacterSequencesSplitByHash()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "list.txt");
        // Kept: 3–12 letters a–z. Dropped: capitals, apostrophes, accents, too short, too long; duplicates once.
        File.WriteAllText(path, "cat\nCat\ncat's\ncafé\nno\nabcdefghijklm\nabcdefghijkl\ndog\ndog\nzebra\n");
        var train = EnglishWords.Load(DataSplit.Train, path);
        var test = EnglishWords.Words(DataSplit.Test, path);
        var all = train.Tokens.ToArray().Chunk(13).Select(s => EnglishWords.Vocabulary.Spell(s)).Concat(test).Order(StringComparer.Ordinal);
        Assert.Equal(["abcdefghijkl", "cat", "dog", "zebra"], all);
        Assert.Equal(13, train.Length);
        Assert.Equal(27, train.VocabularySize);
        var first = train.Tokens[..13].ToArray();
        var word = EnglishWords.Vocabulary.Spell(first);
        Assert.Equal(word.Select(c => (long)(c - 'a' + 1)).Concat(Enumerable.Repeat(0L, 13 - word.Length)), first);
    }

    [Fact]
    public void DebiansWordListSplitsAboutOneInTenWordsOut()
    {
        // Counted independently of the loader: distinct lines of 3–12 lower-case letters.
        var expected = File.ReadLines(EnglishWords.DefaultPath).Where(l => Regex.IsMatch(l, "^[a-z]{3,12}$")).Distinct().Count();
        var train = EnglishWords.Words(DataSplit.Train);
        var test = EnglishWords.Words(DataSplit.Test);
        Assert.Equal(expected, train.Count + test.Count);
        Assert.Empty(train.Intersect(test));
        Assert.InRange(test.Count / (double)expected, 0.09, 0.11);
        var data = Assert.IsType<TokenSequenceDataset>(DatasetRegistry.Resolve("words"));
        Assert.Equal(train.Count, data.Count);
    }

    [Fact]
    public void MissingOrBrokenListsAreClearErrors()
    {
        using var folder = new TempFolder();
        var missing = Assert.Throws<FileNotFoundException>(() => EnglishWords.Load(DataSplit.Train, Path.Combine(folder.Path, "none.txt")));
        Assert.Contains("word list not found; Debian's (/usr/share/dict/american-english, read by --data words) is installed by 'apt-get install wamerican'", missing.Message);
        var broken = Path.Combine(folder.Path, "broken.txt");
        File.WriteAllBytes(broken, [.. Encoding.ASCII.GetBytes("cat\ndog\n"), 0xC3, 0x28, (byte)'\n']);
        Assert.Contains("line 3 is not valid UTF-8", Assert.Throws<InvalidDataException>(() => EnglishWords.Load(DataSplit.Train, broken)).Message);
    }
}
