using System.Text.RegularExpressions;
using GenAudit.Cli;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Tests.Training;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Cli;

/// <summary>A clock that moves on by <see cref="Step"/> at every reading and whose timers never fire.</summary>
sealed class SteppingClock(TimeSpan step) : TimeProvider
{
    long ticks;

    public TimeSpan Step => step;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref ticks, step.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Silent();

    sealed class Silent : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public class ProgressTests
{
    [Fact]
    public void PlainLinesCarryDoneTotalElapsedAndEta()
    {
        var console = new TestConsole();
        console.Profile.Width = 1000;
        // Every clock reading is 11 s after the previous one: each step finishes more than the 10 s interval after the last line.
        var options = new ProgressOptions(Terminal: false, new SteppingClock(TimeSpan.FromSeconds(11)), TimeSpan.FromSeconds(10));
        var result = StepProgress.Run(console, options, "work", progress =>
        {
            for (int i = 1; i <= 3; i++) progress.Report(new WorkProgress($"step {i}", i, 4));
            return 42;
        });
        Assert.Equal(42, result);
        var lines = console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Clock readings: start at 11 s, the lines at 22, 33 and 44 s: elapsed 11, 22, 33 s; ETA = elapsed / done × left.
        Assert.Equal("work: 1/4 (25%), step 1; 11 s elapsed, ETA 33 s", lines[0]);
        Assert.Equal("work: 2/4 (50%), step 2; 22 s elapsed, ETA 22 s", lines[1]);
        Assert.Equal("work: 3/4 (75%), step 3; 33 s elapsed, ETA 11 s", lines[2]);
        Assert.Equal("work: done in 44 s", lines[3]);
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void PlainLinesWaitForTheInterval()
    {
        var console = new TestConsole();
        console.Profile.Width = 1000;
        // 4 s per reading: a line only when 10 s have passed since the previous one.
        var options = new ProgressOptions(Terminal: false, new SteppingClock(TimeSpan.FromSeconds(4)), TimeSpan.FromSeconds(10));
        StepProgress.Run(console, options, "work", progress =>
        {
            for (int i = 1; i <= 6; i++) progress.Report(new WorkProgress("s", i, 6));
            return 0;
        });
        // Readings at 4 (start), 8, 12, 16, 20, 24, 28 s for the six reports: lines at 16 s (step 3) and 28 s (step 6).
        var lines = console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["work: 3/6 (50%), s; 12 s elapsed, ETA 12 s", "work: 6/6 (100%), s; 24 s elapsed, ETA 0 s", "work: done in 28 s"], lines);
    }

    [Fact]
    public void ExplainCompareOffATerminalPrintsPeriodicProgressLines()
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        var console = new TestConsole();
        console.Profile.Width = 1000;
        Assert.Equal(0, GenAuditApp.Run(["train", "--data", "ring8", "--steps", "5", "--batch", "16", "--width", "8", "--out", run], console));

        console = new TestConsole();
        console.Profile.Width = 1000;
        var options = new ProgressOptions(Terminal: false, new SteppingClock(TimeSpan.FromSeconds(11)), TimeSpan.FromSeconds(10));
        var app = GenAuditApp.Create(console, options);
        var code = app.Run(["explain", "--run", run, "--compare", "saliency,random", "--target", "output:0", "-n", "2", "--json", temp.Sub("c.json")]);
        Assert.True(code == 0, console.Output);
        var pattern = new Regex(@"^explain --compare saliency,random: (\d+)/(\d+) \(\d+%\), (saliency|random): [a-z ]+; \d+ (min \d+ )?s elapsed, ETA \d+ (min \d+ )?s$");
        var progress = console.Output.Split('\n').Select(l => pattern.Match(l.TrimEnd())).Where(m => m.Success).ToList();
        // Two methods, each: attributions, deletion and insertion, faithfulness correlation, infidelity, sensitivity, randomisation.
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i.ToString()), progress.Select(m => m.Groups[1].Value));
        Assert.All(progress, m => Assert.Equal("12", m.Groups[2].Value));
        Assert.Contains("explain --compare saliency,random: done in", console.Output);
        Assert.True(File.Exists(temp.Sub("c.json")));
    }

    [Fact]
    public void TrainingOffATerminalPrintsLinesWhoseEtaCountsOnlyThisSessionsSteps()
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        var options = new ProgressOptions(Terminal: false, new SteppingClock(TimeSpan.FromSeconds(11)), TimeSpan.FromSeconds(10));
        var console = new TestConsole();
        console.Profile.Width = 1000;
        Assert.Equal(0, GenAuditApp.Create(console, options).Run(["train", "--data", "ring8", "--steps", "3", "--batch", "16", "--width", "8", "--lr-decay", "1", "--out", run]));
        var lines = console.Output.Split('\n').Where(l => l.StartsWith("training: ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("training: 1/3 (33%), step 1/3 lossD ", lines[0]);
        Assert.EndsWith("; 11 s elapsed, ETA 22 s", lines[0].TrimEnd());
        Assert.EndsWith("; 33 s elapsed, ETA 0 s", lines[2].TrimEnd());

        // Resumed at step 3 of 5: one step done here after 11 s leaves one more, 11 s, not 3 × 11 s / 4 steps.
        console = new TestConsole();
        console.Profile.Width = 1000;
        Assert.Equal(0, GenAuditApp.Create(console, options).Run(["train", "--out", run, "--resume", "--steps", "5"]));
        lines = console.Output.Split('\n').Where(l => l.StartsWith("training: ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("training: 4/5 (80%), step 4/5 ", lines[0]);
        Assert.EndsWith("; 11 s elapsed, ETA 11 s", lines[0].TrimEnd());
    }

    [Fact]
    public void StepCounterShiftsEachPartBehindTheStepsBeforeIt()
    {
        var seen = new List<WorkProgress>();
        var counter = new StepCounter(new SynchronousProgress<WorkProgress>(seen.Add), 7);
        counter.Finished("first");
        var result = counter.Part("run 1: ", 3, steps =>
        {
            for (int i = 1; i <= 3; i++) steps.Report(new WorkProgress($"s{i}", i, 3));
            return "value";
        });
        counter.Part("run 2: ", 2, steps => 0); // a part that reports nothing still counts its steps
        Assert.Equal("value", result);
        Assert.Equal([new WorkProgress("first", 1, 7), new WorkProgress("run 1: s1", 2, 7), new WorkProgress("run 1: s2", 3, 7), new WorkProgress("run 1: s3", 4, 7)], seen);
        counter.Finished("last");
        Assert.Equal(new WorkProgress("last", 7, 7), seen[^1]);
    }

    [Fact]
    public void OnATerminalTheStepRunsUnderALiveBarAndReturnsItsValue()
    {
        var console = new TestConsole().Interactive().EmitAnsiSequences();
        console.Profile.Width = 200;
        var options = new ProgressOptions(Terminal: true, TimeProvider.System, TimeSpan.FromSeconds(10));
        var result = StepProgress.Run(console, options, "work", steps =>
        {
            for (int i = 1; i <= 4; i++) steps.Report(new WorkProgress($"part {i}", i, 4));
            return 7;
        });
        Assert.Equal(7, result);
        Assert.Contains("work", console.Output);
        Assert.Contains("100%", console.Output);
        Assert.DoesNotContain("elapsed, ETA", console.Output); // the plain lines are for redirected output only
    }
}
