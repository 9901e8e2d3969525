using GenAudit.Data;
using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>Token sequences held as one (N, T) int64 tensor that this object owns; batches are token ids.</summary>
public sealed class TokenTrainingData : IOwnedTrainingData
{
    readonly Tensor _tokens;

    /// <summary>Copies the sequences of <paramref name="dataset"/> into a tensor.</summary>
    public TokenTrainingData(TokenSequenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Name = dataset.Name;
        Fingerprint = dataset.Fingerprint;
        VocabularySize = dataset.VocabularySize;
        Vocabulary = dataset.Vocabulary;
        Oracle = dataset.Oracle;
        _tokens = dataset.AllTokens().DetachFromDisposeScope();
    }

    /// <summary>The training data of a token model, or an error naming the option when <paramref name="data"/> is not token sequences.</summary>
    public static TokenTrainingData From(ITrainingData data, ModelFamily family) =>
        data as TokenTrainingData
        ?? throw new ArgumentException($"--model {family.ToString().ToLowerInvariant()} trains on token sequences (--data oracle); '{data.Name}' holds samples of shape [{string.Join(", ", data.SampleShape)}]");

    /// <inheritdoc />
    public string Name { get; }
    /// <inheritdoc />
    public long Count => _tokens.shape[0];
    /// <inheritdoc />
    public long[] SampleShape => [_tokens.shape[1]];
    /// <inheritdoc />
    public int ClassCount => 0;
    /// <inheritdoc />
    public string Fingerprint { get; }

    /// <summary>Number of tokens V.</summary>
    public int VocabularySize { get; }

    /// <summary>The tokens' spellings, for sample files.</summary>
    public TokenVocabulary Vocabulary { get; }

    /// <summary>The distribution the data was drawn from when known (synthetic data); NLL-oracle is measured against it.</summary>
    public TokenOracle? Oracle { get; }

    /// <summary>Every sequence (N, T) int64; owned by this object.</summary>
    public Tensor Tokens => _tokens;

    /// <inheritdoc />
    public (Tensor X, Tensor? Labels) Gather(Tensor indices) => (_tokens.index_select(0, indices), null);

    /// <inheritdoc />
    public void Dispose() => _tokens.Dispose();
}
