using GenAudit.Core;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>The authenticity score and its count.</summary>
/// <param name="Score">Fraction of generated samples that are authentic, in [0, 1]; higher is better. Fresh samples of the data distribution score about ½ (see remarks of <see cref="Authenticity"/>), copies 0.</param>
/// <param name="AuthenticCount">Generated samples judged authentic.</param>
/// <param name="Count">Generated samples.</param>
public sealed record AuthenticityResult(double Score, int AuthenticCount, int Count);

/// <summary>
/// Authenticity of Alaa, van Breugel, Saveliev and van der Schaar (2022, "How faithful is your
/// synthetic data?"): a generated sample is authentic unless it sits closer to its nearest training
/// sample than that training sample sits to its own nearest other training sample.
/// </summary>
/// <remarks>
/// For generated g with nearest training sample x* = argmin ‖g − x‖, g is authentic when
/// ‖g − x*‖ &gt; ‖x* − NN(x*)‖, with NN(x*) the training sample nearest to x* other than itself (the
/// rule of the authors' reference implementation). A sample drawn fresh from the data distribution
/// is, next to x*, one more exchangeable point, so it is the closer of the two about half the time:
/// the real-data reference is near 0.5, not 1, and a generator is judged against that.
/// </remarks>
public static class Authenticity
{
    /// <summary>Authenticity of <paramref name="generated"/> (m, D) against <paramref name="training"/> (l, D), l ≥ 2.</summary>
    public static AuthenticityResult Compute(Tensor training, Tensor generated, int chunkRows = PairwiseDistances.DefaultChunkRows)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var train = FeatureMatrix.ToFloat64(training, nameof(training), minimumRows: 2);
        var gen = FeatureMatrix.ToFloat64(generated, nameof(generated));
        FeatureMatrix.RequireSameDimension(train, nameof(training), gen, nameof(generated));
        var (generatedDistances, nearest) = PairwiseDistances.NearestExact(gen, train, excludeSelf: false, chunkRows);
        var rows = nearest.Distinct().Select(i => (long)i).ToArray();
        var (rowDistances, _) = PairwiseDistances.NearestExact(train.index_select(0, tensor(rows)), train, rows, chunkRows);
        var trainingDistances = new Dictionary<int, double>(rows.Length);
        for (var i = 0; i < rows.Length; i++) trainingDistances[(int)rows[i]] = rowDistances[i];
        return FromDistances(generatedDistances, nearest, trainingDistances);
    }

    /// <summary>From distances copy detection has already computed: d_gen and the nearest training index per generated sample, d_train by training index (at least for every nearest index).</summary>
    public static AuthenticityResult FromDistances(IReadOnlyList<double> generatedDistances, IReadOnlyList<int> nearestTraining, IReadOnlyDictionary<int, double> trainingDistances)
    {
        ArgumentNullException.ThrowIfNull(generatedDistances);
        ArgumentNullException.ThrowIfNull(nearestTraining);
        ArgumentNullException.ThrowIfNull(trainingDistances);
        if (generatedDistances.Count != nearestTraining.Count)
            throw new ArgumentException($"{generatedDistances.Count} generated distances but {nearestTraining.Count} nearest indices", nameof(nearestTraining));
        if (generatedDistances.Count == 0) throw new ArgumentException("no generated samples", nameof(generatedDistances));
        var authentic = 0;
        for (var j = 0; j < generatedDistances.Count; j++)
            if (generatedDistances[j] > trainingDistances[nearestTraining[j]]) authentic++;
        return new AuthenticityResult((double)authentic / generatedDistances.Count, authentic, generatedDistances.Count);
    }
}
