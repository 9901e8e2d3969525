using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GenAudit.Tests.Cluster;

/// <summary>
/// Issue #17's end-to-end failure test with real processes: Debian's redis-server on loopback for
/// membership and grain state, two <c>genaudit silo</c> processes and a <c>genaudit sweep --cluster</c>
/// client; one silo is killed with SIGKILL while it trains an item. The sweep must complete and its
/// table (sweep.md and sweep.json) must be byte-identical to the same sweep run locally with
/// <c>--workers 2</c>. (tools/cluster/kill-silo-check.sh is the same check as a script.)
/// </summary>
[Trait(TestLane.Trait, TestLane.Second)]
public class ClusterProcessTests
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public void ASiloKilledMidSweepLosesNothingAndTheTableIsIdenticalToTheLocalRun()
    {
        var redisServer = FindOnPath("redis-server");
        Assert.True(redisServer is not null, "redis-server is not installed (tests/packages.txt: apt-get install redis-server)");
        var work = Directory.CreateTempSubdirectory("genaudit-cluster-e2e-").FullName;
        var spec = Path.Combine(TestRepository.Root, "docs", "examples", "tiny.sweep.json");
        var artifacts = Path.Combine(work, "artifacts");
        var processes = new List<(string Name, Process Process, StringBuilder Log)>();
        try
        {
            int redisPort = FreePort();
            var redis = $"127.0.0.1:{redisPort}";
            processes.Add(Start("redis", redisServer!, ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--dir", work, "--save", "", "--appendonly", "no"], cli: false));
            WaitFor(() => CanConnect(redisPort), TimeSpan.FromSeconds(30), "redis-server to accept connections", processes);

            // The reference: the same sweep on this machine with two worker processes.
            var local = Start("local sweep", "dotnet", ["sweep", "--spec", spec, "--out", Path.Combine(work, "local"), "--workers", "2"]);
            processes.Add(local);
            Assert.True(local.Process.WaitForExit(Patience), $"the local sweep did not finish in {Patience}:\n{local.Log}");
            Assert.True(local.Process.ExitCode == 0, $"the local sweep failed ({local.Process.ExitCode}):\n{local.Log}");

            var silo1 = Start("silo 1", "dotnet", ["silo", "--artifacts", artifacts, "--redis", redis, "--port", FreePort().ToString(), "--gateway", FreePort().ToString()]);
            var silo2 = Start("silo 2", "dotnet", ["silo", "--artifacts", artifacts, "--redis", redis, "--port", FreePort().ToString(), "--gateway", FreePort().ToString()]);
            processes.Add(silo1);
            processes.Add(silo2);
            WaitFor(() => Contains(silo1.Log, "Silo up") && Contains(silo2.Log, "Silo up"), TimeSpan.FromSeconds(90), "both silos to start", processes);

            var client = Start("cluster sweep", "dotnet", ["sweep", "--spec", spec, "--out", Path.Combine(work, "cluster"), "--cluster", "--redis", redis]);
            processes.Add(client);
            // Each silo trains one item at a time: once two items train at once, one of them is on silo 2.
            var items = Path.Combine(artifacts, "items");
            WaitFor(() => Directory.Exists(items) && Directory.EnumerateDirectories(items).Sum(d => Directory.EnumerateDirectories(d, "run.partial-*").Count()) >= 2,
                Patience, "two items training at once", processes);
            silo2.Process.Kill(entireProcessTree: true);   // SIGKILL
            silo2.Process.WaitForExit();

            Assert.True(client.Process.WaitForExit(Patience), $"the cluster sweep did not finish in {Patience} after the kill:\n{Logs(processes)}");
            Assert.True(client.Process.ExitCode == 0, $"the cluster sweep failed ({client.Process.ExitCode}):\n{Logs(processes)}");
            foreach (var file in new[] { "sweep.md", "sweep.json" })
                Assert.Equal(File.ReadAllText(Path.Combine(work, "local", file)), File.ReadAllText(Path.Combine(work, "cluster", file)));
        }
        finally
        {
            foreach (var (_, process, _) in processes)
            {
                try { if (!process.HasExited) process.Kill(entireProcessTree: true); process.WaitForExit(); }
                catch (InvalidOperationException) { }
                process.Dispose();
            }
            Directory.Delete(work, recursive: true);
        }
    }

    static (string Name, Process Process, StringBuilder Log) Start(string name, string file, string[] args, bool cli = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (cli) start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GenAudit.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        start.Environment["NO_COLOR"] = "1";
        var log = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (name, process, log);
    }

    static bool Contains(StringBuilder log, string text) { lock (log) return log.ToString().Contains(text, StringComparison.Ordinal); }

    static string Logs(IEnumerable<(string Name, Process Process, StringBuilder Log)> processes) =>
        string.Join("\n", processes.Select(p => { lock (p.Log) return $"--- {p.Name}:\n{p.Log}"; }));

    static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, IEnumerable<(string Name, Process Process, StringBuilder Log)> processes)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"timed out after {timeout} waiting for {what}:\n{Logs(processes)}");
            Thread.Sleep(100);
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool CanConnect(int port)
    {
        try { using var client = new TcpClient(); client.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }

    static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
}
