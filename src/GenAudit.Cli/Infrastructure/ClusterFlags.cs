using GenAudit.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>The settings of a verb that can submit its work to running silos: <c>--cluster</c>, <c>--redis</c>, <c>--gateways</c>.</summary>
public interface IClusterSettings
{
    /// <summary>Submit to silos instead of worker processes.</summary>
    bool Cluster { get; }

    /// <summary>Redis endpoint HOST:PORT of the silos' membership; null for localhost gateways.</summary>
    string? Redis { get; }

    /// <summary>Comma-separated gateway ports of local silos; null for 30000.</summary>
    string? Gateways { get; }
}

/// <summary>The cluster flags' help, their checks and the client they open: one place for <c>sweep</c> and <c>audit</c>.</summary>
static class ClusterFlags
{
    /// <summary>The help text of <c>--redis</c>.</summary>
    public const string RedisHelp = "With --cluster: find the silos through Redis membership. Default: localhost gateways.";

    /// <summary>The help text of <c>--gateways</c>.</summary>
    public const string GatewaysHelp = "With --cluster and no --redis: comma-separated gateway ports of local silos. Default: 30000.";

    /// <summary>The first error among the flags (with <paramref name="workers"/>, the verb's --workers), or null when they are consistent.</summary>
    public static ValidationResult? Check(IClusterSettings settings, int? workers)
    {
        if (settings.Cluster && workers is not null) return ValidationResult.Error("--workers runs processes on this machine; with --cluster the silos run the items");
        if (!settings.Cluster && (settings.Redis is not null || settings.Gateways is not null)) return ValidationResult.Error("--redis and --gateways apply with --cluster only");
        if (settings.Redis is not null && settings.Gateways is not null) return ValidationResult.Error("give --redis or --gateways, not both");
        if (settings.Gateways is not null && GatewayPorts(settings.Gateways) is null) return ValidationResult.Error($"--gateways '{settings.Gateways}': give comma-separated TCP ports, e.g. 30000,30001");
        if (settings.Redis is not null)
        {
            try { SiloOptions.ParseRedis(settings.Redis); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
        }
        return null;
    }

    /// <summary>The ports of a comma-separated list, or null when one is not a TCP port.</summary>
    public static int[]? GatewayPorts(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ports = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ports[i]) || ports[i] is < 1 or > 65535) return null;
        return ports;
    }

    /// <summary>Connects a client to the silos the flags name, runs <paramref name="body"/> with it, and disconnects.</summary>
    public static T WithClient<T>(IClusterSettings settings, Func<IClusterClient, T> body, CancellationToken cancel)
    {
        using var host = ClusterJobs.BuildClient(settings.Redis, GatewayPorts(settings.Gateways ?? "30000")!);
        host.StartAsync(cancel).GetAwaiter().GetResult();
        try
        {
            return body(host.Services.GetRequiredService<IClusterClient>());
        }
        finally
        {
            host.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}
