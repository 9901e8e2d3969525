using Microsoft.Extensions.Hosting;

namespace GenAudit.Cluster;

/// <summary>
/// The silo's executor of work items of every registered kind (<see cref="IClusterWork"/>): a fixed number
/// of items at a time (one by default; each item sets its own libtorch thread count on the thread it runs
/// on, TorchThreads), off the grain scheduler. Work stops when the silo stops; another silo then reruns the item.
/// </summary>
public sealed class ClusterExecutor : IDisposable
{
    readonly SemaphoreSlim _slots;
    readonly Dictionary<string, IClusterWork> _kinds;
    readonly CancellationToken _stopping;
    int _executions;
    int _running;

    /// <summary>An executor of <paramref name="kinds"/>, <see cref="SiloOptions.Slots"/> items at a time, stopped with the host.</summary>
    public ClusterExecutor(SiloOptions options, IHostApplicationLifetime lifetime, IEnumerable<IClusterWork> kinds)
    {
        _kinds = kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
        _slots = new SemaphoreSlim(options.Slots, options.Slots);
        _stopping = lifetime.ApplicationStopping;
    }

    /// <summary>Items this silo has run (not counting results found already on disk).</summary>
    public int Executions => Volatile.Read(ref _executions);

    /// <summary>Items running on this silo now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Fault injection for tests: awaited with the item's key and the silo's stopping token after the item has
    /// taken a slot and before it runs, so a test can hold an item on this silo until it stops the silo.
    /// </summary>
    internal Func<string, CancellationToken, Task>? BeforeRun { get; set; }

    /// <summary>The registered kind named <paramref name="kind"/>.</summary>
    public IClusterWork Kind(string kind) =>
        _kinds.TryGetValue(kind, out var work) ? work
            : throw new ArgumentException($"work kind '{kind}' is not known to this silo (it runs {string.Join(", ", _kinds.Keys.Order(StringComparer.Ordinal))}); are the silos and the client the same GenAudit version?");

    /// <summary>Runs an item of <paramref name="kind"/> when a slot is free and returns its result's JSON; an item whose result is already on the shared disk is not run again.</summary>
    public Task<string> Execute(string kind, string itemJson) => Task.Run(async () =>
    {
        var work = Kind(kind);
        await _slots.WaitAsync(_stopping);
        try
        {
            if (work.Finished(itemJson) is { } done) return done;
            Interlocked.Increment(ref _executions);
            Interlocked.Increment(ref _running);
            try
            {
                if (BeforeRun is { } hook) await hook(work.KeyOf(itemJson), _stopping);
                return work.Execute(itemJson, _stopping);
            }
            finally { Interlocked.Decrement(ref _running); }
        }
        finally
        {
            _slots.Release();
        }
    }, _stopping);

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
