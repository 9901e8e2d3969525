using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// Spectre's help, with each verb's wording of the shared options (<see cref="VerbSettings.Shared"/>) in place of
/// the generic one, and the shared options a verb does not take left out.
/// </summary>
sealed class VerbHelpProvider(ICommandAppSettings settings, IReadOnlyDictionary<string, Type> settingsByVerb) : HelpProvider(settings)
{
    /// <inheritdoc />
    public override IEnumerable<IRenderable> GetOptions(ICommandModel model, ICommandInfo? command)
    {
        if (command is null || !settingsByVerb.TryGetValue(command.Name, out var type) || Activator.CreateInstance(type) is not VerbSettings verb)
            return base.GetOptions(model, command);
        var parameters = command.Parameters.Select(p => p is ICommandOption option ? Reword(option, verb.Shared) : p).ToList();
        return base.GetOptions(model, new CommandView(command, parameters));
    }

    static ICommandParameter Reword(ICommandOption option, SharedOptions shared) => option.LongNames.FirstOrDefault() switch
    {
        "run" => new OptionView(option, shared.Run, option.ValueName),
        "seed" => new OptionView(option, shared.Seed, option.ValueName),
        "count" => new OptionView(option, shared.Count?.Description, option.ValueName),
        "json" => new OptionView(option, shared.Json, option.ValueName),
        "out" => new OptionView(option, shared.Out?.Description, shared.Out?.ValueName),
        _ => option,
    };

    sealed class OptionView(ICommandOption inner, string? description, string? valueName) : ICommandOption
    {
        public IReadOnlyList<string> LongNames => inner.LongNames;
        public IReadOnlyList<string> ShortNames => inner.ShortNames;
        public string? ValueName => valueName;
        public bool ValueIsOptional => inner.ValueIsOptional;
        public bool IsFlag => inner.IsFlag;
        public bool IsRequired => inner.IsRequired;
        public string? Description => description;
        public System.ComponentModel.DefaultValueAttribute? DefaultValue => inner.DefaultValue;
        public bool IsHidden => description is null; // a shared option this verb does not take
    }

    sealed class CommandView(ICommandInfo inner, IReadOnlyList<ICommandParameter> parameters) : ICommandInfo
    {
        public string Name => inner.Name;
        public string? Description => inner.Description;
        public bool IsBranch => inner.IsBranch;
        public bool IsDefaultCommand => inner.IsDefaultCommand;
        public bool IsHidden => inner.IsHidden;
        public IReadOnlyList<ICommandParameter> Parameters => parameters;
        public ICommandInfo? Parent => inner.Parent;
        public IReadOnlyList<string[]> Examples => inner.Examples;
        public IReadOnlyList<ICommandInfo> Commands => inner.Commands;
        public ICommandInfo? DefaultCommand => inner.DefaultCommand;
    }
}
