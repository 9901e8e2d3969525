using System.Diagnostics;
using System.Text;

namespace GenAudit.Application;

/// <summary>One unit of work for a worker process: a name for messages, the folder the worker reads and writes, and what it is.</summary>
/// <param name="Name">Short name shown in progress lines (an item key, a model name).</param>
/// <param name="Folder">The work's folder: the worker's argument; its worker.log goes there.</param>
/// <param name="Description">What the work is, shown in progress and failure lines.</param>
public sealed record WorkerJob(string Name, string Folder, string Description);

/// <summary>
/// Where prepared jobs run: worker processes on this machine (<see cref="WorkerPool"/>) or the silos of a
/// cluster. A job is a folder its worker reads its description from and writes its result into.
/// </summary>
public interface IJobExecutor
{
    /// <summary>
    /// Runs every job; a job succeeded when its worker finished and <paramref name="done"/> holds for it.
    /// Returns one line per failed job, starting with the job's name. <paramref name="alreadyDone"/> only numbers the progress lines.
    /// </summary>
    IReadOnlyList<string> Run(IReadOnlyList<WorkerJob> jobs, Func<WorkerJob, bool> done, IProgress<string>? progress = null,
        int alreadyDone = 0, CancellationToken cancel = default);
}

/// <summary>
/// Runs jobs on this machine in at most <c>workers</c> child processes, one job per process (libtorch's
/// thread pool is per process, so each job can fix its own thread count), and collects the failures.
/// Each worker's output goes to worker.log in its job's folder. Shared by <c>genaudit sweep</c> and
/// <c>genaudit audit --runs/--checkpoints</c>.
/// </summary>
/// <param name="workers">Worker processes at once.</param>
/// <param name="worker">The command line of a worker for a job folder: program and arguments.</param>
public sealed class WorkerPool(int workers, Func<string, ProcessStartInfo> worker) : IJobExecutor
{
    /// <summary>Name of a job's log inside its folder.</summary>
    public const string LogFile = "worker.log";

    /// <inheritdoc />
    /// <remarks>A job succeeded when its worker exited with 0 and <paramref name="done"/> holds for it.</remarks>
    public IReadOnlyList<string> Run(IReadOnlyList<WorkerJob> jobs, Func<WorkerJob, bool> done, IProgress<string>? progress = null,
        int alreadyDone = 0, CancellationToken cancel = default)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), $"--workers is {workers}; it must be at least 1");
        var pending = new Queue<WorkerJob>(jobs);
        var running = new List<(WorkerJob Job, Process Process, StreamWriter Log)>();
        var failures = new List<string>();
        var finishedCount = alreadyDone;
        var total = alreadyDone + jobs.Count;
        try
        {
            while (pending.Count > 0 || running.Count > 0)
            {
                cancel.ThrowIfCancellationRequested();
                while (running.Count < workers && pending.Count > 0)
                {
                    var job = pending.Dequeue();
                    running.Add(Start(job));
                    progress?.Report($"started {job.Name}: {job.Description}");
                }
                var finished = running.FirstOrDefault(r => r.Process.HasExited);
                if (finished.Process is null) { Thread.Sleep(100); continue; }
                finished.Process.WaitForExit(); // drains the output handlers
                finished.Log.Dispose();
                running.Remove(finished);
                var code = finished.Process.ExitCode;
                finished.Process.Dispose();
                if (code == 0 && done(finished.Job))
                {
                    finishedCount++;
                    progress?.Report($"done {finished.Job.Name} ({finishedCount}/{total})");
                }
                else failures.Add($"{finished.Job.Name} ({finished.Job.Description}): worker exited with {code}; see {Path.Combine(finished.Job.Folder, LogFile)}");
            }
        }
        finally
        {
            foreach (var (_, process, log) in running)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.Dispose();
                log.Dispose();
            }
        }
        return failures;
    }

    (WorkerJob, Process, StreamWriter) Start(WorkerJob job)
    {
        var start = worker(job.Folder);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        Directory.CreateDirectory(job.Folder);
        var log = new StreamWriter(Path.Combine(job.Folder, LogFile), append: true, new UTF8Encoding(false)) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (job, process, log);
    }
}
