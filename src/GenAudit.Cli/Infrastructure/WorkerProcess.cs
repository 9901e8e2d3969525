using System.ComponentModel;
using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>The command line of a worker process: this program's hidden per-item verb on one folder (sweep-item, audit-item).</summary>
public static class WorkerProcess
{
    /// <summary>This program (its apphost, or dotnet with its dll) running <c>verb --item folder</c>.</summary>
    public static ProcessStartInfo For(string verb, string folder)
    {
        var directory = Path.GetDirectoryName(typeof(WorkerProcess).Assembly.Location)!;
        var apphost = Path.Combine(directory, OperatingSystem.IsWindows() ? "GenAudit.Cli.exe" : "GenAudit.Cli");
        var start = File.Exists(apphost)
            ? new ProcessStartInfo(apphost)
            : new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { ArgumentList = { Path.Combine(directory, "GenAudit.Cli.dll") } };
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add("--item");
        start.ArgumentList.Add(folder);
        return start;
    }
}

/// <summary>Options of the hidden worker verbs (sweep-item, audit-item): the one folder the parent prepared.</summary>
public sealed class WorkerItemSettings : VerbSettings
{
    /// <inheritdoc />
    public override SharedOptions Shared { get; } = new();

    /// <summary>Item folder.</summary>
    [CommandOption("--item <DIR>")]
    [Description("Item folder holding item.json, written by the verb that starts this worker (genaudit sweep, genaudit audit --runs/--checkpoints).")]
    public string? Item { get; init; }

    /// <inheritdoc />
    public override ValidationResult ValidateVerb() =>
        string.IsNullOrWhiteSpace(Item) ? ValidationResult.Error("--item is required: an item folder written by genaudit sweep or genaudit audit --runs/--checkpoints") : ValidationResult.Success();
}
