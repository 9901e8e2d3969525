using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace GenAudit.Cluster;

/// <summary>
/// Grain storage in a folder every silo can reach (the artifacts folder's shared file system): one JSON
/// file per grain, written atomically, with an ETag check so two activations cannot overwrite each other.
/// The Redis storage replaces it when the cluster runs on Redis.
/// </summary>
public sealed class FileGrainStorage(string folder) : IGrainStorage
{
    /// <summary>The folder holding the state files.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    string PathOf(string stateName, GrainId grainId)
    {
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{stateName}/{grainId}")))[..32];
        return Path.Combine(Folder, name + ".json");
    }

    sealed record Envelope(string ETag, JsonElement State);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
        var envelope = Json.ReadFile<Envelope>(path);
        grainState.State = envelope.State.Deserialize<T>(Json.Options) ?? Activator.CreateInstance<T>();
        grainState.ETag = envelope.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        lock (this)
        {
            var stored = File.Exists(path) ? Json.ReadFile<Envelope>(path).ETag : null;
            if (stored != grainState.ETag)
                throw new InconsistentStateException($"{path}: stored ETag {stored ?? "none"} but the grain holds {grainState.ETag ?? "none"}; another activation wrote this state", stored, grainState.ETag);
            Directory.CreateDirectory(Folder);
            var etag = Guid.NewGuid().ToString("N");
            Json.WriteFile(path, new Envelope(etag, JsonSerializer.SerializeToElement(grainState.State, Json.Options)));
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        File.Delete(PathOf(stateName, grainId));
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }
}
