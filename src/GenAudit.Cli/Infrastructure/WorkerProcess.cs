using System.Diagnostics;

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
