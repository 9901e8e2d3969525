using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>Data a trainer draws batches from: a fixed set of samples, optionally labelled.</summary>
public interface ITrainingData
{
    /// <summary>Short name recorded in the manifest (e.g. "mnist", "ring8").</summary>
    string Name { get; }

    /// <summary>Number of samples.</summary>
    long Count { get; }

    /// <summary>Shape of one sample: [2], [C, H, W], or [T] for token sequences.</summary>
    long[] SampleShape { get; }

    /// <summary>Number of classes; 0 when unlabelled.</summary>
    int ClassCount { get; }

    /// <summary>SHA-256 of the content, recorded by every run.</summary>
    string Fingerprint { get; }

    /// <summary>Gathers the samples at <paramref name="indices"/> (B,) int64: x (B, ...SampleShape) float32 (int64 token ids for token sequences) and labels (B,) int64 or null.</summary>
    (Tensor X, Tensor? Labels) Gather(Tensor indices);
}

/// <summary>Training data that owns its tensors and is disposed by whoever loaded it.</summary>
public interface IOwnedTrainingData : ITrainingData, IDisposable;

/// <summary>Loads a <see cref="GenAudit.Data.Dataset"/> into the form a trainer draws from.</summary>
public static class TrainingDataLoader
{
    /// <summary>Token ids for token sequences, float32 tensors for everything else; the caller disposes the result.</summary>
    public static IOwnedTrainingData From(GenAudit.Data.Dataset dataset) => dataset switch
    {
        GenAudit.Data.TokenSequenceDataset tokens => new TokenTrainingData(tokens),
        _ => TensorTrainingData.FromDataset(dataset),
    };
}

/// <summary>Training data held as one tensor (and labels) that this object owns and disposes.</summary>
public sealed class TensorTrainingData : IOwnedTrainingData
{
    readonly Tensor _samples;
    readonly Tensor? _labels;

    /// <summary>Takes ownership of copies of <paramref name="samples"/> (N, ...) and <paramref name="labels"/> (N,).</summary>
    public TensorTrainingData(string name, Tensor samples, Tensor? labels, int classCount, string fingerprint)
    {
        if (samples.shape[0] < 1) throw new ArgumentException($"{name}: the data set is empty");
        if (labels is not null && labels.shape[0] != samples.shape[0])
            throw new ArgumentException($"{name}: {samples.shape[0]} samples but {labels.shape[0]} labels");
        Name = name;
        _samples = samples.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        _labels = labels?.to(ScalarType.Int64).contiguous().DetachFromDisposeScope();
        ClassCount = labels is null ? 0 : classCount;
        Fingerprint = fingerprint;
    }

    /// <inheritdoc />
    public string Name { get; }
    /// <inheritdoc />
    public long Count => _samples.shape[0];
    /// <inheritdoc />
    public long[] SampleShape => _samples.shape[1..];
    /// <inheritdoc />
    public int ClassCount { get; }
    /// <inheritdoc />
    public string Fingerprint { get; }

    /// <summary>Copies a loaded <see cref="GenAudit.Data.Dataset"/> into tensors for training.</summary>
    public static TensorTrainingData FromDataset(GenAudit.Data.Dataset dataset)
    {
        using var scope = NewDisposeScope();
        var samples = dataset.ToTensor();
        var labels = dataset.Labels is { } l ? torch.tensor(l, ScalarType.Int64) : null;
        return new TensorTrainingData(dataset.Name, samples, labels, dataset.ClassNames.Count, dataset.Fingerprint);
    }

    /// <summary>All samples (N, ...); owned by this object.</summary>
    public Tensor Samples => _samples;

    /// <summary>All labels (N,) or null; owned by this object.</summary>
    public Tensor? Labels => _labels;

    /// <inheritdoc />
    public (Tensor X, Tensor? Labels) Gather(Tensor indices) =>
        (_samples.index_select(0, indices), _labels?.index_select(0, indices));

    /// <inheritdoc />
    public void Dispose()
    {
        _samples.Dispose();
        _labels?.Dispose();
    }
}
