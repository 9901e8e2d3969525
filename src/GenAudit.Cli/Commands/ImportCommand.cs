using System.ComponentModel;
using GenAudit.Cli.Infrastructure;
using GenAudit.Interop;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit import: turns an ONNX generator or a PyTorch state dict into a run directory the other verbs open.</summary>
public sealed class ImportCommand(IAnsiConsole console) : VerbCommand<ImportCommand.Settings>
{
    /// <summary>Options of <c>genaudit import</c>.</summary>
    public sealed class Settings : VerbSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Out = new("Run directory to create.", Folder: true, Required: true),
        };

        /// <summary>ONNX model.</summary>
        [CommandOption("--onnx <FILE>")]
        [Description("ONNX generator to import as a black box (forward passes only).")]
        public string? Onnx { get; init; }

        /// <summary>PyTorch weights.</summary>
        [CommandOption("--pytorch <FILE>")]
        [Description("PyTorch state dict (.pt/.pth/.bin from torch.save, or .safetensors) to load into --arch.")]
        public string? PyTorch { get; init; }

        /// <summary>Latent size of an ONNX model.</summary>
        [CommandOption("--latent <D>")]
        [Description("ONNX: size of the latent input, float32 (batch, D).")]
        public int? Latent { get; init; }

        /// <summary>Class count of an ONNX model.</summary>
        [CommandOption("--conditions <K>")]
        [Description("ONNX: number of classes of a conditional generator (int64 labels (batch) or float32 one-hot (batch, K)). Default: 0.")]
        public int Conditions { get; init; }

        /// <summary>Input names of an ONNX model.</summary>
        [CommandOption("--input-names <NAMES>")]
        [Description("ONNX: graph input names, latent first, comma-separated (e.g. z,label). Default: the graph's order.")]
        [TypeConverter(typeof(Names))]
        public IReadOnlyList<string>? InputNames { get; init; }

        /// <summary>Output name of an ONNX model.</summary>
        [CommandOption("--output-name <NAME>")]
        [Description("ONNX: graph output holding the samples. Default: the graph's only output.")]
        public string? OutputName { get; init; }

        /// <summary>Architecture of PyTorch weights.</summary>
        [CommandOption("--arch <SPEC>")]
        [Description("PyTorch: built-in architecture, gan|vae : mlp|conv : latent=D, width=W, data=N (mlp) | shape=CxHxW (conv), then optionally conditions=K, embedding=E, sn, likelihood=bernoulli|gaussian, sigma=S (see docs/interop.md). Example: gan:conv:latent=64,width=64,shape=1x28x28.")]
        public string? Arch { get; init; }

        /// <summary>Checkpoint entry holding the state dict.</summary>
        [CommandOption("--key <NAME>")]
        [Description("PyTorch: entry of a checkpoint dict that holds the state dict, e.g. generator.")]
        public string? Key { get; init; }

        /// <summary>Data the model is compared with.</summary>
        [CommandOption("--data <NAME|FOLDER>")]
        [Description("Data the model should be evaluated against (recorded with its fingerprint): ring8, grid25, mnist, fashion-mnist or a folder.")]
        public string? Data { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            if ((Onnx is null) == (PyTorch is null)) return ValidationResult.Error("pass exactly one of --onnx FILE and --pytorch FILE");
            if (Onnx is not null)
            {
                if (Latent is null) return ValidationResult.Error("--onnx needs --latent D, the size of the latent input");
                if (Arch is not null || Key is not null) return ValidationResult.Error("--arch and --key apply to --pytorch only");
            }
            else
            {
                if (Arch is null) return ValidationResult.Error($"--pytorch needs --arch SPEC ({ArchitectureSpec.Grammar})");
                if (Latent is not null || Conditions != 0 || InputNames is not null || OutputName is not null)
                    return ValidationResult.Error("--latent, --conditions, --input-names and --output-name apply to --onnx only; --arch describes a PyTorch model");
            }
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Onnx is { } onnx)
        {
            var options = new OnnxGeneratorOptions
            {
                LatentSize = settings.Latent!.Value,
                ConditionCount = settings.Conditions,
                InputNames = settings.InputNames,
                OutputName = settings.OutputName,
            };
            var run = ModelImport.ImportOnnx(onnx, options, settings.Out!, settings.Data);
            console.MarkupLineInterpolated($"Imported ONNX generator [bold]{Path.GetFileName(onnx)}[/] into [bold]{run.Root}[/] (black box: gradient methods are unavailable)");
        }
        else
        {
            var run = ModelImport.ImportPyTorch(settings.PyTorch!, settings.Arch!, settings.Out!, settings.Key, settings.Data);
            console.MarkupLineInterpolated($"Imported [bold]{Path.GetFileName(settings.PyTorch!)}[/] as {ArchitectureSpec.Format(ArchitectureSpec.Parse(settings.Arch!))} into [bold]{run.Root}[/]");
        }
        return ExitCode.Ok;
    }
}
