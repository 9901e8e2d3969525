using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Determinism checks; every difference is a maximum absolute difference of outputs, 0 is best.</summary>
/// <param name="SameSeedMaxAbsDiff">Same seed twice: z drawn from two generators with the same seed, each through its own call.</param>
/// <param name="ThreadsMaxAbsDiff">One torch thread against <paramref name="ThreadCount"/> threads; null when not checked.</param>
/// <param name="ThreadCount">Threads of the "all threads" run.</param>
/// <param name="KernelsCertified">False when the start-up numerics self-check found libtorch's convolutions wrong or not repeatable on this CPU (docs/numerics.md): then a 0 difference here does not certify determinism.</param>
public sealed record DeterminismResult(double SameSeedMaxAbsDiff, double? ThreadsMaxAbsDiff, int ThreadCount, bool KernelsCertified = true)
{
    /// <summary>True when the same seed gave bitwise identical samples.</summary>
    public bool SameSeedIdentical => SameSeedMaxAbsDiff == 0;
}

/// <summary>Same seed twice, and one thread against all threads.</summary>
public static class Determinism
{
    /// <summary>
    /// Runs both checks on <paramref name="count"/> samples. The thread check sets torch's intra-op
    /// thread count to 1 and then to max(current, processor count) through <see cref="TorchThreads"/>
    /// leases, which restore the original count even when the model throws.
    /// </summary>
    public static DeterminismResult Compute(IGenerativeModel model, int count, int batchSize, long seed, bool checkThreads)
    {
        var original = get_num_threads();
        var all = Math.Max(original, Environment.ProcessorCount);
        using var scope = NewDisposeScope();
        var first = Sample(model, count, batchSize, seed);
        var second = Sample(model, count, batchSize, seed);
        var sameSeed = PairStability.MaxAbsDiff(first, second);
        var certified = TorchRuntime.Numerics.Certified;
        if (!checkThreads) return new DeterminismResult(sameSeed, null, original, certified);

        // Each lease sets this thread's count for one sample and restores the count before.
        Tensor single, multi;
        using (TorchThreads.Use(1)) single = Sample(model, count, batchSize, seed);
        using (TorchThreads.Use(all)) multi = Sample(model, count, batchSize, seed);
        return new DeterminismResult(sameSeed, PairStability.MaxAbsDiff(single, multi), all, certified);
    }

    // Samples with a fresh generator of the given seed: what a user re-running with --seed S gets.
    static Tensor Sample(IGenerativeModel model, int count, int batchSize, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var z = Latents.Normal(model, count, generator);
        var conditions = Latents.Conditions(model, count, generator);
        var outputs = new List<Tensor>();
        using (no_grad())
            foreach (var (start, length) in Latents.Batches(count, batchSize))
                outputs.Add(model.Generate(z.narrow(0, start, length), Latents.Slice(conditions, start, length)).cpu());
        return cat(outputs, 0).MoveToOuterDisposeScope();
    }
}
