using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// How long steps show their progress: a live bar on a terminal, otherwise a plain line at least every
/// <see cref="Interval"/>. The clock is injected so tests can drive the plain lines deterministically.
/// </summary>
/// <param name="Terminal">True for the live bar (an interactive ANSI console whose output is not redirected).</param>
/// <param name="Clock">The clock of the plain lines' timing and ETA.</param>
/// <param name="Interval">Longest gap between two plain lines.</param>
public sealed record ProgressOptions(bool Terminal, TimeProvider Clock, TimeSpan Interval)
{
    /// <summary>Plain lines every 10 seconds unless <paramref name="console"/> is an interactive terminal.</summary>
    public static ProgressOptions For(IAnsiConsole console) =>
        new(console.Profile.Capabilities is { Interactive: true, Ansi: true } && !Console.IsOutputRedirected, TimeProvider.System, TimeSpan.FromSeconds(10));
}
