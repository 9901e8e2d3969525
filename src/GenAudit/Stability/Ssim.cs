using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>
/// Structural similarity of image batches (Wang et al. 2004): Gaussian window 11, σ 1.5, K1 0.01,
/// K2 0.03, data range 1, per channel, averaged over the valid part of the map.
/// </summary>
/// <remarks>
/// "Valid" means the window never leaves the image, as in the authors' reference MATLAB code
/// (<c>filter2(window, img, 'valid')</c>): a 28×28 image gives an 18×18 map and no padding value
/// biases the border. The statistics are computed in float64 so that σ² = E[x²] − μ² does not lose
/// the small variances of flat regions.
/// </remarks>
public static class Ssim
{
    /// <summary>Side of the Gaussian window.</summary>
    public const int WindowSize = 11;

    /// <summary>Standard deviation of the Gaussian window.</summary>
    public const double WindowSigma = 1.5;

    /// <summary>Stabiliser constant K1 of the luminance term.</summary>
    public const double K1 = 0.01;

    /// <summary>Stabiliser constant K2 of the contrast-structure term.</summary>
    public const double K2 = 0.03;

    /// <summary>Dynamic range L of the pixel values (images are in [0, 1]).</summary>
    public const double DataRange = 1.0;

    /// <summary>True when SSIM is defined for outputs of this shape: [C, H, W] with H and W at least the window size.</summary>
    public static bool Applies(long[] outputShape) =>
        outputShape.Length == 3 && outputShape[1] >= WindowSize && outputShape[2] >= WindowSize;

    /// <summary>The normalised 1D Gaussian weights g with window = g gᵀ, as doubles.</summary>
    public static double[] GaussianWeights()
    {
        var weights = new double[WindowSize];
        var centre = (WindowSize - 1) / 2.0;
        for (var i = 0; i < WindowSize; i++)
            weights[i] = Math.Exp(-(i - centre) * (i - centre) / (2 * WindowSigma * WindowSigma));
        var sum = weights.Sum();
        for (var i = 0; i < WindowSize; i++) weights[i] /= sum;
        return weights;
    }

    /// <summary>
    /// SSIM of each pair of images: <paramref name="a"/> and <paramref name="b"/> are (B, C, H, W)
    /// in [0, 1]; returns (B,) float64, 1 for identical images. Differentiable.
    /// </summary>
    public static Tensor Compute(Tensor a, Tensor b)
    {
        if (a.dim() != 4 || !a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"SSIM needs two (B, C, H, W) batches of the same shape; got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}].");
        if (a.shape[2] < WindowSize || a.shape[3] < WindowSize)
            throw new ArgumentException($"SSIM needs images of at least {WindowSize}x{WindowSize} for its valid {WindowSize}x{WindowSize} window; got {a.shape[2]}x{a.shape[3]}.");

        using var scope = NewDisposeScope();
        var channels = a.shape[1];
        var x = a.to_type(ScalarType.Float64);
        var y = b.to_type(ScalarType.Float64);
        // The five local statistics in one separable convolution over B·5C single-channel planes: the 2D
        // Gaussian window is g gᵀ, so an 11×1 pass and a 1×11 pass give the same valid map at 22 instead
        // of 121 multiplications per pixel (and single-channel planes avoid torch's slow grouped path).
        var (batch, height, width) = (a.shape[0], a.shape[2], a.shape[3]);
        var planes = cat([x, y, x * x, y * y, x * y], 1).view(batch * 5 * channels, 1, height, width); // (B·5C, 1, H, W)
        var g = tensor(GaussianWeights(), dtype: ScalarType.Float64, device: a.device);
        var filtered = nn.functional.conv2d(nn.functional.conv2d(planes, g.view(1, 1, WindowSize, 1)), g.view(1, 1, 1, WindowSize))
            .view(batch, 5 * channels, height - WindowSize + 1, width - WindowSize + 1)
            .chunk(5, 1);                                                                   // 5 × (B, C, H-10, W-10)
        var (muX, muY) = (filtered[0], filtered[1]);
        var sigmaXX = filtered[2] - muX * muX;
        var sigmaYY = filtered[3] - muY * muY;
        var sigmaXY = filtered[4] - muX * muY;
        var c1 = Math.Pow(K1 * DataRange, 2);
        var c2 = Math.Pow(K2 * DataRange, 2);
        var map = (2 * muX * muY + c1) * (2 * sigmaXY + c2) /
                  ((muX * muX + muY * muY + c1) * (sigmaXX + sigmaYY + c2)); // (B, C, H-10, W-10)
        return map.flatten(1).mean(new long[] { 1 }).MoveToOuterDisposeScope(); // (B,)
    }
}
