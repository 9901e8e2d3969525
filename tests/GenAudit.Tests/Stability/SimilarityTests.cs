using GenAudit.Stability;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class SimilarityTests
{
    [Fact]
    public void NormalizedL2MatchesItsDefinitionAndIsOneForTwoZeros()
    {
        using var a = tensor(new float[] { 3, 4, 0, 0, 1, 0 }, new long[] { 3, 2 });
        using var b = tensor(new float[] { 0, 0, 0, 0, 0, 1 }, new long[] { 3, 2 });
        var values = Similarity.NormalizedL2(a, b).data<double>().ToArray();
        Assert.Equal(1 - 5.0 / 5.0, values[0], 12);               // ‖a−b‖ = 5, ‖a‖+‖b‖ = 5
        Assert.Equal(1.0, values[1]);                              // both zero
        Assert.Equal(1 - Math.Sqrt(2) / 2, values[2], 6);
    }

    [Fact]
    public void CosineUsesTheFeatureExtractorOrFlattenedPixels()
    {
        using var a = tensor(new float[] { 1, 0, 0, 0 }, new long[] { 2, 2 });
        using var b = tensor(new float[] { 1, 1, 0, 1 }, new long[] { 2, 2 });
        var pixels = Similarity.Cosine(a, b).data<double>().ToArray();
        Assert.Equal(1 / Math.Sqrt(2), pixels[0], 6);
        Assert.Equal(0.0, pixels[1]);                               // one zero vector
        var withFeatures = Similarity.Cosine(a, b, x => x + 1).data<double>().ToArray();
        Assert.Equal((2 * 2 + 1 * 2) / (Math.Sqrt(5) * Math.Sqrt(8)), withFeatures[0], 6);
    }

    [Fact]
    public void SsimAppliesOnlyToImagesLargeEnoughForTheWindow()
    {
        Assert.Equal([SimilarityKind.Cosine, SimilarityKind.NormalizedL2], Similarity.ApplicableTo([2]));
        Assert.DoesNotContain(SimilarityKind.Ssim, Similarity.ApplicableTo([1, 10, 28]));
        Assert.Contains(SimilarityKind.Ssim, Similarity.ApplicableTo([1, 28, 28]));
    }
}
