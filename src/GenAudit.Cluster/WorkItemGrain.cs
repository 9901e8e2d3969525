using System.Text.Json;
using GenAudit.Application;
using GenAudit.Core;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace GenAudit.Cluster;

/// <summary>Where a sweep item stands.</summary>
public enum SweepItemPhase
{
    /// <summary>The grain holds no item: never started, or its storage was lost; start it again.</summary>
    Unknown,
    /// <summary>Training or measuring on some silo.</summary>
    Running,
    /// <summary>Finished; the result is in the grain's storage.</summary>
    Done,
    /// <summary>The item threw; the error says why. Starting it again retries it.</summary>
    Failed,
}

/// <summary>What a poll reports: the phase, the result JSON once done, the error once failed, and how many times the work was started.</summary>
[GenerateSerializer, Immutable, Alias("GenAudit.Cluster.SweepItemStatus")]
public sealed record SweepItemStatus(
    [property: Id(0)] SweepItemPhase Phase,
    [property: Id(1)] string? ResultJson,
    [property: Id(2)] string? Error,
    [property: Id(3)] int Attempts);

/// <summary>
/// One sweep work item, keyed by the item's hash: a retried or duplicated item reaches the same grain.
/// Work is started and polled, never awaited in one call (Orleans times calls out after 30 s).
/// </summary>
[Alias("GenAudit.Cluster.ISweepItemGrain")]
public interface ISweepItemGrain : IGrainWithStringKey
{
    /// <summary>Records the item (its JSON) and starts it unless it is running or done; returns its status at once.</summary>
    [Alias("Start")]
    Task<SweepItemStatus> Start(string itemJson);

    /// <summary>The item's status; an item recorded in storage but running nowhere (its silo died) is started again here.</summary>
    [Alias("Poll")]
    Task<SweepItemStatus> Poll();
}

/// <summary>What the grain persists: the item, and once finished its result or error.</summary>
[GenerateSerializer, Alias("GenAudit.Cluster.SweepItemState")]
public sealed class SweepItemState
{
    /// <summary>The item's JSON as submitted.</summary>
    [Id(0)] public string? ItemJson { get; set; }
    /// <summary>The result's JSON once done.</summary>
    [Id(1)] public string? ResultJson { get; set; }
    /// <summary>The last failure's message.</summary>
    [Id(2)] public string? Error { get; set; }
    /// <summary>Times the work was started, over every activation.</summary>
    [Id(3)] public int Attempts { get; set; }
}

/// <summary>The grain behind <see cref="ISweepItemGrain"/>; placed on the silo with the fewest activations so items spread.</summary>
[ActivationCountBasedPlacement]
public sealed class SweepItemGrain(
    [PersistentState("sweepItem", SiloSetup.StorageName)] IPersistentState<SweepItemState> state,
    SweepWorker worker) : Grain, ISweepItemGrain
{
    Task<SweepResult>? _work;

    /// <inheritdoc />
    public async Task<SweepItemStatus> Start(string itemJson)
    {
        if (state.State.ItemJson is null || state.State.Error is not null)
        {
            var item = Parse(itemJson);
            if (item.Key != this.GetPrimaryKeyString())
                throw new ArgumentException($"item {item.Key} was sent to the grain of item {this.GetPrimaryKeyString()}");
            state.State.ItemJson = itemJson;
            state.State.Error = null;
            _work = null;
            await state.WriteStateAsync();
        }
        return await Poll();
    }

    /// <inheritdoc />
    public async Task<SweepItemStatus> Poll()
    {
        var current = state.State;
        if (current.ResultJson is not null) return Status(SweepItemPhase.Done);
        if (current.ItemJson is null) return Status(SweepItemPhase.Unknown);
        if (current.Error is not null) return Status(SweepItemPhase.Failed);
        if (_work is null)
        {
            current.Attempts++;
            await state.WriteStateAsync();
            _work = worker.Execute(Parse(current.ItemJson));
        }
        if (!_work.IsCompleted) return Status(SweepItemPhase.Running);
        if (_work.IsCanceled)
        {
            // The silo is stopping: not the item's fault. The next poll reaches this grain on another silo.
            _work = null;
            return Status(SweepItemPhase.Running);
        }
        if (_work.IsCompletedSuccessfully)
        {
            current.ResultJson = JsonSerializer.Serialize(_work.Result, Json.Compact);
        }
        else
        {
            current.Error = _work.Exception!.GetBaseException().Message;
            _work = null;
        }
        await state.WriteStateAsync();
        return Status(current.ResultJson is null ? SweepItemPhase.Failed : SweepItemPhase.Done);
    }

    SweepItemStatus Status(SweepItemPhase phase) => new(phase, state.State.ResultJson, state.State.Error, state.State.Attempts);

    static SweepItem Parse(string itemJson) =>
        (JsonSerializer.Deserialize<SweepItem>(itemJson, Json.Options) ?? throw new ArgumentException("the item JSON is null")).Verified();
}
