using GenAudit.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings of the post-hoc models of <see cref="TimeSeriesScores"/>; defaults follow TimeGAN's code.</summary>
public sealed record TimeSeriesScoreOptions
{
    /// <summary>GRU hidden size; 0 means TimeGAN's F / 2 (at least 2). Default: 0.</summary>
    public int Hidden { get; init; }

    /// <summary>Adam steps of the real-vs-generated classifier. Default: 2,000, as TimeGAN.</summary>
    public int DiscriminatorIterations { get; init; } = 2000;

    /// <summary>Adam steps of the next-step predictor. Default: 5,000, as TimeGAN.</summary>
    public int PredictorIterations { get; init; } = 5000;

    /// <summary>Sequences per Adam step. Default: 128, as TimeGAN.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam learning rate. Default: 1e-3 (TensorFlow's default, which TimeGAN uses).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Share of each set the classifier trains on; it is scored on the rest. Default: 0.8, as TimeGAN.</summary>
    public double TrainFraction { get; init; } = 0.8;

    /// <summary>Largest lag of the autocorrelation error; capped at T − 1. Default: 10.</summary>
    public int MaxLag { get; init; } = 10;

    /// <summary>Seed of the models' initial weights, the split and the batches. Default: 0.</summary>
    public long Seed { get; init; }

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the field.</summary>
    public void Validate()
    {
        if (Hidden < 0) throw new ArgumentException($"the post-hoc GRU's hidden size must be ≥ 0 (0: F / 2), got {Hidden}");
        if (DiscriminatorIterations < 1 || PredictorIterations < 1) throw new ArgumentException("the post-hoc models need at least 1 iteration each");
        if (BatchSize < 1) throw new ArgumentException($"the post-hoc batch size must be ≥ 1, got {BatchSize}");
        if (TrainFraction is <= 0 or >= 1) throw new ArgumentException($"the classifier's train fraction must lie in (0, 1), got {TrainFraction}");
        if (MaxLag < 1) throw new ArgumentException($"the autocorrelation's largest lag must be ≥ 1, got {MaxLag}");
    }
}

/// <summary>
/// TimeGAN's scores of generated real-valued sequences (Yoon, Jarrett and van der Schaar 2019,
/// https://papers.nips.cc/paper/8789) and two model-free ones. Every set is (N, T, F) float32.
/// <list type="bullet">
/// <item>Discriminative score: a post-hoc 2-layer GRU classifier trained on 80% of each set to tell real from
/// generated, |accuracy − 0.5| on the other 20%; 0 when they are indistinguishable, 0.5 when always told apart.</item>
/// <item>Predictive score ("train on synthetic, test on real"): a post-hoc GRU trained on the generated sequences
/// to predict step t + 1 (all F features) from steps ≤ t, its mean absolute error on real sequences.</item>
/// <item>Autocorrelation error: mean over features and lags 1 … L of |ρ_real(k) − ρ_generated(k)|.</item>
/// <item>Cross-correlation error: mean over feature pairs i &lt; j of |r_real(i, j) − r_generated(i, j)|.</item>
/// </list>
/// </summary>
public static class TimeSeriesScores
{
    /// <summary>The discriminative score |accuracy − 0.5| of a GRU classifier of <paramref name="real"/> (label 1) versus <paramref name="generated"/> (label 0).</summary>
    public static double Discriminative(Tensor real, Tensor generated, TimeSeriesScoreOptions? options = null)
    {
        options ??= new TimeSeriesScoreOptions();
        options.Validate();
        var (n, _, features) = CheckSets(real, generated);
        using var scope = NewDisposeScope();
        using var random = new Generator(unchecked((ulong)options.Seed));
        long trainCount = Math.Max(1, Math.Min(n - 1, (long)(n * options.TrainFraction)));
        var realOrder = randperm(real.shape[0], generator: random);
        var fakeOrder = randperm(generated.shape[0], generator: random);
        var x = cat([real.index_select(0, realOrder.narrow(0, 0, n)), generated.index_select(0, fakeOrder.narrow(0, 0, n))], 0);  // (2n, T, F)
        var y = cat([ones(n), zeros(n)], 0);                                                                                     // (2n,)
        var trainIndex = cat([arange(trainCount), arange(n, n + trainCount)], 0);
        var testIndex = cat([arange(trainCount, n), arange(n + trainCount, 2 * n)], 0);

        using var model = Build(features, 1, options, lastStepOnly: true);
        Fit(model, x.index_select(0, trainIndex), y.index_select(0, trainIndex).unsqueeze(1), options.DiscriminatorIterations, options, random,
            (output, target) => nn.functional.binary_cross_entropy_with_logits(output, target));
        model.eval();
        using var noGrad = no_grad();
        var logits = model.call(x.index_select(0, testIndex)).squeeze(1);                                                        // (2(n − k),)
        var accuracy = (logits > 0).to(ScalarType.Float32).eq(y.index_select(0, testIndex)).to(ScalarType.Float64).mean().item<double>();
        return Math.Abs(accuracy - 0.5);
    }

    /// <summary>The predictive score: MAE on <paramref name="real"/> of a next-step GRU trained on <paramref name="training"/> (generated, or real for the reference row).</summary>
    public static double Predictive(Tensor training, Tensor real, TimeSeriesScoreOptions? options = null)
    {
        options ??= new TimeSeriesScoreOptions();
        options.Validate();
        var (_, length, features) = CheckSets(training, real);
        using var scope = NewDisposeScope();
        using var random = new Generator(unchecked((ulong)options.Seed) + 1);
        using var model = Build(features, features, options, lastStepOnly: false);
        Fit(model, training.narrow(1, 0, length - 1), training.narrow(1, 1, length - 1), options.PredictorIterations, options, random,
            (output, target) => nn.functional.l1_loss(output, target));
        model.eval();
        using var noGrad = no_grad();
        var prediction = model.call(real.narrow(1, 0, length - 1));                                                               // (N, T − 1, F)
        return (prediction - real.narrow(1, 1, length - 1)).abs().to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>Mean over features f and lags k = 1 … min(L, T − 1) of |ρ_a(f, k) − ρ_b(f, k)|; see <see cref="Autocorrelation"/>.</summary>
    public static double AutocorrelationError(Tensor a, Tensor b, int maxLag = 10)
    {
        var left = Autocorrelation(a, maxLag);
        var right = Autocorrelation(b, maxLag);
        if (left.GetLength(1) != right.GetLength(1)) throw new ArgumentException("the two sets have different lengths T");
        double sum = 0;
        foreach (var (x, y) in left.Cast<double>().Zip(right.Cast<double>())) sum += Math.Abs(x - y);
        return sum / left.Length;
    }

    /// <summary>
    /// ρ(f, k) for lags k = 1 … min(L, T − 1), (F, K): the lag-k autocovariance of feature f pooled over sequences and
    /// steps, Σ_{i,t} (x_{i,t} − μ)(x_{i,t+k} − μ) / (N(T − k)), over its variance; μ and σ² over all N·T values
    /// (0 for a constant feature).
    /// </summary>
    public static double[,] Autocorrelation(Tensor sequences, int maxLag = 10)
    {
        var (values, n, length, features) = Values(sequences);
        int lags = Math.Min(maxLag, length - 1);
        var result = new double[features, lags];
        for (int f = 0; f < features; f++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < n * length; i++) mean += values[i * features + f];
            mean /= n * length;
            for (int i = 0; i < n * length; i++) variance += Square(values[i * features + f] - mean);
            variance /= n * length;
            for (int k = 1; k <= lags; k++)
            {
                double covariance = 0;
                for (int i = 0; i < n; i++)
                    for (int t = 0; t + k < length; t++)
                        covariance += (values[(i * length + t) * features + f] - mean) * (values[(i * length + t + k) * features + f] - mean);
                covariance /= (double)n * (length - k);
                result[f, k - 1] = variance > 0 ? covariance / variance : 0;
            }
        }
        return result;
    }

    /// <summary>Mean over feature pairs i &lt; j of |r_a(i, j) − r_b(i, j)|, Pearson correlations over all N·T steps; null for F = 1.</summary>
    public static double? CrossCorrelationError(Tensor a, Tensor b)
    {
        var left = Correlation(a);
        var right = Correlation(b);
        int features = left.GetLength(0);
        if (features != right.GetLength(0)) throw new ArgumentException("the two sets have different feature counts F");
        if (features < 2) return null;
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < features; i++)
            for (int j = i + 1; j < features; j++, pairs++) sum += Math.Abs(left[i, j] - right[i, j]);
        return sum / pairs;
    }

    /// <summary>The F × F Pearson correlation of the features over all N·T steps (0 where a feature is constant).</summary>
    public static double[,] Correlation(Tensor sequences)
    {
        var (values, n, length, features) = Values(sequences);
        long rows = (long)n * length;
        var mean = new double[features];
        for (long r = 0; r < rows; r++)
            for (int f = 0; f < features; f++) mean[f] += values[r * features + f];
        for (int f = 0; f < features; f++) mean[f] /= rows;
        var covariance = new double[features, features];
        for (long r = 0; r < rows; r++)
            for (int i = 0; i < features; i++)
                for (int j = i; j < features; j++)
                    covariance[i, j] += (values[r * features + i] - mean[i]) * (values[r * features + j] - mean[j]);
        var result = new double[features, features];
        for (int i = 0; i < features; i++)
            for (int j = i; j < features; j++)
            {
                var scale = Math.Sqrt(covariance[i, i] * covariance[j, j]);
                result[i, j] = result[j, i] = scale > 0 ? covariance[i, j] / scale : 0;
            }
        return result;
    }

    static double Square(double x) => x * x;

    static (double[] Values, int N, int T, int F) Values(Tensor sequences)
    {
        if (sequences.dim() != 3 || sequences.shape[0] < 1 || sequences.shape[1] < 2)
            throw new ArgumentException($"expected sequences (N ≥ 1, T ≥ 2, F), got ({string.Join(", ", sequences.shape)})");
        using var scope = NewDisposeScope();
        return (sequences.to(ScalarType.Float64).contiguous().cpu().data<double>().ToArray(), (int)sequences.shape[0], (int)sequences.shape[1], (int)sequences.shape[2]);
    }

    static (long N, long T, long F) CheckSets(Tensor a, Tensor b)
    {
        if (a.dim() != 3 || b.dim() != 3 || !a.shape[1..].SequenceEqual(b.shape[1..]))
            throw new ArgumentException($"expected two sets of sequences (N, T, F) of the same T and F, got ({string.Join(", ", a.shape)}) and ({string.Join(", ", b.shape)})");
        if (a.shape[1] < 2) throw new ArgumentException("sequences need at least 2 steps");
        long n = Math.Min(a.shape[0], b.shape[0]);
        if (n < 2) throw new ArgumentException($"the scores need at least 2 sequences in each set, got {a.shape[0]} and {b.shape[0]}");
        return (n, a.shape[1], a.shape[2]);
    }

    static PostHocGru Build(long features, long outputs, TimeSeriesScoreOptions options, bool lastStepOnly)
    {
        var hidden = options.Hidden > 0 ? options.Hidden : Math.Max(2, features / 2);
        lock (GlobalRandom.Lock)
        {
            manual_seed(options.Seed);
            return new PostHocGru(features, hidden, outputs, lastStepOnly);
        }
    }

    static void Fit(PostHocGru model, Tensor inputs, Tensor targets, int iterations, TimeSeriesScoreOptions options, Generator random, Func<Tensor, Tensor, Tensor> loss)
    {
        using var optimizer = Optimizers.Adam(model.parameters(), options.LearningRate);
        model.train();
        long count = inputs.shape[0];
        int batch = (int)Math.Min(options.BatchSize, count);
        for (int step = 0; step < iterations; step++)
        {
            using var scope = NewDisposeScope();
            var index = randperm(count, generator: random).narrow(0, 0, batch);
            optimizer.zero_grad();
            loss(model.call(inputs.index_select(0, index)), targets.index_select(0, index)).backward();
            optimizer.step();
        }
    }

    /// <summary>TimeGAN's post-hoc network: a 2-layer GRU and a linear read-out of the last step (classifier) or of every step (predictor).</summary>
    sealed class PostHocGru : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // state-dict names
        readonly GRU gru;
        readonly Linear output;
#pragma warning restore IDE1006
        readonly bool _lastStepOnly;

        public PostHocGru(long features, long hidden, long outputs, bool lastStepOnly) : base(nameof(PostHocGru))
        {
            gru = nn.GRU(features, hidden, numLayers: 2, batchFirst: true);
            output = nn.Linear(hidden, outputs);
            _lastStepOnly = lastStepOnly;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (states, _) = gru.call(x);                                          // (B, T, H)
            return output.call(_lastStepOnly ? states.select(1, -1) : states);      // (B, O) or (B, T, O)
        }
    }
}
