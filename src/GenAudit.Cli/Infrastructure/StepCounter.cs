using GenAudit.Core;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// Counts the steps of several library calls as one sequence for <see cref="StepProgress"/>: each part reports
/// its own 1..n, shifted by the steps done before it.
/// </summary>
sealed class StepCounter(IProgress<WorkProgress> sink, int total)
{
    int done;

    /// <summary>One step of the caller's own finished.</summary>
    public void Finished(string step) => sink.Report(new WorkProgress(step, ++done, total));

    /// <summary>Runs a part of <paramref name="steps"/> steps, labelling its reports with <paramref name="label"/>.</summary>
    public T Part<T>(string label, int steps, Func<IProgress<WorkProgress>, T> work)
    {
        var before = done;
        var result = work(new SynchronousProgress<WorkProgress>(p => sink.Report(new WorkProgress(label + p.Step, before + p.Done, total))));
        done = before + steps;
        return result;
    }
}
