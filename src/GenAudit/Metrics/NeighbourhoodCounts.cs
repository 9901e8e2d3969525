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
/// <param name="RealBallMembers">With pairs collected: for each real sample, the generated samples inside its ball (coverage under resampling of the generated set); null when not collected or over <see cref="MaxPairs"/>.</param>
/// <param name="FakeBallMembers">With pairs collected: for each real sample, the generated samples whose ball contains it (recall with the generated radii held fixed); null likewise.</param>
internal sealed record NeighbourhoodCounts(long[] FakeInRealBalls, bool[] RealInFakeBalls, bool[] RealCovered, int[][]? RealBallMembers = null, int[][]? FakeBallMembers = null)
{
    /// <summary>Most (real, generated) pairs kept per relation when collecting: 20 million (160 MB of indices); beyond it the bootstrap of coverage or recall is skipped.</summary>
    internal const long MaxPairs = 20_000_000;

    /// <summary>
    /// A point is inside a ball when its distance is &lt; the radius (<paramref name="inclusive"/> false,
    /// Naeem et al.) or ≤ the radius (true, Kynkäänniemi et al.). Coverage always uses &lt;.
    /// Radii are k-th nearest OTHER sample distances of the same set.
    /// </summary>
    internal static NeighbourhoodCounts Compute(Tensor real, Tensor fake, int k, bool inclusive, int chunkRows, bool collectPairs = false)
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
        var realMembers = collectPairs ? new int[n][] : null;
        var fakeMembers = collectPairs ? new int[n][] : null;
        long realPairs = 0, fakePairs = 0;
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
            if (realMembers is not null) realPairs = Collect(distances.lt(radiiColumn), start, realMembers, realPairs, ref realMembers);
            if (fakeMembers is not null) fakePairs = Collect(insideFake, start, fakeMembers, fakePairs, ref fakeMembers);
        }
        return new NeighbourhoodCounts(
            fakeInRealBalls.data<long>().ToArray(),
            realInFakeBalls.data<bool>().ToArray(),
            realCovered.data<bool>().ToArray(),
            realMembers, fakeMembers);
    }

    /// <summary>Appends the column indices of each row of <paramref name="inside"/> (c, M) to <paramref name="members"/>; drops the lists past <see cref="MaxPairs"/>.</summary>
    static long Collect(Tensor inside, long start, int[][] members, long total, ref int[][]? keep)
    {
        var pairs = inside.nonzero();                                                   // (P, 2): row, column
        total += pairs.shape[0];
        if (total > MaxPairs)
        {
            keep = null;
            return total;
        }
        var rows = inside.shape[0];
        var flat = pairs.shape[0] == 0 ? [] : pairs.data<long>().ToArray(); // an empty tensor's accessor cannot copy
        var lists = new List<int>[rows];
        for (var r = 0; r < rows; r++) lists[r] = [];
        for (var p = 0; p < flat.Length; p += 2) lists[flat[p]].Add((int)flat[p + 1]);
        for (var r = 0; r < rows; r++) members[start + r] = [.. lists[r]];
        return total;
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
