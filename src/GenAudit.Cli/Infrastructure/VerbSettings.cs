using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// The options several verbs share, declared once: <c>--run</c>, <c>--seed</c>, <c>-n</c>, <c>--json</c> and
/// <c>--out</c>. Each verb says in <see cref="Shared"/> which of them it takes and what they mean for it;
/// <see cref="VerbCommand{TSettings}"/> validates them once, before the verb's own checks, and rejects the
/// ones a verb does not take like any unknown option. <c>--help</c> shows each verb's wording.
/// </summary>
public abstract class VerbSettings : CommandSettings
{
    /// <summary>Run directory.</summary>
    [CommandOption("--run <DIR>")]
    [Description("Run directory (trained or imported).")]
    public string? Run { get; init; }

    /// <summary>Seed; null when not given (the verbs then use 0, and train --resume the run's own).</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of every random draw. Default: 0.")]
    public long? Seed { get; init; }

    /// <summary>Sample count; null when not given (see <see cref="CountOption.Default"/>).</summary>
    [CommandOption("-n|--count <N>")]
    [Description("How many samples the verb draws (also accepted as --n).")]
    public int? Count { get; init; }

    /// <summary>JSON output file.</summary>
    [CommandOption("--json <FILE>")]
    [Description("Write every number as flat JSON.")]
    public string? Json { get; init; }

    /// <summary>Output file or folder.</summary>
    [CommandOption("--out <PATH>")]
    [Description("Output file or folder.")]
    public string? Out { get; init; }

    /// <summary>Which shared options this verb takes, and what they mean for it.</summary>
    public abstract SharedOptions Shared { get; }

    /// <summary>The seed, 0 when not given.</summary>
    public long SeedOrDefault => Seed ?? 0;

    /// <summary>The sample count: <see cref="Count"/> or the verb's default.</summary>
    public int CountOrDefault => Count ?? Shared.Count?.Default
        ?? throw new InvalidOperationException($"{GetType().FullName}: -n has no fixed default for this verb; read Count");

    /// <summary>
    /// Spectre.Console.Cli calls this while binding, before the unknown options are known; every check runs in
    /// <see cref="VerbCommand{TSettings}"/> instead, so that a misspelt option is reported before what it left unset.
    /// </summary>
    public sealed override ValidationResult Validate() => ValidationResult.Success();

    /// <summary>The verb's own checks, run after the shared options passed theirs.</summary>
    public virtual ValidationResult ValidateVerb() => ValidationResult.Success();
}

/// <summary>
/// How one verb uses the shared options: null for an option the verb does not take, otherwise its
/// <c>--help</c> text and rules. A verb that takes <c>--run</c> requires it unless <see cref="RunOptional"/>.
/// </summary>
public sealed record SharedOptions
{
    /// <summary>Help text of <c>--run</c>.</summary>
    public string? Run { get; init; }

    /// <summary>True when the verb has other ways to name its runs and checks <c>--run</c> itself (audit --runs/--checkpoints).</summary>
    public bool RunOptional { get; init; }

    /// <summary>Help text of <c>--seed</c>.</summary>
    public string? Seed { get; init; }

    /// <summary>Meaning, default and minimum of <c>-n</c>.</summary>
    public CountOption? Count { get; init; }

    /// <summary>Help text of <c>--json</c>.</summary>
    public string? Json { get; init; }

    /// <summary>Meaning and kind of <c>--out</c>.</summary>
    public OutOption? Out { get; init; }
}

/// <summary>What <c>-n</c> counts for a verb.</summary>
/// <param name="Description">Help text, including the default.</param>
/// <param name="Minimum">Smallest accepted value.</param>
/// <param name="Default">Value when -n is not given; null when the verb derives it (e.g. from --quick).</param>
public sealed record CountOption(string Description, int Minimum, int? Default);

/// <summary>What <c>--out</c> names for a verb.</summary>
/// <param name="Description">Help text, including the default.</param>
/// <param name="Folder">True for a folder, false for a file.</param>
/// <param name="Required">True when the verb has no default.</param>
public sealed record OutOption(string Description, bool Folder, bool Required = false)
{
    /// <summary>The value name shown by --help.</summary>
    public string ValueName => Folder ? "DIR" : "FILE";
}
