using GenAudit.Data;
using GenAudit.Models;

namespace GenAudit.Runs;

/// <summary>
/// Real-valued sequences (T, F): the flattened T·F values, as the points are their own features.
/// Quality and coverage then compare whole sequences; TimeGAN's post-hoc scores (Metrics.TimeSeriesScores) judge their dynamics.
/// </summary>
public sealed class SeriesFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Series;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(train);
        return (new IdentityFeatureExtractor(train.SampleSize), null);
    }
}
