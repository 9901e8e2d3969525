using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// The counts behind precision, recall, density and coverage: which generated samples fall inside
/// real k-NN balls and which real samples fall inside generated ones, computed block by block.
/// </summary>
/// <param name="FakeInRealBalls">Per generated sample, the number of real k-NN balls that contain it.</param>
/// <param name="RealInFakeBalls">Per real sample, whether some generated k-NN ball contains it.</param>
/// <param name="RealCovered">Per real sample, whether its nearest generated sample lies strictly inside its own k-NN ball.</param>
internal sealed record NeighbourhoodCounts(long[] FakeInRealBalls, bool[] RealInFakeBalls, bool[] RealCovered)
{
    /// <summary>
    /// A point is inside a ball when its distance is &lt; the radius (<paramref name="inclusive"/> false,
    /// Naeem et al.) or ≤ the radius (true, Kynkäänniemi et al.). Coverage always uses &lt;.
    /// Radii are k-th nearest OTHER sample distances of the same set.
    /// </summary>
    internal static NeighbourhoodCounts Compute(Tensor real, Tensor fake, int k, bool inclusive, int chunkRows)
    {
        using var scope = NewDisposeScope();
        var realNorms = PairwiseDistances.SquaredNorms(real);                              // (N,)
        var fakeNorms = PairwiseDistances.SquaredNorms(fake);                              // (M,)
        var realRadii = PairwiseDistances.KthNearestSquared(real, realNorms, k, chunkRows); // (N,) squared
        var fakeRadii = PairwiseDistances.KthNearestSquared(fake, fakeNorms, k, chunkRows); // (M,) squared
        var fakeRadiiRow = fakeRadii.unsqueeze(0);                                         // (1, M)

        var n = real.shape[0];
        var fakeInRealBalls = zeros(fake.shape[0], ScalarType.Int64);                       // (M,)
        var realInFakeBalls = zeros(n, ScalarType.Bool);                                   // (N,)
        var realCovered = zeros(n, ScalarType.Bool);                                       // (N,)
        for (long start = 0; start < n; start += chunkRows)
        {
            using var blockScope = NewDisposeScope();
            var rows = Math.Min(chunkRows, n - start);
            var distances = PairwiseDistances.Squared(real.narrow(0, start, rows), realNorms.narrow(0, start, rows), fake, fakeNorms); // (c, M)
            var radii = realRadii.narrow(0, start, rows);                                  // (c,)
            var radiiColumn = radii.unsqueeze(1);                                          // (c, 1)
            var insideReal = inclusive ? distances.le(radiiColumn) : distances.lt(radiiColumn); // (c, M)
            fakeInRealBalls.add_(insideReal.sum(0, type: ScalarType.Int64));
            var insideFake = inclusive ? distances.le(fakeRadiiRow) : distances.lt(fakeRadiiRow); // (c, M)
            realInFakeBalls.narrow(0, start, rows).copy_(insideFake.any(1));
            realCovered.narrow(0, start, rows).copy_(distances.amin(1).lt(radii));
        }
        return new NeighbourhoodCounts(
            fakeInRealBalls.data<long>().ToArray(),
            realInFakeBalls.data<bool>().ToArray(),
            realCovered.data<bool>().ToArray());
    }

    /// <summary>Checks the k-NN setting against both set sizes: a k-th other neighbour needs N ≥ k + 1.</summary>
    internal static void Validate(int k, int chunkRows, long realCount, long fakeCount)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"NearestK is {k}; it must be at least 1.");
        if (chunkRows < 1) throw new ArgumentOutOfRangeException(nameof(chunkRows), $"ChunkRows is {chunkRows}; it must be at least 1.");
        if (realCount < k + 1) throw new ArgumentException($"real: {realCount} samples, but NearestK = {k} needs at least {k + 1} (each sample's k-th nearest other sample).");
        if (fakeCount < k + 1) throw new ArgumentException($"fake: {fakeCount} samples, but NearestK = {k} needs at least {k + 1} (each sample's k-th nearest other sample).");
    }
}
