using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>
/// Random streams keyed by (seed, step, stream) instead of carried state, so a run resumed from a
/// checkpoint draws exactly the numbers an uninterrupted run would have drawn.
/// </summary>
public sealed class StepRandom : IDisposable
{
    readonly long _seed;
    readonly Generator _generator;

    /// <summary>Stream ids, fixed forever (changing them changes every run).</summary>
    public enum Stream
    {
        /// <summary>Latent draws for a discriminator update (plus the update index within the step).</summary>
        DiscriminatorLatent = 0,
        /// <summary>Latent draws for the generator update.</summary>
        GeneratorLatent = 100,
        /// <summary>Interpolation weights of the gradient penalty.</summary>
        Interpolation = 200,
        /// <summary>VAE reparameterisation noise.</summary>
        Reparameterisation = 300,
        /// <summary>Per-epoch data order.</summary>
        DataOrder = 400,
        /// <summary>Token sequences sampled from the generator for its own update (SeqGAN's policy-gradient batch).</summary>
        TokenSampling = 500,
        /// <summary>Token sequences sampled as the discriminator's negatives (plus the update index within the step).</summary>
        TokenDiscriminatorSampling = 600,
        /// <summary>Sequences sampled to measure NLL-oracle at a logged step.</summary>
        Evaluation = 900,
        /// <summary>SeqGAN's Monte-Carlo roll-outs (plus the prefix length, at most 1,000).</summary>
        Rollout = 1000,
        /// <summary>Latents (and labels) that re-estimate the EMA generator's batch-norm statistics at a checkpoint (plus the pass index).</summary>
        BatchNormStatistics = 700,
    }

    /// <summary>Creates the streams for <paramref name="seed"/> on <paramref name="device"/>.</summary>
    public StepRandom(long seed, Device device)
    {
        _seed = seed;
        _generator = new Generator((ulong)seed, device);
    }

    /// <summary>The generator re-seeded for (step, stream, index); valid until the next call.</summary>
    public Generator For(long step, Stream stream, int index = 0)
    {
        _generator.manual_seed((long)(Mix((ulong)_seed, (ulong)step, (ulong)((int)stream + index)) >> 1));
        return _generator;
    }

    /// <summary>SplitMix64 finaliser over the three keys: a fixed, well-mixed 64-bit hash.</summary>
    public static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong x = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ (c + 0x8CB92BA72F3D8DD7UL) * 0x94D049BB133111EBUL;
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }

    /// <inheritdoc />
    public void Dispose() => _generator.Dispose();
}

/// <summary>
/// The order in which samples are visited: a fresh permutation per epoch, drawn from
/// (seed, epoch), incomplete last batches dropped. Stateless, so resuming needs only the step.
/// </summary>
public sealed class EpochSampler : IDisposable
{
    readonly long _count;
    readonly int _batch;
    readonly StepRandom _random;
    readonly Device _device;
    long _epoch = -1;
    Tensor? _order;

    /// <summary>Creates a sampler over <paramref name="count"/> samples.</summary>
    public EpochSampler(long count, int batch, StepRandom random, Device device)
    {
        if (batch > count) throw new ArgumentException($"batch size {batch} is larger than the data set ({count} samples)");
        _count = count;
        _batch = batch;
        _random = random;
        _device = device;
    }

    /// <summary>Batches per epoch.</summary>
    public long BatchesPerEpoch => _count / _batch;

    /// <summary>Indices (B,) int64 of the <paramref name="batchNumber"/>-th batch of the run.</summary>
    public Tensor Indices(long batchNumber)
    {
        long epoch = batchNumber / BatchesPerEpoch;
        if (epoch != _epoch)
        {
            _order?.Dispose();
            _order = randperm(_count, generator: _random.For(epoch, StepRandom.Stream.DataOrder), device: _device).DetachFromDisposeScope();
            _epoch = epoch;
        }
        long start = batchNumber % BatchesPerEpoch * _batch;
        return _order!.narrow(0, start, _batch);
    }

    /// <inheritdoc />
    public void Dispose() => _order?.Dispose();
}
