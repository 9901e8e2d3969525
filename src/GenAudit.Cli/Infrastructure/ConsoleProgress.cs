using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>Prints the library's progress messages as grey lines.</summary>
sealed class ConsoleProgress(IAnsiConsole console) : IProgress<string>
{
    public void Report(string value) => console.MarkupLineInterpolated($"[grey]{value}[/]");
}
