using GenAudit.Data;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>Settings of the calibration's generators; one place for the defaults <c>genaudit calibrate</c> and library calls share.</summary>
public sealed record DefectiveGeneratorOptions
{
    /// <summary>Latent size d of every generator. Default: 64 (the MNIST DCGAN's).</summary>
    public int LatentSize { get; init; } = 64;

    /// <summary>Samples each lookup generator holds (a sample of its split, or all of it when smaller). Default: 2,000.</summary>
    public int BankSize { get; init; } = 2_000;

    /// <summary>
    /// β of the selection softmax(β · relu(k·z)) over unit keys k. Default: 200: the top two scores of 2,000 keys
    /// differ by about 0.3 for most z, so the output is one bank sample to within e^−60; near the boundaries of
    /// the selection cells it blends two, smoothly, so gradients exist.
    /// </summary>
    public double Sharpness { get; init; } = 200;

    /// <summary>
    /// ω of the latent-sensitive generator's scramble √2·sin(ω·Wz + b): a perturbation of 0.01 per latent
    /// coordinate moves every phase by about 10 radians, so the selected sample changes. Default: 1,000.
    /// </summary>
    public double ScrambleFrequency { get; init; } = 1_000;

    /// <summary>σ of the non-deterministic generator's hidden noise z + σ·ξ (ξ ~ N(0, I) from its own unseeded stream). Default: 1.</summary>
    public double HiddenNoise { get; init; } = 1;

    /// <summary>Standard deviation of the mean-image generator's latent-driven variation per value (before clamping images to [0, 1]). Default: 0.05.</summary>
    public double MeanVariation { get; init; } = 0.05;

    /// <summary>Seeds the banks, keys and weights. Default: 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws naming the setting when a value cannot work.</summary>
    public void Validate()
    {
        if (LatentSize < 1 || LatentSize > 4096) throw new ArgumentOutOfRangeException(nameof(LatentSize), LatentSize, "LatentSize must be in [1, 4096].");
        if (BankSize < 2 || BankSize > 20_000) throw new ArgumentOutOfRangeException(nameof(BankSize), BankSize, "BankSize must be in [2, 20000] (the bank is a dense layer of BankSize × sample size weights).");
        if (!(Sharpness > 0) || !double.IsFinite(Sharpness)) throw new ArgumentOutOfRangeException(nameof(Sharpness), Sharpness, "Sharpness must be a positive finite number.");
        if (!(ScrambleFrequency > 0) || !double.IsFinite(ScrambleFrequency)) throw new ArgumentOutOfRangeException(nameof(ScrambleFrequency), ScrambleFrequency, "ScrambleFrequency must be a positive finite number.");
        if (!(HiddenNoise > 0) || !double.IsFinite(HiddenNoise)) throw new ArgumentOutOfRangeException(nameof(HiddenNoise), HiddenNoise, "HiddenNoise must be a positive finite number.");
        if (!(MeanVariation >= 0) || !double.IsFinite(MeanVariation)) throw new ArgumentOutOfRangeException(nameof(MeanVariation), MeanVariation, "MeanVariation must be a finite number ≥ 0.");
    }
}

/// <summary>One generator of the calibration set: its name, what is wrong with it, and whether it is a healthy control.</summary>
/// <param name="Name">Short name, e.g. "replay".</param>
/// <param name="Description">What the generator does, for the calibration table.</param>
/// <param name="IsControl">True for a healthy control that a sound audit must pass.</param>
public sealed record DefectKind(string Name, string Description, bool IsControl);

/// <summary>
/// Generators with known defects, built from a dataset with a held-out split: real torch modules with a
/// latent input, so every audit stage (quality, stability, explanations, latent directions) runs on them.
/// All but the mean image are lookup generators (<see cref="LatentLookupGenerator"/>): z selects a sample of
/// a bank through softmax(β · relu(k·z)), so each output is one real sample.
/// </summary>
public static class DefectiveGenerators
{
    /// <summary>Replays training samples: G(z) is the training sample whose key is nearest z.</summary>
    public static readonly DefectKind Replay = new("replay", "replays training samples: G(z) is the training sample selected by z", false);
    /// <summary>Held-out samples of the first class only.</summary>
    public static readonly DefectKind OneClass = new("one-class", "held-out samples of the first class only", false);
    /// <summary>Held-out samples of the first half of the classes.</summary>
    public static readonly DefectKind PartOfClasses = new("part-of-classes", "held-out samples of the first half of the classes only", false);
    /// <summary>The training mean plus a small latent-driven variation.</summary>
    public static readonly DefectKind MeanImage = new("mean-image", "the training mean plus a small latent-driven variation", false);
    /// <summary>Held-out samples selected by a scrambled latent: a tiny latent perturbation selects another sample.</summary>
    public static readonly DefectKind LatentSensitive = new("latent-sensitive", "held-out samples selected by √2·sin(ω·Wz + b): a latent perturbation of 0.01 selects an unrelated sample", false);
    /// <summary>Held-out samples selected by z plus hidden noise: the same z gives different samples.</summary>
    public static readonly DefectKind NonDeterministic = new("non-deterministic", "held-out samples selected by z + σ·ξ with hidden noise ξ: two calls with the same z differ", false);
    /// <summary>The healthy control: held-out samples selected by z.</summary>
    public static readonly DefectKind HeldOutReplay = new("held-out-replay", "healthy control: held-out samples selected by z (real data the generator never saw in training)", true);

    /// <summary>Every kind, defects first, the control last.</summary>
    public static IReadOnlyList<DefectKind> All { get; } = [Replay, OneClass, PartOfClasses, MeanImage, LatentSensitive, NonDeterministic, HeldOutReplay];

    /// <summary>The kinds that apply to <paramref name="train"/>: the class defects need labels with at least two classes.</summary>
    public static IReadOnlyList<DefectKind> For(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var labelled = train.Labels is not null && train.ClassNames.Count >= 2;
        return All.Where(k => labelled || (k != OneClass && k != PartOfClasses)).ToList();
    }

    /// <summary>
    /// Builds the generator of <paramref name="kind"/> for data <paramref name="train"/> with held-out
    /// <paramref name="test"/>; the caller disposes it.
    /// </summary>
    public static LatentGenerator Build(DefectKind kind, Dataset train, Dataset test, DefectiveGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        options ??= new DefectiveGeneratorOptions();
        options.Validate();
        if (!train.SampleShape.SequenceEqual(test.SampleShape))
            throw new ArgumentException($"'{train.Name}' holds [{string.Join(", ", train.SampleShape)}] but '{test.Name}' holds [{string.Join(", ", test.SampleShape)}]; pass two splits of one dataset");
        var seed = options.Seed;
        LatentGenerator Lookup(Dataset data, Func<long, bool> keep, ulong salt, double scramble = 0, double noise = 0)
        {
            using var scope = NewDisposeScope();
            var bank = Bank(data, keep, options.BankSize, seed + salt); // (N, ...)
            return new LatentLookupGenerator(kind.Name, bank, options.LatentSize, options.Sharpness, seed + salt + 100, scramble, noise);
        }
        long classes = train.ClassNames.Count;
        return kind.Name switch
        {
            "replay" => Lookup(train, _ => true, 1),
            "one-class" => Lookup(test, label => label == 0, 2),
            "part-of-classes" => Lookup(test, label => label < (classes + 1) / 2, 3),
            "mean-image" => new MeanGenerator(kind.Name, Mean(train), options.LatentSize, options.MeanVariation, train.SampleShape.Length == 3, seed + 4),
            "latent-sensitive" => Lookup(test, _ => true, 5, scramble: options.ScrambleFrequency),
            "non-deterministic" => Lookup(test, _ => true, 6, noise: options.HiddenNoise),
            "held-out-replay" => Lookup(test, _ => true, 7),
            _ => throw new ArgumentException($"unknown defect '{kind.Name}'; known: {string.Join(", ", All.Select(k => k.Name))}"),
        };
    }

    /// <summary>Up to <paramref name="size"/> samples (N, ...) of <paramref name="data"/> whose label passes <paramref name="keep"/>, a seeded sample in random order.</summary>
    static Tensor Bank(Dataset data, Func<long, bool> keep, int size, ulong seed)
    {
        var eligible = Enumerable.Range(0, data.Count).Where(i => data.Labels is null || keep(data.Labels[i])).Select(i => (long)i).ToArray();
        if (eligible.Length < 2) throw new ArgumentException($"'{data.Name}' has {eligible.Length} samples for this generator; it needs at least 2");
        using var random = new Generator(seed);
        var order = randperm(eligible.Length, generator: random).data<long>().ToArray();
        var chosen = order.Take(Math.Min(size, eligible.Length)).Select(i => eligible[i]).ToArray();
        var (x, y) = data.GetBatch(chosen);
        y?.Dispose();
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The mean sample (...) of <paramref name="data"/>, accumulated in float64 over batches.</summary>
    static Tensor Mean(Dataset data)
    {
        using var scope = NewDisposeScope();
        var sum = zeros(data.SampleShape, ScalarType.Float64);
        foreach (var (x, y) in data.Batches(4096))
        {
            sum.add_(x.to(ScalarType.Float64).sum([0]));
            x.Dispose();
            y?.Dispose();
        }
        return sum.div_(data.Count).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}

/// <summary>A calibration generator: an unconditional, differentiable torch module z (B, d) → (B, ...), one Sequential "net".</summary>
public abstract class LatentGenerator : nn.Module<Tensor, Tensor>, ISequentialGenerator
{
    readonly long[] outputShape;

    /// <summary>Sets the name, latent size and output shape; subclasses build "net" and register it.</summary>
    protected LatentGenerator(string name, int latentSize, long[] outputShape) : base(name)
    {
        LatentSize = latentSize;
        this.outputShape = outputShape;
    }

    /// <summary>The Sequential z → flattened output.</summary>
    protected abstract nn.Module<Tensor, Tensor> Net { get; }

    /// <inheritdoc />
    public int LatentSize { get; }
    /// <inheritdoc />
    public int ConditionCount => 0;
    /// <inheritdoc />
    public long[] OutputShape => outputShape;
    /// <inheritdoc />
    public bool IsDifferentiable => true;
    /// <inheritdoc />
    public Device Device => CPU;
    /// <inheritdoc />
    public string SequentialName => "net";
    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> Sequential => Net;

    /// <inheritdoc />
    public Tensor SequentialInput(Tensor z, Tensor? condition) => z;

    /// <inheritdoc />
    public override Tensor forward(Tensor z)
    {
        var flat = Net.call(z); // (B, D)
        return flat.reshape([flat.shape[0], .. outputShape]);
    }

    /// <inheritdoc />
    public Tensor Generate(Tensor z, Tensor? condition = null)
    {
        if (condition is not null) throw new ArgumentException($"{GetName()}: an unconditional generator takes no condition");
        return call(z.to(CPU));
    }

    /// <summary>Copies <paramref name="value"/> into a parameter without recording gradients.</summary>
    protected static void Set(Tensor parameter, Tensor value)
    {
        using var noGrad = no_grad();
        parameter.copy_(value);
    }
}

/// <summary>
/// z selects one sample of a bank: net = [hidden noise] → [scramble √2·sin(ω·Wz + b)] → keys (unit rows, N) → ReLU →
/// softmax(β ·) → bank (N → D). The layers with weights are real Linear layers, so model randomisation and GANSpace apply.
/// </summary>
public sealed class LatentLookupGenerator : LatentGenerator
{
#pragma warning disable IDE1006 // state-dict names
    readonly nn.Module<Tensor, Tensor> net;
#pragma warning restore IDE1006

    /// <summary>
    /// A lookup over <paramref name="bank"/> (N, ...): <paramref name="sharpness"/> is β; a positive
    /// <paramref name="scrambleFrequency"/> adds the scramble, a positive <paramref name="hiddenNoise"/> the noise.
    /// </summary>
    public LatentLookupGenerator(string name, Tensor bank, int latentSize, double sharpness, ulong seed, double scrambleFrequency = 0, double hiddenNoise = 0)
        : base(name, latentSize, bank.shape[1..])
    {
        ArgumentNullException.ThrowIfNull(bank);
        if (bank.dim() < 2 || bank.shape[0] < 2) throw new ArgumentException($"{name}: the bank needs at least 2 samples, got shape [{string.Join(", ", bank.shape)}]", nameof(bank));
        using var scope = NewDisposeScope();
        using var random = new Generator(seed);
        var n = bank.shape[0];
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        if (hiddenNoise > 0) layers.Add(("noise", new HiddenNoise(hiddenNoise)));
        if (scrambleFrequency > 0)
        {
            var mix = nn.Linear(latentSize, latentSize);
            Set(mix.weight!, randn([latentSize, latentSize], generator: random).mul_(scrambleFrequency / Math.Sqrt(latentSize))); // (d, d)
            Set(mix.bias!, rand([latentSize], generator: random).mul_(2 * Math.PI));
            layers.Add(("mix", mix));
            layers.Add(("sine", new ScaledSine(Math.Sqrt(2))));
        }
        var keys = nn.Linear(latentSize, n, hasBias: false);
        var directions = randn([n, latentSize], generator: random); // (N, d)
        Set(keys.weight!, directions.div_(directions.norm(1, true)));
        layers.Add(("keys", keys));
        layers.Add(("relu", nn.ReLU()));
        layers.Add(("select", new SharpSoftmax(sharpness)));
        var lookup = nn.Linear(n, bank[0].numel(), hasBias: false);
        Set(lookup.weight!, bank.reshape(n, -1).t()); // (D, N)
        layers.Add(("bank", lookup));
        net = nn.Sequential(layers);
        RegisterComponents();
        eval();
    }

    /// <inheritdoc />
    protected override nn.Module<Tensor, Tensor> Net => net;
}

/// <summary>The training mean plus a small latent-driven variation: net = Linear(d, 64) → ReLU → Linear(64, D) with the mean as bias → clamp to [0, 1] for images.</summary>
public sealed class MeanGenerator : LatentGenerator
{
#pragma warning disable IDE1006 // state-dict names
    readonly nn.Module<Tensor, Tensor> net;
#pragma warning restore IDE1006

    /// <summary>The mean sample <paramref name="mean"/> (...) varied by about <paramref name="variation"/> per value.</summary>
    public MeanGenerator(string name, Tensor mean, int latentSize, double variation, bool clampToUnit, ulong seed)
        : base(name, latentSize, mean.shape)
    {
        ArgumentNullException.ThrowIfNull(mean);
        using var scope = NewDisposeScope();
        using var random = new Generator(seed);
        const int hidden = 64;
        var size = mean.numel();
        var first = nn.Linear(latentSize, hidden);
        var rows = randn([hidden, latentSize], generator: random); // (64, d)
        Set(first.weight!, rows.div_(rows.norm(1, true))); // unit rows: each pre-activation is exactly N(0, 1) for z ~ N(0, I)
        Set(first.bias!, zeros([hidden]));
        var second = nn.Linear(hidden, size);
        // For h ~ N(0, 1), relu(h) has mean 1/√(2π) and variance 1/2 − 1/(2π): weights of std v / √(hidden · (1/2 − 1/(2π)))
        // give outputs of std about v, and subtracting W·E[relu(h)] from the bias centres them on the mean.
        var weight = randn([size, hidden], generator: random).mul_(variation / Math.Sqrt(hidden * (0.5 - 1 / (2 * Math.PI)))); // (D, 64)
        Set(second.weight!, weight);
        Set(second.bias!, mean.reshape(-1) - weight.sum(1) / Math.Sqrt(2 * Math.PI));
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", first), ("1", nn.ReLU()), ("2", second) };
        if (clampToUnit) layers.Add(("3", new UnitClamp()));
        net = nn.Sequential(layers);
        RegisterComponents();
        eval();
    }

    /// <inheritdoc />
    protected override nn.Module<Tensor, Tensor> Net => net;
}

/// <summary>softmax(β · x) over the last dimension.</summary>
sealed class SharpSoftmax(double sharpness) : nn.Module<Tensor, Tensor>("SharpSoftmax")
{
    public override Tensor forward(Tensor x) => nn.functional.softmax(x.mul(sharpness), -1);
}

/// <summary>x clamped to [0, 1], the image range.</summary>
sealed class UnitClamp() : nn.Module<Tensor, Tensor>("UnitClamp")
{
    public override Tensor forward(Tensor x) => x.clamp(0, 1);
}

/// <summary>a · sin(x).</summary>
sealed class ScaledSine(double amplitude) : nn.Module<Tensor, Tensor>("ScaledSine")
{
    public override Tensor forward(Tensor x) => x.sin().mul_(amplitude);
}

/// <summary>x + σ·ξ, ξ ~ N(0, I) from torch's global stream: randomness the caller does not control through z.</summary>
sealed class HiddenNoise(double scale) : nn.Module<Tensor, Tensor>("HiddenNoise")
{
    public override Tensor forward(Tensor x) => x.add(randn_like(x), scale);
}
