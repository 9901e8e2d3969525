using System.Diagnostics;
using GenAudit.Audit;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit audit-item (internal): audits one model prepared by <c>genaudit audit --runs/--checkpoints</c>, which starts one per worker process.</summary>
public sealed class AuditItemCommand(IAnsiConsole console) : VerbCommand<WorkerItemSettings>
{
    /// <summary>The command line of a worker: this program's audit-item verb on one model folder.</summary>
    internal static ProcessStartInfo WorkerCommand(string folder) => WorkerProcess.For("audit-item", folder);

    /// <summary>Exit 0 once result.json is written, whatever the verdict: the verdict is in the result, and the fan-out's exit code comes from it.</summary>
    protected override int Run(CommandContext context, WorkerItemSettings settings, CancellationToken cancellationToken)
    {
        var item = Json.ReadFile<AuditManyItem>(Path.Combine(settings.Item!, AuditManyItemRunner.ItemFile));
        var result = AuditManyItemRunner.Run(item, settings.Item!);
        console.WriteLine($"{item.Name}: {AuditManyTable.VerdictText(result.ExitCode)}, {result.FailedKeys.Count} failed key(s)");
        return ExitCode.Ok;
    }
}
