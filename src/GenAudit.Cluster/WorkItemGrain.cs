using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace GenAudit.Cluster;

/// <summary>Where a work item stands.</summary>
public enum WorkItemPhase
{
    /// <summary>The grain holds no item: never started, or its storage was lost; start it again.</summary>
    Unknown,
    /// <summary>Running on some silo.</summary>
    Running,
    /// <summary>Finished; the result is in the grain's storage.</summary>
    Done,
    /// <summary>The item threw; the error says why. Starting it again retries it.</summary>
    Failed,
}

/// <summary>What a poll reports: the phase, the result JSON once done, the error once failed, and how many times the work was started.</summary>
[GenerateSerializer, Immutable, Alias("GenAudit.Cluster.WorkItemStatus")]
public sealed record WorkItemStatus(
    [property: Id(0)] WorkItemPhase Phase,
    [property: Id(1)] string? ResultJson,
    [property: Id(2)] string? Error,
    [property: Id(3)] int Attempts);

/// <summary>
/// One work item of some kind (<see cref="IClusterWork"/>: a sweep item, one model's audit), keyed by the
/// item's key: a retried or duplicated item reaches the same grain. Work is started and polled, never
/// awaited in one call (Orleans times calls out after 30 s).
/// </summary>
[Alias("GenAudit.Cluster.IWorkItemGrain")]
public interface IWorkItemGrain : IGrainWithStringKey
{
    /// <summary>Records the item (its kind and JSON) and starts it unless it is running or done; returns its status at once.</summary>
    [Alias("Start")]
    Task<WorkItemStatus> Start(string kind, string itemJson);

    /// <summary>The item's status; an item recorded in storage but running nowhere (its silo died) is started again here.</summary>
    [Alias("Poll")]
    Task<WorkItemStatus> Poll();
}

/// <summary>What the grain persists: the item, and once finished its result or error.</summary>
[GenerateSerializer, Alias("GenAudit.Cluster.WorkItemState")]
public sealed class WorkItemState
{
    /// <summary>The item's kind.</summary>
    [Id(0)] public string? Kind { get; set; }
    /// <summary>The item's JSON as submitted.</summary>
    [Id(1)] public string? ItemJson { get; set; }
    /// <summary>The result's JSON once done.</summary>
    [Id(2)] public string? ResultJson { get; set; }
    /// <summary>The last failure's message.</summary>
    [Id(3)] public string? Error { get; set; }
    /// <summary>Times the work was started, over every activation.</summary>
    [Id(4)] public int Attempts { get; set; }
}

/// <summary>The grain behind <see cref="IWorkItemGrain"/>; placed on the silo with the fewest activations so items spread.</summary>
[ActivationCountBasedPlacement]
public sealed class WorkItemGrain(
    [PersistentState("workItem", SiloSetup.StorageName)] IPersistentState<WorkItemState> state,
    ClusterExecutor executor) : Grain, IWorkItemGrain
{
    Task<string>? _work;

    /// <inheritdoc />
    public async Task<WorkItemStatus> Start(string kind, string itemJson)
    {
        if (state.State.ItemJson is null || state.State.Error is not null)
        {
            var key = executor.Kind(kind).KeyOf(itemJson);
            if (key != this.GetPrimaryKeyString())
                throw new ArgumentException($"{kind} item {key} was sent to the grain of item {this.GetPrimaryKeyString()}");
            state.State.Kind = kind;
            state.State.ItemJson = itemJson;
            state.State.Error = null;
            _work = null;
            await state.WriteStateAsync();
        }
        else if (state.State.Kind != kind)
            throw new ArgumentException($"item {this.GetPrimaryKeyString()} is a {state.State.Kind} item, not a {kind} item");
        return await Poll();
    }

    /// <inheritdoc />
    public async Task<WorkItemStatus> Poll()
    {
        var current = state.State;
        if (current.ResultJson is not null) return Status(WorkItemPhase.Done);
        if (current.ItemJson is null || current.Kind is null) return Status(WorkItemPhase.Unknown);
        if (current.Error is not null) return Status(WorkItemPhase.Failed);
        if (_work is null)
        {
            current.Attempts++;
            await state.WriteStateAsync();
            _work = executor.Execute(current.Kind, current.ItemJson);
        }
        if (!_work.IsCompleted) return Status(WorkItemPhase.Running);
        if (_work.IsCanceled)
        {
            // The silo is stopping: not the item's fault. The next poll reaches this grain on another silo.
            _work = null;
            return Status(WorkItemPhase.Running);
        }
        if (_work.IsCompletedSuccessfully)
        {
            current.ResultJson = _work.Result;
        }
        else
        {
            current.Error = _work.Exception!.GetBaseException().Message;
            _work = null;
        }
        await state.WriteStateAsync();
        return Status(current.ResultJson is null ? WorkItemPhase.Failed : WorkItemPhase.Done);
    }

    WorkItemStatus Status(WorkItemPhase phase) => new(phase, state.State.ResultJson, state.State.Error, state.State.Attempts);
}
