using GenAudit.Core;
using GenAudit.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>Exit codes of every verb.</summary>
public static class ExitCode
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A check failed (audit thresholds) or training diverged.</summary>
    public const int Failed = 1;
    /// <summary>Usage or input error: bad options, missing or malformed files; an audit policy key the run could produce but did not measure.</summary>
    public const int Usage = 2;
    /// <summary>An audit measurement failed: a stage threw (the report names the stage and the reason).</summary>
    public const int MeasurementFailed = 3;
    /// <summary>Interrupted by Ctrl+C after writing a checkpoint.</summary>
    public const int Interrupted = 130;
}

/// <summary>Turns exceptions into one clear message and an exit code; never a stack trace for a user error.</summary>
static class ErrorReporter
{
    public static int Report(IAnsiConsole console, Exception exception)
    {
        while (exception is System.Reflection.TargetInvocationException { InnerException: { } inner }) exception = inner;
        if (exception is CommandParseException { Pretty: { } pretty })
        {
            // Spectre's own rendering points at the bad argument and, for a misspelt verb, names the closest one.
            console.Write(pretty);
            return ExitCode.Usage;
        }
        var (label, code) = exception switch
        {
            TrainingDivergedException => ("training diverged", ExitCode.Failed),
            CheckpointWriteException => ("training stopped", ExitCode.Failed),
            TorchUnavailableException => ("libtorch unavailable", ExitCode.Usage),
            CommandAppException or ArgumentException or InvalidDataException or FileNotFoundException
                or DirectoryNotFoundException or FormatException or NotSupportedException => ("error", ExitCode.Usage),
            _ => ("internal error", ExitCode.Failed),
        };
        // A value that failed its conversion: the converter's message names the value and the fix; Spectre's says only the type.
        var message = exception is CommandRuntimeException { InnerException: FormatException format } ? format.Message : exception.Message;
        console.MarkupLineInterpolated($"[red]{label}:[/] {message}");
        if (label == "internal error") console.WriteLine(exception.ToString());
        return code;
    }
}
