using System.Net;
using GenAudit.Application;
using GenAudit.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using StackExchange.Redis;

namespace GenAudit.Cluster;

/// <summary>Settings of one silo (<c>genaudit silo</c>).</summary>
public sealed record SiloOptions
{
    /// <summary>Folder every silo can reach (a shared file system across machines): item runs and results, and without Redis the grain state too.</summary>
    public required string Artifacts { get; init; }

    /// <summary>Redis endpoint HOST:PORT for membership and grain state; null for localhost clustering (one machine).</summary>
    public string? Redis { get; init; }

    /// <summary>Items this silo runs at once. Default: 1 (each item fixes libtorch's per-process thread count).</summary>
    public int Slots { get; init; } = 1;

    /// <summary>Silo-to-silo port. Default: 11111.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Client gateway port. Default: 30000.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Silo port of the first silo, which the others join under localhost clustering. Default: 11111.</summary>
    public int PrimarySiloPort { get; init; } = 11111;

    /// <summary>Checks ranges; errors name the flag.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Artifacts)) throw new ArgumentException("--artifacts is required: a folder every silo can reach");
        if (Slots is < 1 or > 64) throw new ArgumentException($"--slots {Slots}: give 1 to 64 items at once");
        foreach (var (flag, port) in new[] { ("--port", SiloPort), ("--gateway", GatewayPort), ("--primary", PrimarySiloPort) })
            if (port is < 1 or > 65535) throw new ArgumentException($"{flag} {port}: not a TCP port");
        if (Redis is not null) _ = ParseRedis(Redis);
    }

    /// <summary>Checks a HOST:PORT Redis endpoint and returns it.</summary>
    public static string ParseRedis(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"--redis '{endpoint}': give HOST:PORT, e.g. 127.0.0.1:6379");
        return endpoint;
    }
}

/// <summary>How a GenAudit silo is put together: clustering, the work-item grain's storage, the kinds of work, and the executor.</summary>
public static class SiloSetup
{
    /// <summary>Name of the grain storage the work-item grains use.</summary>
    public const string StorageName = "work";

    /// <summary>Cluster and service ids every GenAudit silo and client share.</summary>
    public const string ClusterId = "genaudit", ServiceId = "genaudit";

    /// <summary>
    /// The work-item grain's storage, the kinds of work a silo runs (sweep items, audits of single models)
    /// and their executor, without clustering (the test cluster brings its own).
    /// </summary>
    public static void AddWork(ISiloBuilder silo, SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        options.Validate();
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<IReadOnlyList<ISweepStep>>(SweepAudit.Steps);
        silo.Services.AddSingleton<IClusterWork, SweepWork>();
        silo.Services.AddSingleton<IClusterWork, AuditWork>();
        silo.Services.AddSingleton<ClusterExecutor>();
        // Calls return at once (work is polled), but a cold activation reads storage on a busy machine.
        silo.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(30));
        if (options.Redis is { } redis)
            silo.AddRedisGrainStorage(StorageName, o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        else
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageName, (_, _) => new FileGrainStorage(Path.Combine(options.Artifacts, "grain-state")));
    }

    /// <summary>Configures a whole silo: localhost clustering (joining the primary silo's port) or Redis membership, then <see cref="AddWork"/>.</summary>
    public static void Configure(ISiloBuilder silo, SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        options.Validate();
        if (options.Redis is { } redis)
        {
            silo.UseRedisClustering(redis);
            silo.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ServiceId; });
            silo.ConfigureEndpoints(IPAddress.Loopback, options.SiloPort, options.GatewayPort);
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort), ServiceId, ClusterId);
        }
        AddWork(silo, options);
    }

    /// <summary>Builds a silo host (not started).</summary>
    public static IHost BuildHost(SiloOptions options)
    {
        var builder = Host.CreateApplicationBuilder();
        // Orleans logs every connection at Information; a silo's console shows warnings and errors only.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => Configure(silo, options));
        return builder.Build();
    }
}
