using GenAudit.Application;

namespace GenAudit.Audit;

/// <summary>The sweep step that audits each trained item against the sweep's policy, and the full set of sweep steps.</summary>
public sealed class SweepAudit : ISweepStep
{
    /// <summary>Every sweep step: the application's (modes, evaluate, stability) and the audit.</summary>
    public static IReadOnlyList<ISweepStep> Steps { get; } = [.. SweepItemRunner.StandardSteps, new SweepAudit()];

    /// <inheritdoc />
    public bool AppliesTo(SweepItem item) => item.Run.Audit is not null;

    /// <summary>Audits the saved run (its charts go to audit/ beside it): audit.passed is 1 when every threshold holds, and each judged value is reported as audit.&lt;key&gt;.</summary>
    public IReadOnlyDictionary<string, double?> Run(SweepItemContext context)
    {
        var settings = context.Item.Run.Audit!;
        var policy = context.Item.Policy is { } text ? Policy.Parse(text, $"sweep item {context.Item.Key} policy") : Policy.Default;
        var options = settings.Quick ? AuditOptions.Quick(context.Item.Seed) : new AuditOptions { Seed = context.Item.Seed };
        var folder = Path.Combine(Path.GetDirectoryName(context.RunFolder)!, "audit");
        var result = new AuditRunner(options).Run(context.Subject, context.RunFolder, policy, folder);
        var values = new Dictionary<string, double?> { ["audit.passed"] = result.Passed ? 1 : 0 };
        foreach (var (key, value) in result.Values) values["audit." + key] = value;
        return values;
    }
}
