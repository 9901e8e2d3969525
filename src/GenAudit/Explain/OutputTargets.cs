using System.Globalization;
using GenAudit.Models;
using GenAudit.Runs;

namespace GenAudit.Explain;

/// <summary>
/// The targets that depend on what the generator outputs: the <c>region:</c> target of <see cref="ModelTargets"/>,
/// the targets only one kind has (a token run's log-probabilities), and the audit's target when the run has no
/// feature classifier.
/// </summary>
public interface IOutputTargets
{
    /// <summary>The output kind served.</summary>
    OutputKind Kind { get; }

    /// <summary>
    /// The target <paramref name="spec"/> when it is one of this kind's own (or an error when this kind refuses it), over
    /// <paramref name="input"/>s, with the <paramref name="prompt"/> of <c>--prompt</c>; null for the shared targets that
    /// <see cref="ModelTargets"/> builds.
    /// </summary>
    AttributionTarget? Create(string spec, AuditSubject subject, TargetInput input, string? prompt);

    /// <summary>True when the targets of this kind have gradients with respect to the latent (gradient methods may explain it).</summary>
    bool LatentGradients(AuditSubject subject);

    /// <summary>The scalar per output (B, ...) → (B,) of <c>region:&lt;argument&gt;</c> for <paramref name="generator"/>'s outputs, or an error naming the fix.</summary>
    AttributionTarget Region(string spec, string? argument, IGenerativeModel generator);

    /// <summary>The target specification, and why, that the audit explains when <paramref name="subject"/> has no feature classifier.</summary>
    (string Spec, string Reason) DefaultWithoutClassifier(AuditSubject subject);
}

/// <summary>The output targets of each kind.</summary>
public static class OutputTargets
{
    static readonly IOutputTargets[] Targets = [new PointTargets(), new ImageTargets(), new TokenTargets()];

    /// <summary>The targets of <paramref name="kind"/>.</summary>
    public static IOutputTargets For(OutputKind kind) => Targets.Single(t => t.Kind == kind);

    /// <summary>The targets of <paramref name="kind"/>, or null when the kind has none of its own (series).</summary>
    public static IOutputTargets? Find(OutputKind kind) => Targets.SingleOrDefault(t => t.Kind == kind);
}

/// <summary>Points: no regions; the audit explains the x coordinate.</summary>
public sealed class PointTargets : IOutputTargets
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Points;

    /// <inheritdoc />
    public AttributionTarget? Create(string spec, AuditSubject subject, TargetInput input, string? prompt) => null;

    /// <inheritdoc />
    public bool LatentGradients(AuditSubject subject) => subject.Generator.IsDifferentiable;

    /// <inheritdoc />
    public AttributionTarget Region(string spec, string? argument, IGenerativeModel generator) =>
        throw new ArgumentException($"{spec}: region targets need image outputs; for points use output:<i> (0 = x, 1 = y)");

    /// <inheritdoc />
    public (string Spec, string Reason) DefaultWithoutClassifier(AuditSubject subject) => ("output:0", "the x coordinate of the generated point");
}

/// <summary>Images: the mean intensity of a box; the audit explains the discriminator's score where there is one.</summary>
public sealed class ImageTargets : IOutputTargets
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Images;

    /// <inheritdoc />
    public AttributionTarget? Create(string spec, AuditSubject subject, TargetInput input, string? prompt) => null;

    /// <inheritdoc />
    public bool LatentGradients(AuditSubject subject) => subject.Generator.IsDifferentiable;

    /// <inheritdoc />
    public AttributionTarget Region(string spec, string? argument, IGenerativeModel generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var numbers = (argument ?? "").Split(',').Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : -1).ToArray();
        long h = generator.OutputShape[1], w = generator.OutputShape[2];
        if (numbers.Length != 4 || numbers.Any(n => n < 0) || numbers[0] >= numbers[2] || numbers[1] >= numbers[3] || numbers[2] > w || numbers[3] > h)
            throw new ArgumentException($"{spec}: expected region:x0,y0,x1,y1 with 0 ≤ x0 < x1 ≤ {w} and 0 ≤ y0 < y1 ≤ {h}");
        return AttributionTarget.Region(numbers[0], numbers[1], numbers[2], numbers[3]);
    }

    /// <inheritdoc />
    public (string Spec, string Reason) DefaultWithoutClassifier(AuditSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return subject.Run.Discriminator is not null
            ? ("disc", "the discriminator's score (no classifier exists for this data)")
            : ("output:0", "the first output element (no classifier and no discriminator)");
    }
}
