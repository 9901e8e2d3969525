using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Training;

/// <summary>Which novelty measure a curious generator is rewarded with.</summary>
public enum CuriosityKind
{
    /// <summary>Random network distillation (Burda et al. 2018): the error of a predictor trained to imitate a fixed random network on the generator's samples.</summary>
    Rnd,
    /// <summary>A pseudo-count (Bellemare et al. 2016): 1/√(1 + n̂(x)), n̂ a Gaussian-kernel count of x among recent generated samples; point data only.</summary>
    Count,
}

/// <summary>
/// The curiosity term of a GAN's generator loss: the generator minimises its adversarial loss minus
/// <see cref="Weight"/> × the mean normalised novelty of its samples. One place for the defaults, so the
/// CLI flags, the manifest and library callers agree.
/// </summary>
public sealed record CuriosityOptions
{
    /// <summary>The novelty measure. Default: rnd.</summary>
    public CuriosityKind Kind { get; init; } = CuriosityKind.Rnd;

    /// <summary>Weight λ of the bonus in the generator loss (<c>--curiosity-weight</c>). Default: 1 (not tuned; see docs/benchmarks.md).</summary>
    public double Weight { get; init; } = 1.0;

    /// <summary>RND: output size k of the target and predictor networks. Default: 32.</summary>
    public int OutputSize { get; init; } = 32;

    /// <summary>RND: Adam learning rate of the predictor (β = (0.9, 0.999)). Default: 1e-3.</summary>
    public double PredictorLearningRate { get; init; } = 1e-3;

    /// <summary>count: how many of the most recent generated samples are counted. Default: 2,048.</summary>
    public int Memory { get; init; } = 2048;

    /// <summary>count: standard deviation h of the Gaussian counting kernel, in data units. Default: 0.1 (ring8's modes are 0.77 apart, grid25's 2).</summary>
    public double Bandwidth { get; init; } = 0.1;

    /// <summary>Checks ranges for <paramref name="model"/>; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate(ModelConfig model)
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"--curiosity must be rnd, count or none, got {(int)Kind}");
        if (!(Weight >= 0) || !double.IsFinite(Weight)) throw new ArgumentException($"--curiosity-weight must be a finite number ≥ 0, got {Weight}");
        if (OutputSize < 1 || OutputSize > 4096) throw new ArgumentException($"curiosity output size must be in [1, 4096], got {OutputSize}");
        if (!(PredictorLearningRate > 0) || !double.IsFinite(PredictorLearningRate)) throw new ArgumentException($"the curiosity predictor's learning rate must be positive, got {PredictorLearningRate}");
        if (Memory < 1 || Memory > 1 << 20) throw new ArgumentException($"curiosity memory must be in [1, 1048576] samples, got {Memory}");
        if (!(Bandwidth > 0) || !double.IsFinite(Bandwidth)) throw new ArgumentException($"curiosity bandwidth must be positive, got {Bandwidth}");
        if (Kind == CuriosityKind.Count && !model.IsPointData)
            throw new ArgumentException("--curiosity count is a density count for low-dimensional point data (ring8, grid25); use --curiosity rnd for images");
    }
}

/// <summary>What one curiosity update measured.</summary>
/// <param name="MeanNovelty">Mean raw novelty of the batch before the update.</param>
/// <param name="PredictorLoss">RND: the predictor's loss on the batch (before its step); null for count.</param>
public sealed record CuriosityUpdate(double MeanNovelty, double? PredictorLoss);

/// <summary>
/// A novelty bonus for generated samples with the running normalisation of Burda et al. (2018): the
/// bonus is the raw novelty divided by the running standard deviation of every novelty seen so far.
/// Its gradient reaches the samples (and so the generator) only: the novelty model's own parameters
/// change only in <see cref="Learn"/>.
/// </summary>
public abstract class Curiosity : IDisposable
{
    // Running moments of the raw novelty (OpenAI baselines' RunningMeanStd: mean 0, variance 1, count 1e-4 to start).
    double _mean, _variance = 1, _count = 1e-4;

    /// <summary>Builds the novelty model of <paramref name="options"/> for data of <paramref name="model"/>'s shape. Its random weights come from libtorch's global generator.</summary>
    public static Curiosity Create(CuriosityOptions options, ModelConfig model, Device device) => options.Kind switch
    {
        CuriosityKind.Rnd => new RandomNetworkDistillation(options, model.DataShape, device),
        CuriosityKind.Count => new CountNovelty(options, model.DataShape, device),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown curiosity kind"),
    };

    /// <summary>Raw novelty of each sample of <paramref name="x"/> (B, ...) as (B,); differentiable in x, never in the model's parameters.</summary>
    public abstract Tensor Novelty(Tensor x);

    /// <summary>The normalised bonus of each sample (B,): <see cref="Novelty"/> / √(running variance).</summary>
    public Tensor Bonus(Tensor x) => Normalise(Novelty(x));

    /// <summary>Divides raw novelties by the running standard deviation.</summary>
    public Tensor Normalise(Tensor novelty) => novelty / Math.Sqrt(_variance + 1e-8);

    /// <summary>Running mean, variance and count of the raw novelty.</summary>
    public (double Mean, double Variance, double Count) Moments => (_mean, _variance, _count);

    /// <summary>
    /// Updates the running moments with the novelties of the batch, then trains the novelty model on
    /// <paramref name="samples"/> (B, ...), the generator's batch of this step (detached here).
    /// </summary>
    public CuriosityUpdate Learn(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var x = samples.detach();
        double[] novelty;
        using (no_grad()) novelty = Novelty(x).to(ScalarType.Float64).cpu().data<double>().ToArray();
        UpdateMoments(novelty);
        var loss = Train(x);
        return new CuriosityUpdate(novelty.Average(), loss);
    }

    void UpdateMoments(double[] batch)
    {
        double batchMean = batch.Average();
        double batchVariance = batch.Select(v => (v - batchMean) * (v - batchMean)).Sum() / batch.Length;
        double delta = batchMean - _mean, total = _count + batch.Length;
        double m2 = _variance * _count + batchVariance * batch.Length + delta * delta * _count * batch.Length / total;
        _mean += delta * batch.Length / total;
        _variance = m2 / total;
        _count = total;
    }

    /// <summary>One update of the novelty model on detached samples; returns its loss, or null when it has none.</summary>
    protected abstract double? Train(Tensor samples);

    /// <summary>The networks, for the manifest.</summary>
    public abstract IReadOnlyList<NetworkDescription> Describe();

    /// <summary>The checkpoint files by name: the model's state and the running moments.</summary>
    public IReadOnlyDictionary<string, Action<string>> Writers()
    {
        var writers = new Dictionary<string, Action<string>>(ModelWriters())
        {
            ["curiosity.json"] = p => Json.WriteFile(p, new CuriosityState(_mean, _variance, _count)),
        };
        return writers;
    }

    /// <summary>Restores the state written by <see cref="Writers"/>.</summary>
    public void Load(string folder)
    {
        var file = Path.Combine(folder, "curiosity.json");
        var state = Json.ReadFile<CuriosityState>(file);
        if (!(state.Variance >= 0) || !(state.Count > 0)) throw new InvalidDataException($"{file}: variance {state.Variance} and count {state.Count} must be ≥ 0 and > 0");
        (_mean, _variance, _count) = (state.Mean, state.Variance, state.Count);
        LoadModel(folder);
    }

    /// <summary>The files of the novelty model.</summary>
    protected abstract IReadOnlyDictionary<string, Action<string>> ModelWriters();

    /// <summary>Restores the novelty model.</summary>
    protected abstract void LoadModel(string folder);

    /// <inheritdoc />
    public abstract void Dispose();

    /// <summary>curiosity.json: the running moments of the raw novelty.</summary>
    public sealed record CuriosityState(double Mean, double Variance, double Count);
}

/// <summary>
/// Random network distillation (Burda et al. 2018): novelty(x) = ‖g(x) − f(x)‖² / k with f a fixed random
/// network and g a predictor trained on the generator's samples; high where the generator has produced
/// little so far. Both networks take the discriminator's input: an MLP for points, a small DCGAN-style
/// convolutional stack for images.
/// </summary>
public sealed class RandomNetworkDistillation : Curiosity
{
    readonly nn.Module<Tensor, Tensor> _target;
    readonly nn.Module<Tensor, Tensor> _predictor;
    readonly IReadOnlyList<LayerSpec> _targetLayers, _predictorLayers;
    readonly Adam _optimizer;

    /// <summary>Builds f and g for samples of <paramref name="dataShape"/>: [D] or [C, H, W].</summary>
    public RandomNetworkDistillation(CuriosityOptions options, long[] dataShape, Device device)
    {
        long k = options.OutputSize;
        if (dataShape.Length == 1)
        {
            long d = dataShape[0];
            _targetLayers = [new LinearSpec(d, 64), new LeakyReluSpec(0.2), new LinearSpec(64, 64), new LeakyReluSpec(0.2), new LinearSpec(64, k)];
            _predictorLayers = [new LinearSpec(d, 128), new LeakyReluSpec(0.2), new LinearSpec(128, 128), new LeakyReluSpec(0.2),
                                new LinearSpec(128, 128), new LeakyReluSpec(0.2), new LinearSpec(128, k)];
        }
        else if (dataShape.Length == 3)
        {
            long c = dataShape[0], features = 64 * (dataShape[1] / 4) * (dataShape[2] / 4);
            LayerSpec[] body = [new Conv2dSpec(c, 32, 4, 2, 1), new LeakyReluSpec(0.2),     // (B, 32, H/2, W/2)
                                new Conv2dSpec(32, 64, 4, 2, 1), new LeakyReluSpec(0.2),    // (B, 64, H/4, W/4)
                                new FlattenSpec()];                                          // (B, 64·H/4·W/4)
            _targetLayers = [.. body, new LinearSpec(features, k)];
            _predictorLayers = [.. body, new LinearSpec(features, 256), new ReluSpec(), new LinearSpec(256, k)];
        }
        else throw new ArgumentException($"random network distillation needs samples of shape [D] or [C, H, W], got [{string.Join(", ", dataShape)}]");
        _target = SequentialBuilder.Build(_targetLayers).to(device);
        _predictor = SequentialBuilder.Build(_predictorLayers).to(device);
        foreach (var p in _target.parameters()) p.requires_grad_(false);
        foreach (var p in _predictor.parameters()) p.requires_grad_(false);
        _target.eval();
        _predictor.eval();
        _optimizer = Optimizers.Adam(_predictor.parameters(), options.PredictorLearningRate);
    }

    /// <summary>The fixed random network f.</summary>
    public nn.Module<Tensor, Tensor> Target => _target;

    /// <summary>The predictor g.</summary>
    public nn.Module<Tensor, Tensor> Predictor => _predictor;

    /// <inheritdoc />
    public override Tensor Novelty(Tensor x) =>
        (_predictor.call(x) - _target.call(x)).pow(2).mean([1]);   // (B, k) → (B,)

    /// <inheritdoc />
    protected override double? Train(Tensor samples)
    {
        // The predictor's parameters take gradients only inside its own step, so the generator's
        // backward pass through the bonus leaves them untouched.
        foreach (var p in _predictor.parameters()) p.requires_grad_(true);
        try
        {
            using var enabled = enable_grad();
            Tensor target;
            using (no_grad()) target = _target.call(samples);                 // (B, k)
            var loss = (_predictor.call(samples) - target).pow(2).mean();     // mean over batch and k
            _optimizer.zero_grad();
            loss.backward();
            _optimizer.step();
            return loss.item<float>();
        }
        finally
        {
            foreach (var p in _predictor.parameters()) p.requires_grad_(false);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<NetworkDescription> Describe() =>
    [
        new("curiosity_target", "net(x): fixed at its random initialisation", new Dictionary<string, IReadOnlyList<LayerSpec>> { ["net"] = _targetLayers }, new Dictionary<string, string>()),
        new("curiosity_predictor", "net(x): trained to match curiosity_target on generated samples", new Dictionary<string, IReadOnlyList<LayerSpec>> { ["net"] = _predictorLayers }, new Dictionary<string, string>()),
    ];

    // The state-dict keys carry the "net." prefix of the descriptions above.
    static IEnumerable<(string, Tensor)> Prefixed(nn.Module module) => module.state_dict().Select(kv => ("net." + kv.Key, kv.Value));

    static void LoadPrefixed(nn.Module module, string path)
    {
        var loaded = SafeTensors.Load(path);
        try
        {
            ModuleWeights.LoadInto(module, loaded.ToDictionary(kv => kv.Key.StartsWith("net.", StringComparison.Ordinal) ? kv.Key[4..] : kv.Key, kv => kv.Value), Path.GetFileName(path));
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, Action<string>> ModelWriters() => new Dictionary<string, Action<string>>
    {
        ["curiosity_target.safetensors"] = p => SafeTensors.Save(p, Prefixed(_target)),
        ["curiosity_predictor.safetensors"] = p => SafeTensors.Save(p, Prefixed(_predictor)),
        ["curiosity_optimizer.bin"] = p => Checkpoint.SaveOptimizer(_optimizer, p),
    };

    /// <inheritdoc />
    protected override void LoadModel(string folder)
    {
        LoadPrefixed(_target, Path.Combine(folder, "curiosity_target.safetensors"));
        LoadPrefixed(_predictor, Path.Combine(folder, "curiosity_predictor.safetensors"));
        Checkpoint.LoadOptimizer(_optimizer, Path.Combine(folder, "curiosity_optimizer.bin"));
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _optimizer.Dispose();
        _target.Dispose();
        _predictor.Dispose();
    }
}

/// <summary>
/// A pseudo-count bonus (Bellemare et al. 2016) for low-dimensional samples: novelty(x) = 1/√(1 + n̂(x)),
/// n̂(x) = Σⱼ exp(−‖x − mⱼ‖² / 2h²) over the last M generated samples mⱼ. A kernel count rather than a
/// histogram so that the bonus has a gradient that pushes samples out of crowded regions.
/// </summary>
public sealed class CountNovelty : Curiosity
{
    readonly Tensor _memory;   // (M, D)
    readonly double _bandwidth;
    long _filled, _position;

    /// <summary>An empty memory of <see cref="CuriosityOptions.Memory"/> samples of shape [D].</summary>
    public CountNovelty(CuriosityOptions options, long[] dataShape, Device device)
    {
        if (dataShape.Length != 1) throw new ArgumentException($"--curiosity count needs point data of shape [D], got [{string.Join(", ", dataShape)}]");
        _memory = zeros([options.Memory, dataShape[0]], device: device).DetachFromDisposeScope();
        _bandwidth = options.Bandwidth;
    }

    /// <summary>Samples held in the memory so far (at most M).</summary>
    public long Filled => _filled;

    /// <inheritdoc />
    public override Tensor Novelty(Tensor x)
    {
        if (_filled == 0) return ones([x.shape[0]], dtype: x.dtype, device: x.device);   // nothing counted yet: 1 everywhere, no gradient
        var memory = _memory.narrow(0, 0, _filled);                                  // (n, D)
        // ‖x − m‖² = ‖x‖² + ‖m‖² − 2x·m: one matrix product instead of a (B, n, D) difference tensor.
        var squared = (x.pow(2).sum(1, keepdim: true) + memory.pow(2).sum(1).unsqueeze(0) - 2 * x.matmul(memory.t())).clamp_min(0);   // (B, n)
        var count = (squared / (-2 * _bandwidth * _bandwidth)).exp().sum(1);         // (B,)
        return (count + 1).rsqrt();
    }

    /// <inheritdoc />
    protected override double? Train(Tensor samples)
    {
        using var noGrad = no_grad();
        long m = _memory.shape[0], b = samples.shape[0];
        // The newest min(B, M) samples overwrite the oldest entries of the ring.
        long take = Math.Min(b, m);
        var newest = samples.narrow(0, b - take, take).to(_memory.dtype);
        var rows = (arange(_position, _position + take, ScalarType.Int64, device: _memory.device) % m);
        _memory.index_copy_(0, rows, newest);
        _position = (_position + take) % m;
        _filled = Math.Min(m, _filled + take);
        return null;
    }

    /// <inheritdoc />
    public override IReadOnlyList<NetworkDescription> Describe() => [];

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, Action<string>> ModelWriters() => new Dictionary<string, Action<string>>
    {
        ["curiosity_memory.safetensors"] = p => SafeTensors.Save(p, [("memory", _memory), ("filled_position", tensor(new[] { _filled, _position }))]),
    };

    /// <inheritdoc />
    protected override void LoadModel(string folder)
    {
        var path = Path.Combine(folder, "curiosity_memory.safetensors");
        var loaded = SafeTensors.Load(path);
        try
        {
            if (!loaded.TryGetValue("memory", out var memory) || !memory.shape.SequenceEqual(_memory.shape))
                throw new InvalidDataException($"{path}: \"memory\" must be [{string.Join(", ", _memory.shape)}]");
            if (!loaded.TryGetValue("filled_position", out var counters) || counters.numel() != 2 || counters.dtype != ScalarType.Int64)
                throw new InvalidDataException($"{path}: \"filled_position\" must hold two int64 counters");
            var (filled, position) = (counters[0].item<long>(), counters[1].item<long>());
            if (filled < 0 || filled > _memory.shape[0] || position < 0 || position >= _memory.shape[0])
                throw new InvalidDataException($"{path}: counters {filled}, {position} lie outside the memory of {_memory.shape[0]}");
            using (no_grad()) _memory.copy_(memory);
            (_filled, _position) = (filled, position);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <inheritdoc />
    public override void Dispose() => _memory.Dispose();
}
