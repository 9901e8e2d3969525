using GenAudit.Cli;
using Spectre.Console;

return GenAuditApp.Run(args, AnsiConsole.Console);
