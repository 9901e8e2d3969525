using GenAudit.Models;

namespace GenAudit.Tests.Models;

public class OutputKindTests
{
    [Fact]
    public void ShapesClassifyIntoPointsSeriesAndImagesAndOthersAreNamedInTheError()
    {
        Assert.Equal(OutputKind.Points, OutputKinds.Of([2]));
        Assert.Equal(OutputKind.Series, OutputKinds.Of([16, 100]));   // (T, F)
        Assert.Equal(OutputKind.Images, OutputKinds.Of([1, 28, 28]));
        Assert.Equal(OutputKind.Images, OutputKinds.Of([3, 32, 32]));
        foreach (long[] shape in new[] { Array.Empty<long>(), [2, 3, 28, 28] })
        {
            var error = Assert.Throws<ArgumentException>(() => OutputKinds.Of(shape));
            Assert.Contains($"[{string.Join(", ", shape)}]", error.Message);
        }
    }

    [Fact]
    public void ARunsDataNameTellsAudioAndTokensWhoseShapesReadAsSeriesAndPoints()
    {
        Assert.Equal(OutputKind.Audio, OutputKinds.Of("digits-speech", [65, 40]));
        Assert.Equal(OutputKind.Series, OutputKinds.Of("sines", [24, 5]));
        Assert.Equal(OutputKind.Tokens, OutputKinds.Of("oracle", [20]));
        Assert.Equal(OutputKind.Points, OutputKinds.Of("ring8", [2]));
    }
}
