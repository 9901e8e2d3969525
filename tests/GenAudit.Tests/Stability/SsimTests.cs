using GenAudit.Stability;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class SsimTests
{
    const int Channels = 2, Height = 16, Width = 14;

    [Fact]
    public void IdenticalImagesGiveExactlyOne()
    {
        using var a = Image(1, v => v);
        using var ssim = Ssim.Compute(a, a);
        Assert.Equal(1.0, ssim.item<double>(), 12);
    }

    [Fact]
    public void ConstantShiftMatchesBruteForceReference()
    {
        using var a = Image(2, v => v * 0.8);
        using var b = Image(2, v => v * 0.8 + 0.15);
        AssertMatchesReference(a, b);
    }

    [Fact]
    public void NoiseImageMatchesBruteForceReference()
    {
        using var a = Image(3, v => v);
        using var b = Image(4, v => v);
        AssertMatchesReference(a, b);
    }

    [Fact]
    public void IsSymmetricAndBatched()
    {
        using var a = cat([Image(5, v => v), Image(6, v => v * 0.5)], 0);     // (2, C, H, W)
        using var b = cat([Image(7, v => v), Image(5, v => 1 - v)], 0);
        using var ab = Ssim.Compute(a, b);
        using var ba = Ssim.Compute(b, a);
        Assert.Equal(new long[] { 2 }, ab.shape);
        var forward = ab.data<double>().ToArray();
        var backward = ba.data<double>().ToArray();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(forward[i], backward[i], 12);
            Assert.Equal(Reference(Pixels(a, i), Pixels(b, i)), forward[i], 5);
        }
    }

    [Fact]
    public void TooSmallImagesAreRejectedWithTheReason()
    {
        using var small = zeros(1, 1, 8, 8);
        var error = Assert.Throws<ArgumentException>(() => Ssim.Compute(small, small));
        Assert.Contains("11x11", error.Message);
    }

    static void AssertMatchesReference(Tensor a, Tensor b)
    {
        using var ssim = Ssim.Compute(a, b);
        Assert.Equal(Reference(Pixels(a, 0), Pixels(b, 0)), ssim.item<double>(), 5);
    }

    // Uniform pixels from a seeded System.Random, mapped by f: (1, C, H, W).
    static Tensor Image(int seed, Func<double, double> f)
    {
        var random = new Random(seed);
        var pixels = new float[Channels * Height * Width];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)f(random.NextDouble());
        return tensor(pixels, new long[] { 1, Channels, Height, Width });
    }

    static float[,,] Pixels(Tensor batch, int index)
    {
        var flat = batch[index].data<float>().ToArray();
        var pixels = new float[Channels, Height, Width];
        var k = 0;
        for (var c = 0; c < Channels; c++)
            for (var y = 0; y < Height; y++)
                for (var x = 0; x < Width; x++) pixels[c, y, x] = flat[k++];
        return pixels;
    }

    // Wang et al. 2004 with plain loops: 11×11 Gaussian window (σ 1.5) at every position where it fits
    // (valid), local statistics with two-pass (x − μ) sums, the map averaged over positions and channels.
    static double Reference(float[,,] a, float[,,] b)
    {
        const int size = 11;
        var window = new double[size, size];
        var total = 0.0;
        for (var i = 0; i < size; i++)
            for (var j = 0; j < size; j++)
                total += window[i, j] = Math.Exp(-((i - 5.0) * (i - 5.0) + (j - 5.0) * (j - 5.0)) / (2 * 1.5 * 1.5));
        double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03, sum = 0;
        var positions = 0;
        for (var c = 0; c < Channels; c++)
            for (var top = 0; top + size <= Height; top++)
                for (var left = 0; left + size <= Width; left++)
                {
                    double muA = 0, muB = 0;
                    for (var i = 0; i < size; i++)
                        for (var j = 0; j < size; j++)
                        {
                            var w = window[i, j] / total;
                            muA += w * a[c, top + i, left + j];
                            muB += w * b[c, top + i, left + j];
                        }
                    double varA = 0, varB = 0, cov = 0;
                    for (var i = 0; i < size; i++)
                        for (var j = 0; j < size; j++)
                        {
                            var w = window[i, j] / total;
                            var da = a[c, top + i, left + j] - muA;
                            var db = b[c, top + i, left + j] - muB;
                            varA += w * da * da;
                            varB += w * db * db;
                            cov += w * da * db;
                        }
                    sum += (2 * muA * muB + c1) * (2 * cov + c2) / ((muA * muA + muB * muB + c1) * (varA + varB + c2));
                    positions++;
                }
        return sum / positions;
    }
}

/// <summary>GenAudit's SSIM against scikit-image's structural_similarity with the same definition (tools/fixtures/make_ssim_fixtures.py).</summary>
public class SsimReferenceTests
{
    const string File = "ssim_skimage.json";

    public static TheoryData<string> Cases => ReferenceFixtures.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitImage(string name)
    {
        var fixture = ReferenceFixtures.Case(File, name);
        var shape = fixture.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).Prepend(1).ToArray(); // (1, C, H, W)
        using var a = tensor(fixture.Doubles("a"), shape, ScalarType.Float64);
        using var b = tensor(fixture.Doubles("b"), shape, ScalarType.Float64);
        using var ssim = Ssim.Compute(a, b);
        Assert.Equal(fixture.GetProperty("ssim").GetDouble(), ssim.item<double>(), 1e-12);
    }
}
