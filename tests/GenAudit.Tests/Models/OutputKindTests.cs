using GenAudit.Models;

namespace GenAudit.Tests.Models;

public class OutputKindTests
{
    [Fact]
    public void ShapesClassifyIntoPointsAndImagesAndOthersAreNamedInTheError()
    {
        Assert.Equal(OutputKind.Points, OutputKinds.Of([2]));
        Assert.Equal(OutputKind.Images, OutputKinds.Of([1, 28, 28]));
        Assert.Equal(OutputKind.Images, OutputKinds.Of([3, 32, 32]));
        var error = Assert.Throws<ArgumentException>(() => OutputKinds.Of([16, 100]));
        Assert.Contains("[16, 100]", error.Message);
    }
}
