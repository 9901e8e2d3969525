using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>The similarities a stability score can be measured with.</summary>
public enum SimilarityKind
{
    /// <summary>Structural similarity (<see cref="Ssim"/>); images only. Range [-1, 1], higher is more similar.</summary>
    Ssim,

    /// <summary>Cosine similarity of features (a caller-given extractor, else flattened pixels). Range [-1, 1].</summary>
    Cosine,

    /// <summary>1 − ‖a−b‖ / (‖a‖ + ‖b‖) on flattened outputs; 1 when both are zero. Range [0, 1].</summary>
    NormalizedL2,
}

/// <summary>Batched similarities between two output batches (B, ...) that return (B,) float64.</summary>
public static class Similarity
{
    /// <summary>The key a similarity has in reports: <c>ssim</c>, <c>cosine</c> or <c>normalizedL2</c>.</summary>
    public static string Key(SimilarityKind kind) => kind switch
    {
        SimilarityKind.Ssim => "ssim",
        SimilarityKind.Cosine => "cosine",
        SimilarityKind.NormalizedL2 => "normalizedL2",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The similarities defined for outputs of this shape: SSIM only for [C, H, W] images of at least 11×11.</summary>
    public static IReadOnlyList<SimilarityKind> ApplicableTo(long[] outputShape) =>
        Ssim.Applies(outputShape)
            ? [SimilarityKind.Ssim, SimilarityKind.Cosine, SimilarityKind.NormalizedL2]
            : [SimilarityKind.Cosine, SimilarityKind.NormalizedL2];

    /// <summary>
    /// Similarity of each pair (a[i], b[i]). <paramref name="features"/> is used by
    /// <see cref="SimilarityKind.Cosine"/> only; null means flattened outputs (for 2D data the points).
    /// </summary>
    public static Tensor Compute(SimilarityKind kind, Tensor a, Tensor b, Func<Tensor, Tensor>? features = null) => kind switch
    {
        SimilarityKind.Ssim => Ssim.Compute(a, b),
        SimilarityKind.Cosine => Cosine(a, b, features),
        SimilarityKind.NormalizedL2 => NormalizedL2(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// Cosine similarity of features f(a) and f(b), flattened per sample; f is the identity when
    /// <paramref name="features"/> is null. Defined as 1 when both feature vectors are zero and 0
    /// when one of them is.
    /// </summary>
    public static Tensor Cosine(Tensor a, Tensor b, Func<Tensor, Tensor>? features = null)
    {
        using var scope = NewDisposeScope();
        var fa = Features(a, features);                       // (B, F)
        var fb = Features(b, features);                       // (B, F)
        var na = SafeNorm(fa);                                // (B,)
        var nb = SafeNorm(fb);                                // (B,)
        var dot = (fa * fb).sum(1);                           // (B,)
        var cosine = dot / (na * nb).clamp_min(1e-300);
        var bothZero = (na == 0) & (nb == 0);
        var oneZero = (na == 0) ^ (nb == 0);
        var result = where(bothZero, ones_like(cosine), where(oneZero, zeros_like(cosine), cosine));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Normalised L2 similarity 1 − ‖a−b‖ / (‖a‖ + ‖b‖) per sample, 1 when both are zero.</summary>
    public static Tensor NormalizedL2(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.flatten(1).to_type(ScalarType.Float64);     // (B, N)
        var y = b.flatten(1).to_type(ScalarType.Float64);     // (B, N)
        var distance = SafeNorm(x - y);                       // (B,)
        var scale = SafeNorm(x) + SafeNorm(y);                // (B,)
        var result = where(scale == 0, ones_like(scale), 1 - distance / scale.clamp_min(1e-300));
        return result.MoveToOuterDisposeScope();
    }

    static Tensor Features(Tensor x, Func<Tensor, Tensor>? features) =>
        (features is null ? x : features(x)).flatten(1).to_type(ScalarType.Float64);

    // ‖x‖ whose gradient at x = 0 is 0 instead of NaN, so that identical pairs do not poison an ascent.
    static Tensor SafeNorm(Tensor x)
    {
        var squared = x.square().sum(1);
        var positive = squared > 0;
        return where(positive, squared.where(positive, ones_like(squared)).sqrt(), zeros_like(squared));
    }
}
