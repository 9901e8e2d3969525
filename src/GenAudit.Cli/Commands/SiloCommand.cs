using System.ComponentModel;
using GenAudit.Cli.Infrastructure;
using GenAudit.Cluster;
using GenAudit.Core;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit silo: one Orleans silo that runs sweep items until stopped (Ctrl+C or SIGTERM).</summary>
public sealed class SiloCommand(IAnsiConsole console) : VerbCommand<SiloCommand.Settings>
{
    /// <summary>Options of <c>genaudit silo</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new();

        /// <summary>Artifacts folder.</summary>
        [CommandOption("--artifacts <DIR>")]
        [Description("Folder every silo can reach (a shared file system across machines): item runs, results and, without --redis, grain state.")]
        public string? Artifacts { get; init; }

        /// <summary>Redis endpoint.</summary>
        [CommandOption("--redis <HOST:PORT>")]
        [Description("Redis membership and grain state (several machines). Default: localhost clustering (one machine).")]
        public string? Redis { get; init; }

        /// <summary>Silo port.</summary>
        [CommandOption("--port <PORT>")]
        [Description("Silo-to-silo port. Default: 11111; give each silo on one machine its own.")]
        public int? Port { get; init; }

        /// <summary>Gateway port.</summary>
        [CommandOption("--gateway <PORT>")]
        [Description("Client gateway port. Default: 30000; give each silo on one machine its own.")]
        public int? Gateway { get; init; }

        /// <summary>Primary silo port.</summary>
        [CommandOption("--primary <PORT>")]
        [Description("Without --redis: silo port of the first silo, which the others join. Default: 11111.")]
        public int? Primary { get; init; }

        /// <summary>Items at once.</summary>
        [CommandOption("--slots <N>")]
        [Description("Items this silo runs at once. Default: 1 (each item fixes libtorch's thread count for its process).")]
        public int? Slots { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if (string.IsNullOrWhiteSpace(Artifacts)) return ValidationResult.Error("--artifacts is required: a folder every silo can reach");
            if (Redis is not null && Primary is not null) return ValidationResult.Error("--primary applies to localhost clustering; with --redis the silos find each other through Redis");
            try { Options().Validate(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        internal SiloOptions Options()
        {
            var defaults = new SiloOptions { Artifacts = Artifacts ?? "" };
            return defaults with
            {
                Artifacts = Path.GetFullPath(Artifacts ?? "."),
                Redis = Redis,
                SiloPort = Port ?? defaults.SiloPort,
                GatewayPort = Gateway ?? defaults.GatewayPort,
                PrimarySiloPort = Primary ?? defaults.PrimarySiloPort,
                Slots = Slots ?? defaults.Slots,
            };
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.Options();
        TorchRuntime.EnsureLoaded();
        Directory.CreateDirectory(options.Artifacts);
        using var host = SiloSetup.BuildHost(options);
        host.StartAsync(cancellationToken).GetAwaiter().GetResult();
        console.MarkupLineInterpolated($"Silo up: port {options.SiloPort}, gateway {options.GatewayPort}, {(options.Redis is { } redis ? $"Redis membership at {redis}" : $"localhost clustering (primary {options.PrimarySiloPort})")}, {options.Slots} slot(s), artifacts {options.Artifacts}.");
        host.WaitForShutdownAsync(cancellationToken).GetAwaiter().GetResult();
        return ExitCode.Ok;
    }
}
