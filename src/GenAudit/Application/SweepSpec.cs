using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Training;

namespace GenAudit.Application;

/// <summary>
/// A sweep file (sweep.json): a grid of data sets × training recipes × seeds, and what to run on each
/// trained result. Unknown fields, missing required fields and wrong types are errors naming the field.
/// </summary>
public sealed record SweepSpec
{
    /// <summary>Name of the sweep, the title of its table.</summary>
    public required string Name { get; init; }

    /// <summary>What the sweep measures, printed under the table.</summary>
    public string? Description { get; init; }

    /// <summary>Data sets to train on: ring8 or grid25 (the trainer's in-memory path; image and token data are not swept yet); each starts from <see cref="TrainingConfig.DefaultsFor"/>.</summary>
    public required IReadOnlyList<string> Data { get; init; }

    /// <summary>Training seeds; every recipe is trained once per seed on every data set.</summary>
    public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>Training recipes: a name and the settings it changes.</summary>
    public required IReadOnlyList<SweepRecipe> Recipes { get; init; }

    /// <summary>libtorch threads per work item: fixed, so that a seed gives the same result on every machine. Default: 1.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>What to run on each trained result.</summary>
    public required SweepSteps Run { get; init; }

    /// <summary>Table columns (result keys with labels, scale and format); default: every key the items report, in order.</summary>
    public IReadOnlyList<SweepColumn>? Columns { get; init; }

    /// <summary>Largest sweep file read (1 MiB).</summary>
    public const long MaxFileBytes = 1L << 20;

    /// <summary>Most work items a sweep may expand to.</summary>
    public const int MaxItems = 100_000;

    static readonly JsonSerializerOptions Strict = new(Json.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and validates the sweep file at <paramref name="path"/>; a policy path inside it is relative to the file.</summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path)) throw new SweepSpecException($"{path}: sweep file not found");
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new SweepSpecException($"{path}: {length:N0} bytes is more than the {MaxFileBytes:N0} a sweep file may have");
        var spec = Parse(File.ReadAllText(path), path);
        if (spec.Run.Audit is { Policy: { } policy } audit && !Path.IsPathRooted(policy))
            spec = spec with { Run = spec.Run with { Audit = audit with { Policy = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, policy) } } };
        return spec;
    }

    /// <summary>Parses and validates <paramref name="json"/>; <paramref name="source"/> prefixes every error.</summary>
    public static SweepSpec Parse(string json, string source)
    {
        SweepSpec? spec;
        try { spec = JsonSerializer.Deserialize<SweepSpec>(json, Strict); }
        catch (JsonException e) { throw new SweepSpecException($"{source}: {(e.Path is { } at ? $"at {at}: " : "")}{e.Message.Split(" Path:")[0]}"); }
        if (spec is null) throw new SweepSpecException($"{source}: the file holds JSON null; a sweep is an object with name, data, seeds, recipes and run");
        spec.Validate(source);
        return spec;
    }

    void Validate(string source)
    {
        void Check(bool ok, string message) { if (!ok) throw new SweepSpecException($"{source}: {message}"); }
        Check(!string.IsNullOrWhiteSpace(Name), "\"name\" is empty");
        Check(Data.Count > 0, "\"data\" is empty; name at least one data set (e.g. \"ring8\")");
        foreach (var data in Data)
            Check(Mixture2D.FromName(data) is not null, $"\"data\": '{data}' is not a data set sweeps train on yet; sweeps train the 2D mixtures ring8 and grid25");
        Check(Data.Distinct().Count() == Data.Count, "\"data\" names a data set twice");
        Check(Seeds.Count > 0, "\"seeds\" is empty");
        Check(Seeds.All(s => s >= 0), "\"seeds\" must be ≥ 0");
        Check(Seeds.Distinct().Count() == Seeds.Count, "\"seeds\" lists a seed twice");
        Check(Recipes.Count > 0, "\"recipes\" is empty");
        Check(Recipes.Select(r => r.Name).Distinct().Count() == Recipes.Count, "two recipes have the same name");
        Check(Threads is >= 1 and <= 256, $"\"threads\" is {Threads}; it must be between 1 and 256");
        Check((long)Data.Count * Recipes.Count * Seeds.Count <= MaxItems, $"the grid has {(long)Data.Count * Recipes.Count * Seeds.Count:N0} items; at most {MaxItems:N0}");
        Check(Run.Modes is not null || Run.Evaluate is not null || Run.Stability is not null || Run.Audit is not null,
            "\"run\" names no step; give at least one of modes, evaluate, stability, audit");
        if (Run.Modes is { } modes)
        {
            Check(modes.Points is >= 10 and <= 1_000_000, $"\"run.modes.points\" is {modes.Points}; it must be between 10 and 1,000,000");
            foreach (var data in Data)
                Check(Mixture2D.FromName(data) is not null, $"\"run.modes\" scores known 2D mixtures only, and '{data}' is not one; use \"evaluate\"");
        }
        if (Run.Evaluate is { } evaluate)
            Check(evaluate.Count is >= 10 and <= 1_000_000, $"\"run.evaluate.count\" is {evaluate.Count}; it must be between 10 and 1,000,000");
        foreach (var recipe in Recipes)
        {
            Check(!string.IsNullOrWhiteSpace(recipe.Name), "a recipe has an empty name");
            foreach (var data in Data)
            {
                try { recipe.Config.ApplyTo(TrainingConfig.DefaultsFor(data)).Validate(); }
                catch (ArgumentException e) { throw new SweepSpecException($"{source}: recipe '{recipe.Name}' on {data}: {e.Message}"); }
            }
        }
        if (Columns is not null)
        {
            Check(Columns.Count > 0, "\"columns\" is empty; leave it out to show every key");
            foreach (var column in Columns)
            {
                Check(!string.IsNullOrWhiteSpace(column.Key) && !string.IsNullOrWhiteSpace(column.Label), "a column needs a key and a label");
                Check(double.IsFinite(column.Scale) && column.Scale != 0, $"column '{column.Key}': \"scale\" must be a finite non-zero number");
                Check(System.Text.RegularExpressions.Regex.IsMatch(column.Format, "^[FNEG][0-9]{0,2}$"),
                    $"column '{column.Key}': \"format\" '{column.Format}' is not a number format: F, N, E or G with up to two digits, such as F3");
            }
        }
    }

    /// <summary>The work items, data set by data set, recipe by recipe, seed by seed; the policy file of an audit step is read into the items.</summary>
    public IReadOnlyList<SweepItem> Items()
    {
        string? policy = null;
        if (Run.Audit is { Policy: { } path })
        {
            if (!File.Exists(path)) throw new SweepSpecException($"{path}: the policy named by \"run.audit.policy\" does not exist");
            policy = File.ReadAllText(path);
        }
        var steps = Run with { Audit = Run.Audit is null ? null : Run.Audit with { Policy = null } };
        var items = new List<SweepItem>();
        foreach (var data in Data)
            foreach (var recipe in Recipes)
                foreach (var seed in Seeds)
                    items.Add(SweepItem.Create(data, recipe.Name, recipe.Config, seed, Threads, steps, policy));
        return items;
    }
}

/// <summary>A sweep file is malformed or inconsistent; the message names the file and the field.</summary>
public sealed class SweepSpecException(string message) : ArgumentException(message);

/// <summary>A training recipe of a sweep: a name, what it is, and the settings it changes from the data set's defaults.</summary>
public sealed record SweepRecipe
{
    /// <summary>Name shown in the table.</summary>
    public required string Name { get; init; }

    /// <summary>What the recipe is, printed under the table.</summary>
    public string? Description { get; init; }

    /// <summary>Settings changed from <see cref="TrainingConfig.DefaultsFor"/>; empty keeps the defaults.</summary>
    public SweepConfig Config { get; init; } = new();
}

/// <summary>The training settings a sweep may change; each null field keeps the data set's default (names as in <see cref="TrainingConfig"/>).</summary>
public sealed record SweepConfig
{
    /// <summary>GAN objective: ns, hinge or wgan-gp.</summary>
    public GanLoss? Loss { get; init; }
    /// <summary>Generator steps.</summary>
    public long? Steps { get; init; }
    /// <summary>Batch size.</summary>
    public int? BatchSize { get; init; }
    /// <summary>R1 penalty weight γ.</summary>
    public double? R1Gamma { get; init; }
    /// <summary>Gradient-penalty weight λ (WGAN-GP).</summary>
    public double? GradientPenaltyWeight { get; init; }
    /// <summary>EMA decay of the generator's weights; 0 turns EMA off.</summary>
    public double? EmaDecay { get; init; }
    /// <summary>Generator learning rate.</summary>
    public double? LearningRateG { get; init; }
    /// <summary>Discriminator learning rate.</summary>
    public double? LearningRateD { get; init; }
    /// <summary>Adam β₁.</summary>
    public double? Beta1 { get; init; }
    /// <summary>Adam β₂.</summary>
    public double? Beta2 { get; init; }
    /// <summary>Factor the learning rates decay to by the last step; 1 keeps them constant.</summary>
    public double? LearningRateDecay { get; init; }
    /// <summary>Discriminator steps per generator step.</summary>
    public int? DiscriminatorSteps { get; init; }

    /// <summary><paramref name="defaults"/> with every field this recipe sets.</summary>
    public TrainingConfig ApplyTo(TrainingConfig defaults)
    {
        var c = defaults;
        if (Loss is { } loss) c = c with { Loss = loss };
        if (Steps is { } steps) c = c with { Steps = steps };
        if (BatchSize is { } batch) c = c with { BatchSize = batch };
        if (R1Gamma is { } r1) c = c with { R1Gamma = r1 };
        if (GradientPenaltyWeight is { } gp) c = c with { GradientPenaltyWeight = gp };
        if (EmaDecay is { } ema) c = c with { EmaDecay = ema };
        if (LearningRateG is { } lrG) c = c with { LearningRateG = lrG };
        if (LearningRateD is { } lrD) c = c with { LearningRateD = lrD };
        if (Beta1 is { } beta1) c = c with { Beta1 = beta1 };
        if (Beta2 is { } beta2) c = c with { Beta2 = beta2 };
        if (LearningRateDecay is { } decay) c = c with { LearningRateDecay = decay };
        if (DiscriminatorSteps is { } dSteps) c = c with { DiscriminatorSteps = dSteps };
        return c;
    }
}

/// <summary>What a sweep runs on each trained result; null steps are skipped.</summary>
public sealed record SweepSteps
{
    /// <summary>Mode coverage of a 2D mixture as in the PacGAN code (the mode-collapse benchmark): keys modes.captured, modes.highQuality, modes.reverseKl.</summary>
    public SweepModesStep? Modes { get; init; }
    /// <summary>The evaluate verb's quality metrics, keys prefixed with "evaluate.".</summary>
    public SweepEvaluateStep? Evaluate { get; init; }
    /// <summary>The stability verb's measurements, numeric keys prefixed with "stability.".</summary>
    public SweepStabilityStep? Stability { get; init; }
    /// <summary>The audit against a policy: audit.passed (1 or 0) and every value it judged, prefixed with "audit.".</summary>
    public SweepAuditStep? Audit { get; init; }
}

/// <summary>Settings of the mode-coverage step.</summary>
public sealed record SweepModesStep
{
    /// <summary>Generated points scored. Default: 2,500 (PacGAN's).</summary>
    public int Points { get; init; } = 2500;
    /// <summary>The latents are drawn with seed LatentSeedOffset + training seed. Default: 1000, as in the benchmark.</summary>
    public long LatentSeedOffset { get; init; } = 1000;
}

/// <summary>Settings of the evaluate step.</summary>
public sealed record SweepEvaluateStep
{
    /// <summary>Generated samples. Default: 5,000.</summary>
    public int Count { get; init; } = 5000;
}

/// <summary>Settings of the stability step.</summary>
public sealed record SweepStabilityStep
{
    /// <summary>The quick settings of <c>stability --quick</c>. Default: true.</summary>
    public bool Quick { get; init; } = true;
}

/// <summary>Settings of the audit step.</summary>
public sealed record SweepAuditStep
{
    /// <summary>Policy file, relative to the sweep file; default: the shipped policy. Its text, not its path, becomes part of each item.</summary>
    public string? Policy { get; init; }
    /// <summary>The audit's quick settings. Default: true.</summary>
    public bool Quick { get; init; } = true;
}

/// <summary>A table column: a result key, its heading, a factor (100 for percent) and a .NET number format.</summary>
public sealed record SweepColumn
{
    /// <summary>Result key, e.g. modes.captured.</summary>
    public required string Key { get; init; }
    /// <summary>Column heading.</summary>
    public required string Label { get; init; }
    /// <summary>Factor applied before formatting. Default: 1.</summary>
    public double Scale { get; init; } = 1;
    /// <summary>Number format. Default: F3.</summary>
    public string Format { get; init; } = "F3";
}

/// <summary>
/// One unit of sweep work: a data set, a recipe's settings, a seed, the thread count and the steps.
/// <see cref="Key"/> hashes all of them (not the recipe's name), so a retried or duplicated item is the same item.
/// </summary>
/// <param name="Key">First 16 hex digits of the SHA-256 of the item's canonical JSON without the key and the recipe name.</param>
/// <param name="Data">Data set.</param>
/// <param name="Recipe">Recipe name (for the table; not hashed).</param>
/// <param name="Config">The recipe's settings.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Threads">libtorch threads.</param>
/// <param name="Run">Steps to run on the result (an audit's policy path removed).</param>
/// <param name="Policy">The audit policy's text, or null for the shipped policy or no audit.</param>
public sealed record SweepItem(string Key, string Data, string Recipe, SweepConfig Config, long Seed, int Threads, SweepSteps Run, string? Policy)
{
    /// <summary>Builds an item and computes its key.</summary>
    public static SweepItem Create(string data, string recipe, SweepConfig config, long seed, int threads, SweepSteps run, string? policy)
    {
        var identity = JsonSerializer.Serialize(new { version = 1, data, config, seed, threads, run, policy }, Json.Compact);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
        return new SweepItem(Convert.ToHexStringLower(hash)[..16], data, recipe, config, seed, threads, run, policy);
    }

    /// <summary>The training configuration: the data set's defaults, the recipe's settings, the seed and threads, one final checkpoint.</summary>
    public TrainingConfig TrainingConfig() =>
        Config.ApplyTo(Training.TrainingConfig.DefaultsFor(Data)) with
        {
            Seed = Seed,
            Threads = Threads,
            CheckpointEvery = 1_000_000, // as the benchmark: only the final checkpoint
            TensorBoard = false,
        };

    /// <summary>The item with its key recomputed from its fields: a check that an item read from disk or the wire is what it claims to be.</summary>
    public SweepItem Verified()
    {
        var again = Create(Data, Recipe, Config, Seed, Threads, Run, Policy);
        if (again.Key != Key) throw new InvalidDataException($"sweep item {Key}: its fields hash to {again.Key}; the item was altered");
        return this;
    }
}
