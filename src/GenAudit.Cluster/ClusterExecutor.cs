using GenAudit.Application;
using Microsoft.Extensions.Hosting;

namespace GenAudit.Cluster;

/// <summary>
/// The silo's executor of sweep items: a fixed number of items at a time (one by default; each item sets
/// its own libtorch thread count on the thread it runs on, TorchThreads), off the grain scheduler, into
/// the shared artifacts folder. Work stops when the silo stops; another silo then reruns the item.
/// </summary>
public sealed class SweepWorker : IDisposable
{
    readonly SemaphoreSlim _slots;
    readonly SweepItemRunner _runner;
    readonly CancellationToken _stopping;
    int _executions;
    int _running;

    /// <summary>An executor writing under <paramref name="options"/>' artifacts folder, stopped with the host.</summary>
    public SweepWorker(SiloOptions options, IHostApplicationLifetime lifetime, IReadOnlyList<ISweepStep> steps)
    {
        Folder = new SweepFolder(options.Artifacts);
        _slots = new SemaphoreSlim(options.Slots, options.Slots);
        _runner = new SweepItemRunner(steps);
        _stopping = lifetime.ApplicationStopping;
    }

    /// <summary>The shared artifacts folder (items/&lt;key&gt;/ as a local sweep lays them out).</summary>
    public SweepFolder Folder { get; }

    /// <summary>Items this silo has trained (not counting results found already on disk).</summary>
    public int Executions => Volatile.Read(ref _executions);

    /// <summary>Items training or measuring on this silo now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Fault injection for tests: awaited after an item has taken a slot and before it trains, with the
    /// silo's stopping token, so a test can hold an item on this silo until it stops the silo.
    /// </summary>
    internal Func<SweepItem, CancellationToken, Task>? BeforeRun { get; set; }

    /// <summary>Runs <paramref name="item"/> when a slot is free; an item whose result.json is already in the artifacts folder (a silo finished it and died before its grain stored it) is not run again.</summary>
    public Task<SweepResult> Execute(SweepItem item) => Task.Run(async () =>
    {
        await _slots.WaitAsync(_stopping);
        try
        {
            if (Folder.Result(item.Key) is { } done) return done;
            Interlocked.Increment(ref _executions);
            Interlocked.Increment(ref _running);
            try
            {
                if (BeforeRun is { } hook) await hook(item, _stopping);
                return _runner.Run(item, Folder.ItemFolder(item.Key), _stopping);
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
