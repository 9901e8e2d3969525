using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// Base of every verb: rejects unknown options (naming the closest known one), then validates the shared
/// options once, then runs the verb's own checks (<see cref="VerbSettings.ValidateVerb"/>); while it runs, a
/// library error that names an options field (Samples, Steps) is reworded with the flag that set it.
/// </summary>
/// <remarks>
/// The app parses in Spectre.Console.Cli's relaxed mode on purpose: strict mode throws while parsing, before
/// the verb's settings exist, so its error cannot name the closest option of that verb. In relaxed mode the
/// unknown options arrive here as remaining arguments, and nothing runs while any is left.
/// </remarks>
public abstract class VerbCommand<TSettings> : Command<TSettings> where TSettings : VerbSettings
{
    /// <inheritdoc />
    public sealed override ValidationResult Validate(CommandContext context, TSettings settings)
    {
        var known = VerbOptions.Names(settings);
        if (context.Remaining.Parsed.FirstOrDefault() is { } unknown)
            return ValidationResult.Error(VerbOptions.UnknownMessage(context.Name, unknown.Key, known));
        if (context.Remaining.Raw.Count > 0)
            return ValidationResult.Error($"unexpected arguments after '--': {string.Join(' ', context.Remaining.Raw)}; {context.Name} takes options only");
        if (NotTaken(context, settings) is { } spelling)
            return ValidationResult.Error(VerbOptions.UnknownMessage(context.Name, spelling, known));
        var shared = Shared(settings);
        return shared.Successful ? settings.ValidateVerb() : shared;
    }

    /// <summary>Runs the verb once its options are valid.</summary>
    protected abstract int Run(CommandContext context, TSettings settings, CancellationToken cancellationToken);

    /// <summary>Library options fields this verb sets from flags, e.g. "Steps" → "--steps".</summary>
    protected virtual IReadOnlyDictionary<string, string> FlagsOfFields { get; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public sealed override int Execute(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return Run(context, settings, cancellationToken);
        }
        catch (ArgumentException e) when (e.ParamName is { } field && FlagsOfFields.TryGetValue(field, out var flag))
        {
            // "ig: Steps must be >= 1. (Parameter 'Steps') Actual value was 0." → "--steps 0: ig: Steps must be >= 1."
            var text = e.Message.Split(" (Parameter '", 2)[0];
            var value = e is ArgumentOutOfRangeException { ActualValue: { } actual } ? $" {actual}" : "";
            throw new ArgumentException($"{flag}{value}: {text}", e);
        }
    }

    /// <summary>How the user spelt a shared option this verb does not take (parsed because another verb takes it), or null.</summary>
    static string? NotTaken(CommandContext context, VerbSettings settings)
    {
        foreach (var property in typeof(VerbSettings).GetProperties())
        {
            if (property.GetCustomAttributes(typeof(CommandOptionAttribute), false).FirstOrDefault() is not CommandOptionAttribute option
                || VerbOptions.Takes(settings, property) || property.GetValue(settings) is null) continue;
            var spellings = option.ShortNames.Select(s => "-" + s).Concat(option.LongNames.Select(l => "--" + l)).ToList();
            return context.Arguments.FirstOrDefault(a => spellings.Any(s => a == s || a.StartsWith(s + "=", StringComparison.Ordinal)))?.Split('=')[0]
                ?? spellings[^1];
        }
        return null;
    }

    /// <summary>The checks of the shared options, written once for every verb.</summary>
    static ValidationResult Shared(VerbSettings settings)
    {
        var shared = settings.Shared;
        if (shared.Run is not null && !shared.RunOptional && string.IsNullOrWhiteSpace(settings.Run))
            return ValidationResult.Error("--run DIR is required");
        if (shared.Count is { } count && settings.Count is { } n && n < count.Minimum)
            return ValidationResult.Error($"--n must be at least {count.Minimum}, got {n}");
        if (shared.Out is { Required: true } required && settings.Out is null)
            return ValidationResult.Error($"--out {required.ValueName} is required");
        if (shared.Out is { Folder: true } && File.Exists(settings.Out))
            return ValidationResult.Error($"--out {settings.Out} is a file; give a folder");
        if (shared.Out is { Folder: false } && Directory.Exists(settings.Out))
            return ValidationResult.Error($"--out {settings.Out} is a folder; give a file name");
        if (shared.Json is not null && settings.Json is { } json && Directory.Exists(json))
            return ValidationResult.Error($"--json {json} is a folder; give a file name");
        return ValidationResult.Success();
    }
}
