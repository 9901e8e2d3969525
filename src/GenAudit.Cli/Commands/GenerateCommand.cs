using System.ComponentModel;
using System.Globalization;
using System.Text;
using GenAudit.Cli.Infrastructure;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Cli.Commands;

/// <summary>genaudit generate: samples from a trained run into a PNG grid, a .npy, a .csv, a .txt or (speech) a .wav.</summary>
public sealed class GenerateCommand(IAnsiConsole console) : VerbCommand<GenerateCommand.Settings>
{
    /// <summary>Options of <c>genaudit generate</c>.</summary>
    public sealed class Settings : VerbSettings, ITokenSamplingSettings
    {
        /// <inheritdoc />
        public override SharedOptions Shared { get; } = new()
        {
            Run = "Run directory written by 'genaudit train' or 'genaudit import'.",
            Seed = "Seed of the latent draws. Default: 0.",
            Count = new("Number of samples (also accepted as --n). Default: 64.", Minimum: 1, Default: 64),
            Out = new(".png (image grid, 2D scatter or series plot), .npy (float32 (N, C, H, W) in [[0, 1]], (N, 2), series (N, T, F) or token ids (N, T)), .csv (2D points, header x,y; or series, one row per sequence and step, header sequence,step,f0,...), .txt (token runs: one sequence a line, words or token ids), .wav (speech runs: the clips decoded by Griffin–Lim, one after another with 0.25 s of silence between, 16-bit mono).", Folder: false, Required: true),
        };

        /// <summary>Condition.</summary>
        [CommandOption("--condition <C>")]
        [Description("Class to generate (conditional models); default: classes in turn.")]
        public int? Condition { get; init; }

        /// <summary>Sampling temperature of token runs.</summary>
        [CommandOption("--temperature <T>")]
        [Description(TokenSamplingFlags.TemperatureHelp)]
        public double? Temperature { get; init; }

        /// <summary>Top-k of token runs.</summary>
        [CommandOption("--top-k <K>")]
        [Description(TokenSamplingFlags.TopKHelp)]
        public int? TopK { get; init; }

        /// <summary>Use raw weights.</summary>
        [CommandOption("--no-ema")]
        [Description("Use the raw generator weights even when the run kept an EMA copy.")]
        public bool NoEma { get; init; }

        /// <inheritdoc />
        public override ValidationResult ValidateVerb()
        {
            var extension = Path.GetExtension(Out!).ToLowerInvariant();
            if (extension is not (".png" or ".npy" or ".csv" or ".txt" or ".wav")) return ValidationResult.Error($"--out must end in .png, .npy, .csv, .txt or .wav, got '{Out}'");
            return ValidationResult.Success();
        }
    }

    /// <inheritdoc />
    protected override int Run(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (count, seed) = (settings.CountOrDefault, settings.SeedOrDefault);
        using var run = RunLoader.Load(settings.Run!, preferEma: !settings.NoEma);
        var model = TokenSamplingFlags.Apply(settings, run.Generator);
        using var view = model == run.Generator ? null : model as IDisposable;
        var extension = Path.GetExtension(settings.Out!).ToLowerInvariant();
        var kind = GenAudit.Models.OutputKinds.Of(run.Manifest.Config.Data, model.OutputShape);
        bool points = kind == GenAudit.Models.OutputKind.Points;
        var sequences = model as GenAudit.Models.TokenSampler;
        if (sequences is null && extension == ".txt")
            throw new ArgumentException($"--out {settings.Out}: .txt is for token runs (mle, seqgan); this generator produces [{string.Join(", ", model.OutputShape)}]; use .png or .npy");
        if (sequences is not null && extension is ".png" or ".csv")
            throw new ArgumentException($"--out {settings.Out}: a token run writes .txt (one sequence a line) or .npy (token ids as float32)");
        if (extension == ".wav" && kind != GenAudit.Models.OutputKind.Audio)
            throw new ArgumentException($"--out {settings.Out}: .wav is for speech runs (--data digits-speech); this run's data is '{run.Manifest.Config.Data}'; use .png or .npy");
        if (extension == ".csv" && !(points && model.OutputShape[0] == 2) && kind is not (GenAudit.Models.OutputKind.Series or GenAudit.Models.OutputKind.Audio))
            throw new ArgumentException($"--out {settings.Out}: .csv is for 2D point and series generators; this one produces [{string.Join(", ", model.OutputShape)}]; use .png or .npy");
        if (settings.Condition is { } c && (model.ConditionCount == 0 || c < 0 || c >= model.ConditionCount))
            throw new ArgumentException(model.ConditionCount == 0
                ? "--condition: this model is unconditional"
                : $"--condition must be in 0..{model.ConditionCount - 1}, got {c}");

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var generator = new Generator(unchecked((ulong)seed));
        var z = torch.randn([count, model.LatentSize], generator: generator);
        Tensor? condition = model.ConditionCount == 0 ? null
            : settings.Condition is { } fixedClass ? torch.full([count], fixedClass, ScalarType.Int64)
            : torch.arange(count, dtype: ScalarType.Int64) % model.ConditionCount;
        var samples = Batched(model, z, condition).cpu();

        switch (extension)
        {
            case ".txt":
                AtomicFile.WriteAllText(settings.Out!, string.Concat(sequences!.Spell(samples).Select(line => line + "\n")));
                break;
            case ".npy":
                Npy.Write(settings.Out!, samples);
                break;
            case ".wav":
                WriteClips(settings.Out!, samples, seed);
                break;
            case ".csv" when kind is GenAudit.Models.OutputKind.Series or GenAudit.Models.OutputKind.Audio:
                SeriesCsv.Write(settings.Out!, samples.contiguous().data<float>().ToArray(), count, (int)model.OutputShape[0], (int)model.OutputShape[1]);
                break;
            case ".csv":
                var values = samples.to(ScalarType.Float64).data<double>().ToArray();
                var csv = new StringBuilder("x,y\n");
                for (int i = 0; i < count; i++)
                    csv.Append(values[2 * i].ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(values[2 * i + 1].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                AtomicFile.WriteAllText(settings.Out!, csv.ToString());
                break;
            default:
                if (kind is GenAudit.Models.OutputKind.Series or GenAudit.Models.OutputKind.Audio) SampleRenderer.For(kind).Render(model, settings.Out!, count, seed);
                else if (points)
                {
                    var generated = samples.to(ScalarType.Float64).data<double>().ToArray();
                    var matrix = new double[count, 2];
                    for (int i = 0; i < count; i++) { matrix[i, 0] = generated[2 * i]; matrix[i, 1] = generated[2 * i + 1]; }
                    PointChart.Render(new double[0, 2], matrix, settings.Out!, $"{count} samples, seed {seed}");
                }
                else ImageGrid.Save(samples, (int)Math.Ceiling(Math.Sqrt(count)), settings.Out!);
                break;
        }
        console.MarkupLineInterpolated($"Wrote {count} samples of step {run.Step}{(run.UsesEma ? " (EMA weights)" : "")} to [bold]{settings.Out}[/]");
        return ExitCode.Ok;
    }

    /// <summary>Silence between clips in a .wav of several: 0.25 s.</summary>
    internal const double GapSeconds = 0.25;

    /// <summary>
    /// Decodes log-mel frames (N, T, F) to waveforms (Griffin–Lim from a phase drawn with <paramref name="seed"/>) and writes
    /// them to one 16-bit mono WAV, clip after clip with <see cref="GapSeconds"/> of silence between, atomically.
    /// </summary>
    static void WriteClips(string path, Tensor frames, long seed)
    {
        var representation = new LogMelFrames();
        int clip = representation.ClipSamples, gap = (int)(GapSeconds * representation.SampleRate), n = (int)frames.shape[0];
        if ((long)n * (clip + gap) > AudioWav.MaxSamples)
            throw new ArgumentException($"--out {path}: {n} clips of {clip + gap} samples exceed the {AudioWav.MaxSamples} samples of one WAV file; use a smaller --n");
        var audio = new float[n * clip + (n - 1) * gap];
        const int Batch = 64;                                                                       // bounds Griffin–Lim's spectra in memory
        for (int start = 0; start < n; start += Batch)
        {
            int count = Math.Min(Batch, n - start);
            using var waveforms = representation.Decode(frames.narrow(0, start, count), seed + start);   // (count, S)
            var values = waveforms.contiguous().data<float>().ToArray();
            for (int i = 0; i < count; i++) values.AsSpan(i * clip, clip).CopyTo(audio.AsSpan((start + i) * (clip + gap)));
        }
        AudioWav.Write(path, audio, representation.SampleRate);
    }

    /// <summary>Generates in batches of 512 so that large --n does not build one huge activation.</summary>
    internal static Tensor Batched(GenAudit.Models.IGenerativeModel model, Tensor z, Tensor? condition, int batch = 512)
    {
        var parts = new List<Tensor>();
        for (long start = 0; start < z.shape[0]; start += batch)
        {
            long length = Math.Min(batch, z.shape[0] - start);
            parts.Add(model.Generate(z.narrow(0, start, length), condition?.narrow(0, start, length)));
        }
        return torch.cat(parts, 0);
    }
}
