using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>Deletion and insertion curves of a batch and their areas.</summary>
public sealed record DeletionInsertionResult
{
    /// <summary>Fractions k/K of features removed or added at each point, 0..1 (K + 1 points).</summary>
    public required double[] Fractions { get; init; }

    /// <summary>f with the top-ranked fraction of features at the baseline, per example: [example][point].</summary>
    public required double[][] DeletionCurves { get; init; }

    /// <summary>f of the baseline with the top-ranked fraction of features set to the input, per example: [example][point].</summary>
    public required double[][] InsertionCurves { get; init; }

    /// <summary>Trapezoid area under the raw deletion curve over fractions in [0, 1], per example.</summary>
    public required double[] DeletionAucRaw { get; init; }

    /// <summary>Trapezoid area under the raw insertion curve, per example.</summary>
    public required double[] InsertionAucRaw { get; init; }

    /// <summary>
    /// Area under (f − f(b)) / (f(x) − f(b)) of the deletion curve, per example: lower is better, 0.5 for a
    /// straight line from 1 to 0; NaN when |f(x) − f(b)| is below 1e-12 of max(1, |f(x)|).
    /// </summary>
    public required double[] DeletionAuc { get; init; }

    /// <summary>Normalised area of the insertion curve, per example: higher is better.</summary>
    public required double[] InsertionAuc { get; init; }
}

/// <summary>
/// Deletion and insertion (Petsiuk et al. 2018): rank features by their contribution to
/// f(x) − f(baseline), i.e. by attribution × sign(f(x) − f(baseline)), largest first; the
/// deletion curve sets the top-ranked k/K of the features of x to the baseline, the insertion curve sets
/// the top-ranked k/K of the baseline's features to x, for k = 0..K (round(k·M/K) features), and
/// integrates both by the trapezoid rule over the fraction.
/// </summary>
public static class DeletionInsertion
{
    /// <summary>
    /// Curves and areas for each example of <paramref name="inputs"/> (B, ...) with <paramref name="attributions"/>
    /// (input's shape, or (B, M) per group of <paramref name="mask"/>), against <paramref name="baseline"/> (zeros by default).
    /// Ties in the ranking are broken by feature index.
    /// </summary>
    public static DeletionInsertionResult Compute(Func<Tensor, Tensor> target, Tensor inputs, Tensor attributions,
                                                  Baseline? baseline = null, FeatureMask? mask = null, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new EvaluationOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, baseline, mask, "deletion/insertion");
        var values = space.FeatureValues(attributions, "deletion/insertion"); // (B, M)
        var m = space.Count;
        var steps = Math.Min(options.CurveSteps, m);
        var batch = space.Batch;
        var points = steps + 1;
        var ends = Batched.Evaluate(target, cat([space.Inputs, space.Reference]), options.BatchSize);
        var atInput = Numerics.ToDoubles(ends.narrow(0, 0, batch));
        var atBaseline = Numerics.ToDoubles(ends.narrow(0, batch, batch));
        // Rank by the contribution to the change f(x) − f(b): when f(x) lies below the baseline's value
        // the features that matter most are those with the most negative attributions.
        var direction = tensor(atInput.Zip(atBaseline, (x, b) => x >= b ? 1.0 : -1.0).ToArray(), device: values.device)
            .to(values.dtype).unsqueeze(1);                                                      // (B, 1)
        var rank = (values * direction).neg().sort(1, stable: true).Indices.argsort(1);          // (B, M): 0 for the largest contribution
        var counts = tensor(Enumerable.Range(0, points).Select(k => (long)Math.Round((double)k * m / steps)).ToArray(), device: values.device); // (K+1,)

        Tensor Switched(long start, long length, out Tensor example)
        {
            var pair = arange(start, start + length, dtype: ScalarType.Int64, device: values.device);
            example = pair.div(points, rounding_mode: RoundingMode.floor); // (L,)
            var count = counts.index_select(0, pair.remainder(points)).unsqueeze(1); // (L, 1)
            return rank.index_select(0, example).lt(count); // (L, M): the top `count` features
        }

        var total = batch * points;
        var deletion = Batched.Evaluate(target, total, (start, length) =>
        {
            var switched = Switched(start, length, out var example);
            return space.Remove(example, switched);
        }, options.BatchSize).view(batch, points);
        var insertion = Batched.Evaluate(target, total, (start, length) =>
        {
            var switched = Switched(start, length, out var example);
            return space.Add(example, switched);
        }, options.BatchSize).view(batch, points);
        var fractions = Enumerable.Range(0, points).Select(k => (double)counts[k].item<long>() / m).ToArray();
        var deletionCurves = Rows(deletion);
        var insertionCurves = Rows(insertion);
        var deletionRaw = deletionCurves.Select(c => Trapezoid(fractions, c)).ToArray();
        var insertionRaw = insertionCurves.Select(c => Trapezoid(fractions, c)).ToArray();
        return new DeletionInsertionResult
        {
            Fractions = fractions,
            DeletionCurves = deletionCurves,
            InsertionCurves = insertionCurves,
            DeletionAucRaw = deletionRaw,
            InsertionAucRaw = insertionRaw,
            DeletionAuc = deletionRaw.Select((a, i) => Normalise(a, atInput[i], atBaseline[i])).ToArray(),
            InsertionAuc = insertionRaw.Select((a, i) => Normalise(a, atInput[i], atBaseline[i])).ToArray(),
        };
    }

    /// <summary>The area under the curve (f − f(b)) / (f(x) − f(b)), from the raw area over [0, 1]; NaN when f(x) ≈ f(b).</summary>
    static double Normalise(double rawArea, double atInput, double atBaseline)
    {
        var gap = atInput - atBaseline;
        return Math.Abs(gap) <= 1e-12 * Math.Max(1, Math.Abs(atInput)) ? double.NaN : (rawArea - atBaseline) / gap;
    }

    static double Trapezoid(double[] x, double[] y)
    {
        double area = 0;
        for (var i = 1; i < x.Length; i++) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
        return area;
    }

    static double[][] Rows(Tensor values)
    {
        var flat = Numerics.ToDoubles(values);
        var columns = (int)values.shape[1];
        return Enumerable.Range(0, (int)values.shape[0]).Select(i => flat.AsSpan(i * columns, columns).ToArray()).ToArray();
    }
}
