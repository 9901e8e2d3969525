using System.ComponentModel;
using System.Globalization;

namespace GenAudit.Cli.Infrastructure;

/// <summary>
/// The one parser of comma-separated option values (<c>--eps 0.01,0.1</c>, <c>--compare ig,lime</c>): items are
/// trimmed, empty items dropped, and an empty list or an item that does not parse is a <see cref="FormatException"/>
/// that names the item. Options use <see cref="Numbers"/> or <see cref="Names"/> as their <c>[TypeConverter]</c>.
/// </summary>
public abstract class CommaList<T> : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    /// <inheritdoc />
    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        var items = ((string)value).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new FormatException($"'{value}' holds no item; expected a comma-separated list such as {Example}");
        return items.Select(item => TryParse(item, out var parsed) ? parsed
            : throw new FormatException($"'{value}': '{item}' is not {Expected}; expected a comma-separated list such as {Example}")).ToArray();
    }

    /// <summary>Parses one trimmed, non-empty item.</summary>
    protected abstract bool TryParse(string item, out T value);

    /// <summary>What an item must be, for the error message.</summary>
    protected abstract string Expected { get; }

    /// <summary>A valid list, for the error message.</summary>
    protected abstract string Example { get; }
}

/// <summary>Comma-separated finite numbers as double[]; a list that starts with a minus is written <c>--opt=-3,0,3</c>.</summary>
public sealed class Numbers : CommaList<double>
{
    /// <inheritdoc />
    protected override bool TryParse(string item, out double value) =>
        double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <inheritdoc />
    protected override string Expected => "a finite number";

    /// <inheritdoc />
    protected override string Example => "0.01,0.1 (write --opt=-3,0,3 when it starts with a minus)";
}

/// <summary>Comma-separated names as string[].</summary>
public sealed class Names : CommaList<string>
{
    /// <inheritdoc />
    protected override bool TryParse(string item, out string value)
    {
        value = item;
        return true;
    }

    /// <inheritdoc />
    protected override string Expected => "a name";

    /// <inheritdoc />
    protected override string Example => "ig,kernelshap,lime";
}
