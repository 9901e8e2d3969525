using System.Globalization;
using GenAudit.Core;
using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>Runs a long step with a progress bar and ETA (terminal) or periodic plain lines with done/total and ETA.</summary>
static class StepProgress
{
    /// <summary>
    /// Runs <paramref name="work"/>, showing what it reports. <paramref name="alreadyDone"/> steps were done before
    /// (a resumed training run); the ETA counts only the steps done here.
    /// </summary>
    public static T Run<T>(IAnsiConsole console, ProgressOptions options, string title, Func<IProgress<WorkProgress>, T> work, int alreadyDone = 0)
    {
        if (!options.Terminal)
        {
            using var lines = new PlainLines(console, options, title, alreadyDone);
            var result = work(lines);
            lines.Finish();
            return result;
        }
        T? value = default;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: Math.Max(1, alreadyDone));
                task.Value = alreadyDone;
                value = work(new SynchronousProgress<WorkProgress>(p =>
                {
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = $"{Markup.Escape(title)}: [grey]{Markup.Escape(p.Step)}[/]";
                }));
                task.Value = task.MaxValue;
            });
        return value!;
    }

    /// <summary>
    /// "explain --compare: 7/15 (47%), ig: sensitivity; 1 min 10 s elapsed, ETA 1 min 20 s", written when a step
    /// finishes at least <see cref="ProgressOptions.Interval"/> after the previous line, and by a timer in between
    /// so that a single long step still shows it is alive.
    /// </summary>
    sealed class PlainLines : IProgress<WorkProgress>, IDisposable
    {
        readonly IAnsiConsole console;
        readonly ProgressOptions options;
        readonly string title;
        readonly long start;
        readonly int alreadyDone;
        readonly ITimer timer;
        readonly object gate = new();
        long lastLine;
        WorkProgress? latest;

        public PlainLines(IAnsiConsole console, ProgressOptions options, string title, int alreadyDone)
        {
            (this.console, this.options, this.title, this.alreadyDone) = (console, options, title, alreadyDone);
            start = lastLine = options.Clock.GetTimestamp();
            var period = options.Interval > TimeSpan.Zero ? options.Interval : TimeSpan.FromSeconds(1);
            timer = options.Clock.CreateTimer(_ => Write(), null, period, period);
        }

        public void Report(WorkProgress value)
        {
            lock (gate) latest = value;
            Write();
        }

        public void Finish()
        {
            timer.Dispose();
            lock (gate)
                console.WriteLine($"{title}: done in {Duration(options.Clock.GetElapsedTime(start))}");
        }

        public void Dispose() => timer.Dispose();

        void Write()
        {
            lock (gate)
            {
                var now = options.Clock.GetTimestamp();
                if (options.Clock.GetElapsedTime(lastLine, now) < options.Interval) return;
                lastLine = now;
                var elapsed = options.Clock.GetElapsedTime(start, now);
                if (latest is not { } p)
                {
                    console.WriteLine($"{title}: started, {Duration(elapsed)} elapsed");
                    return;
                }
                var doneHere = p.Done - alreadyDone;
                var eta = doneHere > 0 ? Duration(elapsed * ((double)(p.Total - p.Done) / doneHere)) : "unknown";
                var percent = p.Total > 0 ? (int)Math.Round(100.0 * p.Done / p.Total) : 0;
                console.WriteLine($"{title}: {p.Done}/{p.Total} ({percent}%), {p.Step}; {Duration(elapsed)} elapsed, ETA {eta}");
            }
        }

        static string Duration(TimeSpan t) => t.TotalMinutes >= 1
            ? $"{(int)t.TotalMinutes} min {t.Seconds} s"
            : $"{t.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s";
    }
}
