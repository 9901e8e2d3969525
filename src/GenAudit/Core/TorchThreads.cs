namespace GenAudit.Core;

/// <summary>
/// libtorch's intra-op thread count, held for the length of a computation whose bits depend on it.
/// </summary>
/// <remarks>
/// The count is not one setting per process, as torch.set_num_threads suggests: libtorch keeps it in
/// OpenMP's per-thread state, so each OS thread has its own once it has run a parallel operation, and
/// set_num_threads changes the calling thread's count plus the default that threads which have not
/// yet run one will pick up (measured: a thread that ran torch code keeps 2 threads after another
/// thread set 1; a fresh thread starts at 1). Each thread's OpenMP team is its own, so concurrent
/// computations at different counts do not disturb each other, provided each sets its count on the
/// thread it runs on, every time: a pooled thread may still hold the count of whatever ran on it
/// before. <see cref="Use"/> does exactly that and restores the thread's previous count when disposed.
/// GenAudit's computations whose results depend on the count (training, the feature classifier, the
/// determinism check, the numerics self-check) take a lease; the process's random generator is
/// guarded separately, by <see cref="GlobalRandom.Lock"/>.
/// </remarks>
public static class TorchThreads
{
    /// <summary>Sets the calling thread's libtorch thread count to <paramref name="threads"/> until the lease is disposed, on the same thread.</summary>
    /// <param name="threads">The thread count, at least 1.</param>
    public static IDisposable Use(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchRuntime.EnsureLibraryLoaded();
        var before = TorchSharp.torch.get_num_threads();
        if (before != threads) TorchSharp.torch.set_num_threads(threads);
        return new Lease(Environment.CurrentManagedThreadId, before, threads);
    }

    sealed class Lease(int owner, int before, int threads) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            if (Environment.CurrentManagedThreadId != owner)
                throw new InvalidOperationException(
                    $"a libtorch thread-count lease taken on managed thread {owner} was disposed on thread {Environment.CurrentManagedThreadId}: " +
                    "the count belongs to the thread that set it, so end the lease on that thread (no await inside it)");
            _disposed = true;
            if (before != threads) TorchSharp.torch.set_num_threads(before);
        }
    }
}
