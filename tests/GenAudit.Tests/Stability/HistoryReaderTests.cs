using GenAudit.Stability;

namespace GenAudit.Tests.Stability;

public sealed class HistoryReaderTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("genaudit-history-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    string Write(params string[] lines)
    {
        var path = Path.Combine(directory, "history.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void ReadsTheFieldsToleratesExtrasAndNonFiniteValues()
    {
        var path = Write(
            """{"step":10,"lossD":1.25,"lossG":0.75,"gradNormG":1.5,"gradNormD":2.5,"dReal":0.6,"dFake":0.4,"lrG":0.0002,"lrD":0.0002,"epoch":1,"note":"x","lossType":"hinge"}""",
            "",
            """{"step":20,"lossD":"NaN","lossG":"Infinity","lossGp":0.5}""",
            """{"step":30,"lossD":NaN,"lossG":-Infinity}""");
        var history = HistoryReader.Read(path);

        Assert.Equal(3, history.Count);
        var first = history[0];
        Assert.Equal(10, first.Step);
        Assert.Equal(1.25, first.Losses["lossD"]);
        Assert.Equal(0.75, first.Losses["lossG"]);
        Assert.Equal(2, first.Losses.Count);
        Assert.Equal((1.5, 2.5, 0.6, 0.4, 0.0002, 0.0002),
            (first.GradNormG, first.GradNormD, first.DRealMean, first.DFakeMean, first.LearningRateG, first.LearningRateD));
        Assert.True(double.IsNaN(history[1].Losses["lossD"]));
        Assert.Equal(double.PositiveInfinity, history[1].Losses["lossG"]);
        Assert.Equal(0.5, history[1].Losses["lossGp"]);
        Assert.Null(history[1].GradNormG);
        Assert.True(double.IsNaN(history[2].Losses["lossD"]));
        Assert.Equal(double.NegativeInfinity, history[2].Losses["lossG"]);
    }

    [Theory]
    [InlineData("{\"step\":2,\"lossD\":", "not valid JSON")]
    [InlineData("{\"lossD\":1}", "'step' is missing")]
    [InlineData("{\"step\":2,\"lossD\":\"high\"}", "field 'lossD'")]
    [InlineData("[1,2]", "one JSON object per line")]
    public void MalformedLinesAreReportedWithFileAndLineNumber(string line, string reason)
    {
        var path = Write("""{"step":1,"lossD":1}""", line);
        var error = Assert.Throws<FormatException>(() => HistoryReader.Read(path));
        Assert.StartsWith($"{path}:2: ", error.Message);
        Assert.Contains(reason, error.Message);
    }
}
