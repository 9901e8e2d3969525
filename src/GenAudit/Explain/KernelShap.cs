using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>How KernelSHAP samples coalitions when it cannot enumerate them all.</summary>
public enum CoalitionSampling
{
    /// <summary>
    /// Sizes s from the Shapley kernel's size distribution p(s) ∝ (M − 1) / (s (M − s)), a uniform
    /// coalition of that size, unit weight (Lundberg and Lee 2017; Captum and shap sample this way).
    /// </summary>
    Kernel,

    /// <summary>
    /// Leverage-score sampling (Musco and Witter 2024): sizes uniform on 1..M−1, a uniform coalition of
    /// that size (the leverage scores of the Shapley regression are 1 / C(M, s)), weighted by
    /// 1 / (s (M − s)) so the regression stays the kernel's; more draws land on the mid-sized coalitions
    /// that the kernel distribution starves. Drawn with replacement.
    /// </summary>
    Leverage,

    /// <summary>
    /// Leverage-score sampling without replacement, as Musco and Witter's Leverage SHAP: each coalition of
    /// size s is kept with probability min(1, c / C(M, s)), c set by the budget, realised as exactly
    /// min(C(M, s), c) distinct coalitions per size. Sizes with few coalitions (the singletons and
    /// their complements, where the kernel puts most weight) are enumerated completely and the rest of
    /// the budget is spread evenly over the other sizes; each coalition weighs kernel(s) · C(M, s) / count(s).
    /// </summary>
    LeverageWithoutReplacement,

    /// <summary>
    /// As <see cref="LeverageWithoutReplacement"/>, but the budget left after the complete sizes is spread over the other
    /// sizes in proportion to the kernel's size distribution 1 / (s (M − s)) instead of evenly (the stratified
    /// sampler of the shap library).
    /// </summary>
    KernelWithoutReplacement,
}

/// <summary>Options of <see cref="KernelShap"/>.</summary>
public sealed class KernelShapOptions : AttributionOptions
{
    /// <summary>How coalitions are drawn. Default <see cref="CoalitionSampling.KernelWithoutReplacement"/>, the most accurate at a fixed budget in docs/benchmarks.md.</summary>
    public CoalitionSampling Sampling { get; init; } = CoalitionSampling.KernelWithoutReplacement;

    /// <summary>Draw coalitions in complementary pairs (antithetic sampling): each drawn coalition brings its complement. Default true.</summary>
    public bool Paired { get; init; } = true;

    /// <summary>
    /// Budget of coalitions evaluated per example, besides the empty and the full one. When all
    /// 2^M − 2 coalitions fit, they are enumerated exactly; otherwise this many are sampled (rounded
    /// down to an even number when they come in complementary pairs). Default 2048.
    /// </summary>
    public int Samples { get; init; } = 2048;

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Samples < 2) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"{method}: Samples must be >= 2.");
    }
}

/// <summary>
/// KernelSHAP (Lundberg and Lee 2017) over the groups of a feature mask. A coalition keeps the
/// input on its groups and puts the baseline elsewhere. With M groups, when 2^M − 2 coalitions fit
/// the budget all are enumerated with the Shapley kernel weight (M − 1) / (C(M, s) s (M − s)) and
/// the result equals the exact Shapley values; otherwise coalitions are sampled as
/// <see cref="KernelShapOptions.Sampling"/> says (by default distinct coalitions, complete where the budget allows
/// and stratified by size in the kernel's proportions elsewhere; leverage scores as Musco and Witter 2024 on request),
/// in complementary pairs when <see cref="KernelShapOptions.Paired"/>. φ solves the weighted least
/// squares problem with Σφ = f(x) − f(b) enforced exactly (float64, see
/// <c>LinearSolve.ConstrainedShapley</c>). Every group may be non-zero.
/// </summary>
public sealed class KernelShap(AttributionTarget target, KernelShapOptions? options = null)
    : PerturbationAttribution(target, options ?? new KernelShapOptions())
{
    KernelShapOptions ShapOptions => (KernelShapOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "kernelshap";

    /// <summary>
    /// Shapley values of the groups of <paramref name="mask"/> (identity by default) for each example of
    /// <paramref name="inputs"/> (B, ...) against <paramref name="baseline"/> (zeros by default).
    /// Sampling draws from <paramref name="generator"/> or the seed.
    /// </summary>
    public AttributionResult Attribute(Tensor inputs, FeatureMask? mask = null, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        using var identity = mask is null ? FeatureMask.Identity(inputs.shape[1..]) : null;
        var groups = mask ?? identity!;
        if (groups.Count < 1) throw new ArgumentException("kernelshap: the feature mask has no groups.");
        return Compute(inputs, groups, baseline ?? Baseline.Zeros, Options.GeneratorOrSeeded(generator));
    }

    AttributionResult Compute(Tensor inputs, FeatureMask mask, Baseline baseline, Generator generator)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var batch = x.shape[0];
        var m = mask.Count;
        var flatGroups = mask.FlatGroupsFor(x); // (B, F)
        var reference = baseline.Resolve(x);
        var exact = m <= 30 && (1L << m) - 2 <= ShapOptions.Samples;
        var (coalitions, weights) = exact ? Enumerate(m) : Sample(m, ShapOptions.Samples, ShapOptions.Sampling, ShapOptions.Paired, generator); // (S, M), (S,)

        var ends = ValuesInBatches(cat([x, reference]), meter); // (2B,)
        var atInput = ends.narrow(0, 0, batch);
        var atBaseline = ends.narrow(0, batch, batch);
        Tensor phi;
        double ridge = 0;
        if (coalitions.shape[0] == 0)
        {
            phi = (atInput - atBaseline).unsqueeze(1); // M = 1: the single group takes the whole difference
        }
        else
        {
            var values = EvaluateCoalitions(x, reference, flatGroups, coalitions, meter); // (B, S)
            (phi, ridge) = LinearSolve.ConstrainedShapley(coalitions.to(ScalarType.Float64), weights, values, atBaseline, atInput);
        }

        var inputValues = ToDoubles(atInput);
        var baselineValues = ToDoubles(atBaseline);
        var sums = ToDoubles(phi.sum(1));
        var parameters = Options.BaseParameters();
        parameters["samples"] = ShapOptions.Samples.ToString(CultureInfo.InvariantCulture);
        parameters["coalitions"] = coalitions.shape[0].ToString(CultureInfo.InvariantCulture);
        parameters["exact"] = exact ? "true" : "false";
        parameters["sampling"] = ShapOptions.Sampling.ToString();
        parameters["paired"] = ShapOptions.Paired ? "true" : "false";
        parameters["features"] = m.ToString(CultureInfo.InvariantCulture);
        parameters["mask"] = mask.Name;
        parameters["baseline"] = baseline.Name;
        parameters["ridge"] = ridge.ToString("R", CultureInfo.InvariantCulture);
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = ToElements(phi, flatGroups, x).MoveToOuterDisposeScope(),
            GroupAttributions = phi.to(x.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = inputValues,
            TargetAtBaseline = baselineValues,
            CompletenessError = sums.Select((s, i) => s - (inputValues[i] - baselineValues[i])).ToArray(),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }

    /// <summary>All coalitions of size 1..M−1 with their Shapley kernel weights.</summary>
    static (Tensor Coalitions, Tensor Weights) Enumerate(int m)
    {
        var count = (int)((1L << m) - 2);
        var bits = new float[count * m];
        var weights = new double[count];
        for (var code = 1; code <= count; code++)
        {
            var size = 0;
            for (var j = 0; j < m; j++)
                if ((code >> j & 1) == 1) { bits[(code - 1) * m + j] = 1; size++; }
            weights[code - 1] = (m - 1) / (Binomial(m, size) * size * (m - size));
        }
        return (tensor(bits).view(count, m), tensor(weights));
    }

    /// <summary>
    /// <paramref name="budget"/> coalitions drawn by <paramref name="sampling"/> (sizes, then a uniform coalition of the size),
    /// each followed by its complement when <paramref name="paired"/>; weights make the weighted regression the Shapley kernel's.
    /// </summary>
    internal static (Tensor Coalitions, Tensor Weights) Sample(int m, int budget, CoalitionSampling sampling, bool paired, Generator generator)
    {
        if (sampling is CoalitionSampling.LeverageWithoutReplacement or CoalitionSampling.KernelWithoutReplacement)
            return SampleWithoutReplacement(m, budget, paired, sampling == CoalitionSampling.KernelWithoutReplacement, generator);
        var draws = paired ? budget / 2 : budget;
        var sizeProbability = tensor(Enumerable.Range(1, m - 1).Select(s => sampling == CoalitionSampling.Kernel ? (m - 1.0) / (s * (m - s)) : 1.0).ToArray());
        var sizes = multinomial(sizeProbability, draws, replacement: true, generator: generator) + 1; // (P,) in 1..M-1
        var ranks = rand([draws, m], dtype: ScalarType.Float64, generator: generator).argsort(1).argsort(1); // a uniform permutation per row
        var drawn = ranks.lt(sizes.unsqueeze(1)).to(ScalarType.Float32); // (P, M), `size` ones at random places
        var size = sizes.to(ScalarType.Float64);
        var weight = sampling == CoalitionSampling.Kernel ? ones(draws, dtype: ScalarType.Float64) : 1.0 / (size * (m - size)); // kernel / sampling probability, up to a constant
        return paired ? (cat([drawn, 1 - drawn]), cat([weight, weight])) : (drawn, weight); // (S, M), (S,)
    }

    /// <summary>
    /// Exactly count(s) = min(C(M, s), c · π(s)) distinct coalitions of each size s, Σ count(s) = budget (water-filling c),
    /// π(s) = 1 (leverage) or 1 / (s (M − s)) (<paramref name="kernelShares"/>); when paired, the coalitions of size M − s are
    /// the complements of those of size s. Weights kernel(s) · C(M, s) / count(s).
    /// </summary>
    static (Tensor Coalitions, Tensor Weights) SampleWithoutReplacement(int m, int budget, bool paired, bool kernelShares, Generator generator)
    {
        double Priority(int s) => kernelShares ? 1.0 / (s * (m - s)) : 1.0;
        var random = new Random((int)randint(int.MaxValue, [1], generator: generator).item<long>());
        var available = Enumerable.Range(0, m).Select(s => s == 0 ? 0 : Binomial(m, s)).ToArray();
        var counts = new int[m];
        var open = Enumerable.Range(1, m - 1).ToList();
        double left = budget;
        while (open.Count > 0)
        {
            var share = left / open.Sum(Priority);
            var full = open.Where(s => available[s] <= share * Priority(s)).ToList();
            if (full.Count == 0)
            {
                foreach (var s in open) counts[s] = (int)Math.Floor(share * Priority(s));
                var leftover = (int)left - open.Sum(s => counts[s]); // rounding down left these; largest fractions first
                foreach (var s in open.OrderByDescending(s => share * Priority(s) - counts[s]).ThenBy(s => s).Take(leftover)) counts[s]++;
                break;
            }
            foreach (var s in full) { counts[s] = (int)available[s]; left -= available[s]; open.Remove(s); }
        }
        if (paired)
            for (var s = 1; s < m; s++)
            {
                if (2 * s == m) counts[s] -= counts[s] % 2; // a middle size comes in complementary pairs
                else if (2 * s > m) counts[s] = counts[m - s];
            }

        var rows = new List<bool[]>();
        var weights = new List<double>();
        for (var s = 1; s < m; s++)
        {
            if (counts[s] == 0 || (paired && 2 * s > m)) continue;
            var weight = (m - 1.0) / (s * (m - s) * (double)counts[s]); // kernel(s) · C(M, s) / count(s)
            var middle = paired && 2 * s == m;
            var drawn = Distinct(m, s, middle ? counts[s] / 2 : counts[s], middle, random);
            foreach (var coalition in drawn)
            {
                rows.Add(coalition);
                weights.Add(weight);
                if (!paired) continue;
                rows.Add(coalition.Select(b => !b).ToArray());
                weights.Add(weight);
            }
        }
        var bits = new float[rows.Count * m];
        for (var r = 0; r < rows.Count; r++)
            for (var j = 0; j < m; j++) bits[r * m + j] = rows[r][j] ? 1 : 0;
        return (tensor(bits).view(rows.Count, m), tensor(weights.ToArray(), dtype: ScalarType.Float64));
    }

    /// <summary>
    /// <paramref name="count"/> distinct uniform coalitions of size <paramref name="size"/>; with <paramref name="oneOfEachPair"/>
    /// (size M/2) never a coalition and its complement (each is represented by the member holding element 0).
    /// </summary>
    static List<bool[]> Distinct(int m, int size, int count, bool oneOfEachPair, Random random)
    {
        var total = Binomial(m, size) / (oneOfEachPair ? 2 : 1);
        var result = new List<bool[]>(count);
        if (count * 2.0 >= total)
        {
            var all = new List<bool[]>();
            Combinations(m, size, 0, new bool[m], 0, all, oneOfEachPair);
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
            return all.Take(count).ToList();
        }
        var seen = new HashSet<string>();
        var indices = Enumerable.Range(0, m).ToArray();
        while (result.Count < count)
        {
            random.Shuffle(indices);
            var coalition = new bool[m];
            foreach (var j in indices.AsSpan(0, size)) coalition[j] = true;
            if (oneOfEachPair && !coalition[0]) coalition = coalition.Select(b => !b).ToArray();
            if (seen.Add(new string(coalition.Select(b => b ? '1' : '0').ToArray()))) result.Add(coalition);
        }
        return result;
    }

    static void Combinations(int m, int size, int next, bool[] current, int chosen, List<bool[]> into, bool withFirst)
    {
        if (chosen == size)
        {
            if (!withFirst || current[0]) into.Add((bool[])current.Clone());
            return;
        }
        for (var j = next; j <= m - (size - chosen); j++)
        {
            current[j] = true;
            Combinations(m, size, j + 1, current, chosen + 1, into, withFirst);
            current[j] = false;
        }
    }

    static double Binomial(int n, int k)
    {
        double result = 1;
        for (var i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result;
    }
}
