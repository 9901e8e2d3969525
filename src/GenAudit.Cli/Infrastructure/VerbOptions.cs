using System.Reflection;
using Spectre.Console.Cli;

namespace GenAudit.Cli.Infrastructure;

/// <summary>The options a verb accepts (its own and the shared ones it takes), and the closest one to a misspelt name.</summary>
public static class VerbOptions
{
    static readonly string[] Help = ["-h", "--help"];

    /// <summary>Whether a verb takes each shared option, by the option's property name.</summary>
    static readonly Dictionary<string, Func<SharedOptions, bool>> Offered = new()
    {
        [nameof(VerbSettings.Run)] = s => s.Run is not null,
        [nameof(VerbSettings.Seed)] = s => s.Seed is not null,
        [nameof(VerbSettings.Count)] = s => s.Count is not null,
        [nameof(VerbSettings.Json)] = s => s.Json is not null,
        [nameof(VerbSettings.Out)] = s => s.Out is not null,
    };

    /// <summary>Every spelling the verb accepts, e.g. "--run", "-n", "--count", "--help".</summary>
    public static IReadOnlyList<string> Names(VerbSettings settings) =>
        Options(settings).SelectMany(o => o.Attribute.ShortNames.Select(s => "-" + s).Concat(o.Attribute.LongNames.Select(l => "--" + l)))
            .Concat(Help).Distinct().ToList();

    /// <summary>Whether the verb takes the shared option behind <paramref name="property"/>.</summary>
    public static bool Takes(VerbSettings settings, PropertyInfo property) =>
        !Offered.TryGetValue(property.Name, out var offered) || property.DeclaringType != typeof(VerbSettings) || offered(settings.Shared);

    /// <summary>The options of the verb with their attributes; shared options the verb does not take are left out.</summary>
    public static IEnumerable<(PropertyInfo Property, CommandOptionAttribute Attribute)> Options(VerbSettings settings) =>
        settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<CommandOptionAttribute>()))
            .Where(o => o.Attribute is not null && Takes(settings, o.Property))
            .Select(o => (o.Property, o.Attribute!));

    /// <summary>
    /// "unknown option '--polcy'; did you mean '--policy'?" — the suggestion is the accepted spelling at the
    /// smallest edit distance, offered when at most about a third of the name differs.
    /// </summary>
    public static string UnknownMessage(string verb, string option, IReadOnlyList<string> known)
    {
        var closest = known.Select(k => (Name: k, Distance: EditDistance(option, k)))
            .OrderBy(k => k.Distance).ThenBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault();
        var limit = Math.Max(2, option.TrimStart('-').Length / 3);
        return closest.Name is not null && closest.Distance <= limit
            ? $"unknown option '{option}'; did you mean '{closest.Name}'?"
            : $"unknown option '{option}'; 'genaudit {verb} --help' lists the options of {verb}";
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, each of cost 1.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
