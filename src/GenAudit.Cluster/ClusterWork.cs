using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenAudit.Application;
using GenAudit.Audit;
using GenAudit.Core;

namespace GenAudit.Cluster;

/// <summary>
/// One kind of work a silo runs (a sweep item, an audit of one model). The grain stores the kind and the
/// item's JSON; a silo finds the kind among the registered implementations and runs the item with it.
/// </summary>
public interface IClusterWork
{
    /// <summary>The kind's name, stored with every item ("sweep", "audit").</summary>
    string Kind { get; }

    /// <summary>Checks the item's JSON and returns its key: the grain's key, the same for a retried or duplicated item.</summary>
    string KeyOf(string itemJson);

    /// <summary>The result's JSON when the item's result is already on the shared disk (a silo finished it and died before its grain stored it); null otherwise.</summary>
    string? Finished(string itemJson);

    /// <summary>Runs the item on this thread and returns its result's JSON; <paramref name="stopping"/> is the silo's shutdown.</summary>
    string Execute(string itemJson, CancellationToken stopping);
}

/// <summary>Sweep items (<c>genaudit sweep --cluster</c>): trained and measured into items/&lt;key&gt;/ of the silo's artifacts folder.</summary>
public sealed class SweepWork(SiloOptions options, IReadOnlyList<ISweepStep> steps) : IClusterWork
{
    /// <summary>The kind's name.</summary>
    public const string Name = "sweep";

    readonly SweepItemRunner _runner = new(steps);

    /// <summary>The shared artifacts folder (items/&lt;key&gt;/ as a local sweep lays them out).</summary>
    public SweepFolder Folder { get; } = new(options.Artifacts);

    /// <inheritdoc />
    public string Kind => Name;

    /// <inheritdoc />
    public string KeyOf(string itemJson) => Parse(itemJson).Key;

    /// <inheritdoc />
    public string? Finished(string itemJson) => Folder.Result(Parse(itemJson).Key) is { } done ? JsonSerializer.Serialize(done, Json.Compact) : null;

    /// <inheritdoc />
    public string Execute(string itemJson, CancellationToken stopping)
    {
        var item = Parse(itemJson);
        return JsonSerializer.Serialize(_runner.Run(item, Folder.ItemFolder(item.Key), stopping), Json.Compact);
    }

    static SweepItem Parse(string itemJson) =>
        (JsonSerializer.Deserialize<SweepItem>(itemJson, Json.Options) ?? throw new ArgumentException("the sweep item's JSON is null")).Verified();
}

/// <summary>
/// An audit of one model of <c>genaudit audit --runs/--checkpoints --cluster</c>: the folder the client prepared
/// under its --out (item.json inside, as for a local worker process) and the submission it belongs to.
/// The folder must be on a file system every silo can reach, as the audited runs must.
/// </summary>
/// <param name="Folder">Absolute path of the model's folder under the client's --out.</param>
/// <param name="Submission">One id per <c>genaudit audit</c> call: an audit audits now, so a later call with the same folders is new work, while a retry within a call reaches the same grain.</param>
public sealed record AuditJob(string Folder, string Submission)
{
    /// <summary>The grain key: the first 16 hex digits of the SHA-256 of the job's JSON (the key itself is not in it).</summary>
    [JsonIgnore]
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..16];

    /// <summary>The job's JSON as the grain stores it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json.Compact);
}

/// <summary>Audits of single models (<see cref="AuditJob"/>) on a silo: <see cref="AuditManyItemRunner"/> on the prepared folder, as <c>genaudit audit-item</c> runs it in a worker process.</summary>
public sealed class AuditWork : IClusterWork
{
    /// <summary>The kind's name.</summary>
    public const string Name = "audit";

    /// <inheritdoc />
    public string Kind => Name;

    /// <inheritdoc />
    public string KeyOf(string itemJson) => Parse(itemJson).Key;

    /// <inheritdoc />
    public string? Finished(string itemJson) =>
        AuditManyItemRunner.Result(Parse(itemJson).Folder) is { } done ? JsonSerializer.Serialize(done, Json.Compact) : null;

    /// <inheritdoc />
    public string Execute(string itemJson, CancellationToken stopping)
    {
        var job = Parse(itemJson);
        var itemFile = Path.Combine(job.Folder, AuditManyItemRunner.ItemFile);
        if (!File.Exists(itemFile))
            throw new FileNotFoundException($"{itemFile}: no such file on this silo; --out must be on a file system every silo can reach");
        stopping.ThrowIfCancellationRequested();
        var result = AuditManyItemRunner.Run(Json.ReadFile<AuditManyItem>(itemFile), job.Folder);
        return JsonSerializer.Serialize(result, Json.Compact);
    }

    static AuditJob Parse(string itemJson)
    {
        var job = JsonSerializer.Deserialize<AuditJob>(itemJson, Json.Options) ?? throw new ArgumentException("the audit job's JSON is null");
        if (string.IsNullOrWhiteSpace(job.Folder) || !Path.IsPathFullyQualified(job.Folder))
            throw new ArgumentException($"audit job: '{job.Folder}' is not an absolute folder path");
        if (string.IsNullOrWhiteSpace(job.Submission)) throw new ArgumentException("audit job: no submission id");
        return job;
    }
}
