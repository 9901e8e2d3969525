using GenAudit.Explain;
using static TorchSharp.torch;

namespace GenAudit.Tests.Explain;

/// <summary>The per-kind masks and occlusion windows behind explain's --mask (docs/architecture.md, modality seams).</summary>
public class AttributionInputsTests
{
    [Fact]
    public void EachKindIsServedByItsOwnImplementation()
    {
        Assert.IsType<LatentInput>(AttributionInputs.For(TargetInput.Latent));
        Assert.IsType<ImageInput>(AttributionInputs.For(TargetInput.Image));
    }

    [Fact]
    public void ImageMasksArePatchesOrSlicAndTheWindowFollowsThePatch()
    {
        var images = new ImageInput();
        long[] shape = [1, 8, 12];
        using (var patches = images.Mask(null, shape)(zeros(2, 1, 8, 12)))
            Assert.Equal(2 * 3, patches.Count); // 4×4 patches of an 8×12 image
        using (var patches = images.Mask("patch:3", shape)(zeros(2, 1, 8, 12)))
            Assert.Equal(3 * 4, patches.Count); // ⌈8/3⌉ × ⌈12/3⌉
        Assert.Equal([1L, 4, 4], images.OcclusionWindow(null, shape));
        Assert.Equal([1L, 3, 3], images.OcclusionWindow("patch:3", shape));
        Assert.Equal([1L, 4, 4], images.OcclusionWindow("slic:10", shape));
        Assert.Contains("latent:K (latents)", Assert.Throws<ArgumentException>(() => images.Mask("latent:2", shape)).Message);
        Assert.Contains("whole number >= 1", Assert.Throws<ArgumentException>(() => images.Mask("patch:0", shape)).Message);
    }

    [Fact]
    public void LatentMasksGroupConsecutiveDimensionsAndOcclusionTakesOneAtATime()
    {
        var latents = new LatentInput();
        long[] shape = [10];
        using (var single = latents.Mask(null, shape)(zeros(1, 10)))
            Assert.Equal(10, single.Count);
        using (var groups = latents.Mask("latent:4", shape)(zeros(1, 10)))
            Assert.Equal(3, groups.Count); // {0..3}, {4..7}, {8, 9}
        Assert.Equal([1L], latents.OcclusionWindow("latent:4", shape));
        Assert.Contains("patch and slic masks are for images", Assert.Throws<ArgumentException>(() => latents.Mask("patch:4", shape)).Message);
    }
}
