using GenAudit.Cli;
using GenAudit.Core;
using Spectre.Console;

// The numerics self-check's one line (a CPU whose oneDNN kernels fail, docs/numerics.md) goes to standard error.
TorchRuntime.Warn = line => Console.Error.WriteLine("warning: " + line);
return GenAuditApp.Run(args, AnsiConsole.Console);
