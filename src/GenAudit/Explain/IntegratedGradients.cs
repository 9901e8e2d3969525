using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="IntegratedGradients"/>.</summary>
public sealed class IntegratedGradientsOptions : AttributionOptions
{
    /// <summary>Number of points of the first pass over the whole path from the baseline to the input. Default 50.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Where the points sit on the path (and on each refined panel) and how they are weighted. Default Gauss–Legendre.</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;

    /// <summary>
    /// Relative completeness tolerance: the path is refined while |Σφ − (f(x) − f(b))| exceeds
    /// Tolerance · |f(x) − f(b)| and the step budget allows. 0 turns refinement off (a fixed
    /// <see cref="Steps"/>-point rule, as Captum). Default 1e-3.
    /// </summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Budget of gradient evaluations per example, the first pass included. Default 16384.</summary>
    public int MaxSteps { get; init; } = 16384;

    /// <summary>Points on each half of a refined panel (few points and more halvings pin kinks down cheaply). Default 2.</summary>
    public int RefinementSteps { get; init; } = 2;

    internal override void Validate(string method)
    {
        base.Validate(method);
        var trapezoid = Rule == IntegrationRule.RiemannTrapezoid;
        if (Steps < 1 || (trapezoid && Steps < 2))
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"{method}: Steps must be >= 1 (>= 2 for the trapezoid rule).");
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, $"{method}: Tolerance must be a finite number >= 0 (0 turns refinement off).");
        if (MaxSteps < Steps)
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, $"{method}: MaxSteps must be >= Steps ({Steps}).");
        if (RefinementSteps < 1 || (trapezoid && RefinementSteps < 2))
            throw new ArgumentOutOfRangeException(nameof(RefinementSteps), RefinementSteps, $"{method}: RefinementSteps must be >= 1 (>= 2 for the trapezoid rule).");
    }
}

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017): φ = (x − b) ⊙ ∫₀¹ ∂f/∂x(b + α(x − b)) dα by a
/// quadrature rule, refined until it meets its own completeness check. The path is split into
/// panels; on a panel [α₀, α₁] the rule's estimate of ∫ ∂f/∂α dα is compared with the exact
/// f(path(α₁)) − f(path(α₀)), so each panel knows its own error (the panel errors sum to the
/// completeness error Σφ − (f(x) − f(b))). While the completeness error exceeds
/// Tolerance · |f(x) − f(b)|, every panel whose error exceeds its share (Tolerance · |f(x) − f(b)| ·
/// panel length) is cut in two, worst first, within the step budget: the points go where the
/// integrand changes fastest, such as the kinks of a ReLU network along the path. The cut goes where
/// a single kink would have to be to explain the panel's exact rise from the slopes at its first and
/// last points (the middle when that is not inside). Returns the completeness error and the gradient
/// evaluations used per example.
/// </summary>
public sealed class IntegratedGradients(AttributionTarget target, IntegratedGradientsOptions? options = null)
    : GradientAttribution(target, options ?? new IntegratedGradientsOptions())
{
    IntegratedGradientsOptions IgOptions => (IntegratedGradientsOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "ig";

    /// <summary>Attributes each example of <paramref name="inputs"/> (B, ...) against <paramref name="baseline"/> (zeros by default); the generator is not used.</summary>
    public override AttributionResult Attribute(Tensor inputs, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        baseline ??= Baseline.Zeros;
        return Compute(inputs, baseline);
    }

    /// <summary>A piece [Start, End] of one example's path with f at its ends and the rule's ∫ ∂f/∂x dα over it.</summary>
    sealed class Panel(int example, double start, double end, double valueAtStart, double valueAtEnd)
    {
        public int Example { get; } = example;
        public double Start { get; } = start;
        public double End { get; } = end;
        public double ValueAtStart { get; } = valueAtStart;
        public double ValueAtEnd { get; } = valueAtEnd;
        public double[] Integral { get; set; } = []; // (F,) Σ_k w_k ∂f/∂x(point_k) over the panel
        public double PathIntegral { get; set; } // Integral · (x − b): the rule's f(end) − f(start)
        public double Error => PathIntegral - (ValueAtEnd - ValueAtStart);
        public double FirstSlope { get; set; } // ∂f/∂α at the panel's first and last points
        public double LastSlope { get; set; }

        /// <summary>
        /// Where to cut: if ∂f/∂α were FirstSlope up to one kink κ and LastSlope after it (a ReLU network
        /// between its kinks), the exact rise f(end) − f(start) places κ; cutting there leaves both halves
        /// without a kink. Otherwise, or too near an end, the middle.
        /// </summary>
        public double Cut()
        {
            var length = End - Start;
            var middle = (Start + End) / 2;
            var jump = FirstSlope - LastSlope;
            if (!(Math.Abs(jump) > 0)) return middle;
            var kink = Start + ((ValueAtEnd - ValueAtStart) - LastSlope * length) / jump;
            return kink > Start + 1e-3 * length && kink < End - 1e-3 * length ? kink : middle;
        }
    }

    AttributionResult Compute(Tensor inputs, Baseline baseline)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var batch = (int)inputs.shape[0];
        var reference = baseline.Resolve(inputs).detach(); // (B, ...)
        var difference = inputs.detach() - reference;
        var differences = difference.flatten(1).to(ScalarType.Float64).cpu().data<double>().ToArray(); // (B·F)
        var features = (int)(differences.Length / batch);
        var ends = ValuesInBatches(cat([inputs.detach(), reference]), meter); // (2B,)
        var atInput = ToDoubles(ends.narrow(0, 0, batch));
        var atBaseline = ToDoubles(ends.narrow(0, batch, batch));

        var epsilon = inputs.dtype switch // machine epsilon of the model's arithmetic
        {
            ScalarType.Float64 => Math.Pow(2, -52),
            ScalarType.Float16 => Math.Pow(2, -10),
            ScalarType.BFloat16 => Math.Pow(2, -7),
            _ => Math.Pow(2, -23),
        };
        var panels = Enumerable.Range(0, batch).Select(e => new List<Panel> { new(e, 0, 1, atBaseline[e], atInput[e]) }).ToArray();
        var used = new int[batch];
        Integrate(panels.Select(p => p[0]).ToList(), IgOptions.Steps, reference, difference, differences, features, used, meter);
        while (IgOptions.Tolerance > 0)
        {
            var splits = ChooseSplits(panels, atInput, atBaseline, used, epsilon);
            if (splits.Count == 0) break;
            var cuts = splits.Select(p => p.Cut()).ToArray();
            var cutValues = ValuesOnPath(splits.Select(p => p.Example).ToArray(), cuts, reference, difference, meter);
            var halves = new List<Panel>(2 * splits.Count);
            for (var i = 0; i < splits.Count; i++)
            {
                var p = splits[i];
                var list = panels[p.Example];
                var at = list.IndexOf(p);
                var left = new Panel(p.Example, p.Start, cuts[i], p.ValueAtStart, cutValues[i]);
                var right = new Panel(p.Example, cuts[i], p.End, cutValues[i], p.ValueAtEnd);
                list[at] = left;
                list.Insert(at + 1, right);
                halves.Add(left);
                halves.Add(right);
            }
            Integrate(halves, IgOptions.RefinementSteps, reference, difference, differences, features, used, meter);
        }

        var integral = new double[batch * features];
        foreach (var list in panels)
            foreach (var p in list)
                for (var f = 0; f < features; f++) integral[p.Example * features + f] += p.Integral[f];
        var attributions64 = tensor(integral, dtype: ScalarType.Float64).view(inputs.shape).to(inputs.device) * difference.to(ScalarType.Float64); // (B, ...)
        var sums = SumPerExample(attributions64);
        var parameters = Options.BaseParameters();
        parameters["steps"] = IgOptions.Steps.ToString(CultureInfo.InvariantCulture);
        parameters["rule"] = IgOptions.Rule.ToString();
        parameters["tolerance"] = IgOptions.Tolerance.ToString("R", CultureInfo.InvariantCulture);
        parameters["maxSteps"] = IgOptions.MaxSteps.ToString(CultureInfo.InvariantCulture);
        parameters["refinementSteps"] = IgOptions.RefinementSteps.ToString(CultureInfo.InvariantCulture);
        parameters["baseline"] = baseline.Name;
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = attributions64.to(inputs.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = atInput,
            TargetAtBaseline = atBaseline,
            CompletenessError = sums.Select((s, i) => s - (atInput[i] - atBaseline[i])).ToArray(),
            IntegrationSteps = used,
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }

    /// <summary>
    /// The panels to cut this round: for each example whose completeness error is above Tolerance · |Δ|, its panels
    /// whose own error exceeds Tolerance · |Δ| · length (and the rounding floor), largest error first, as far as the budget
    /// allows. If every panel met its share the errors would sum to at most Tolerance · |Δ|, so an unconverged example has a
    /// candidate unless rounding is all that is left.
    /// </summary>
    List<Panel> ChooseSplits(List<Panel>[] panels, double[] atInput, double[] atBaseline, int[] used, double epsilon)
    {
        var splits = new List<Panel>();
        var cost = 2 * IgOptions.RefinementSteps;
        for (var e = 0; e < panels.Length; e++)
        {
            var allowed = IgOptions.Tolerance * Math.Abs(atInput[e] - atBaseline[e]);
            var error = panels[e].Sum(p => p.Error);
            if (!(Math.Abs(error) > allowed)) continue; // converged (or NaN: nothing to refine towards)
            var affordable = (IgOptions.MaxSteps - used[e]) / cost;
            splits.AddRange(panels[e].Where(p => Math.Abs(p.Error) > Math.Max(allowed * (p.End - p.Start), RoundOffFloor(p, epsilon)))
                                     .OrderByDescending(p => Math.Abs(p.Error)).Take(affordable));
        }
        return splits;
    }

    /// <summary>
    /// The part of a panel's error that rounding of f at its ends can explain (8 ε (|f(start)| + |f(end)|), ε of the
    /// input's dtype): below it the error says nothing about where the integrand changes, so such panels are not halved.
    /// </summary>
    static double RoundOffFloor(Panel p, double epsilon) => 8 * epsilon * (Math.Abs(p.ValueAtStart) + Math.Abs(p.ValueAtEnd));

    /// <summary>Fills each panel's rule integral of ∂f/∂x with <paramref name="points"/> points and counts the steps per example.</summary>
    void Integrate(List<Panel> panels, int points, Tensor reference, Tensor difference, double[] differences, int features, int[] used, ModelMeter meter)
    {
        using var scope = NewDisposeScope();
        var (nodes, weights) = Quadrature.On01(IgOptions.Rule, points);
        var total = panels.Count * points;
        var example = new long[total];
        var alpha = new double[total];
        var weight = new double[total];
        for (var i = 0; i < panels.Count; i++)
        {
            var p = panels[i];
            var length = p.End - p.Start;
            used[p.Example] += points;
            for (var k = 0; k < points; k++)
            {
                example[i * points + k] = p.Example;
                alpha[i * points + k] = p.Start + length * nodes[k];
                weight[i * points + k] = length * weights[k];
            }
        }
        var exampleIndex = tensor(example, device: reference.device);
        var alphas = tensor(alpha, device: reference.device).to(reference.dtype);
        var weightValues = tensor(weight, dtype: ScalarType.Float64, device: reference.device);
        var panelIndex = arange(total, dtype: ScalarType.Int64, device: reference.device).div(points, rounding_mode: RoundingMode.floor);
        var broadcast = Enumerable.Repeat(1L, (int)reference.dim() - 1).ToArray();
        var integrals = zeros([panels.Count, features], dtype: ScalarType.Float64, device: reference.device); // (P, F)
        var difference64 = difference.flatten(1).to(ScalarType.Float64); // (B, F)
        var slopes = new List<Tensor>();
        for (long start = 0; start < total; start += Options.InternalBatchSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(Options.InternalBatchSize, total - start);
            var rows = exampleIndex.narrow(0, start, length);
            var a = alphas.narrow(0, start, length).view([length, .. broadcast]);
            var pathPoints = reference.index_select(0, rows) + a * difference.index_select(0, rows); // (L, ...)
            var (_, gradients) = meter.ForwardBackward(Target, pathPoints);
            var g = gradients.flatten(1).to(ScalarType.Float64); // (L, F)
            var w = weightValues.narrow(0, start, length).unsqueeze(1);
            integrals.index_add_(0, panelIndex.narrow(0, start, length), g * w, 1.0);
            slopes.Add((g * difference64.index_select(0, rows)).sum(1).cpu().MoveToOuterDisposeScope()); // (L,) ∂f/∂α at each point
        }
        var values = integrals.cpu().data<double>().ToArray();
        var slope = cat(slopes).data<double>().ToArray(); // (P·points,)
        for (var i = 0; i < panels.Count; i++)
        {
            var p = panels[i];
            p.Integral = values.AsSpan(i * features, features).ToArray();
            double path = 0;
            for (var f = 0; f < features; f++) path += p.Integral[f] * differences[p.Example * features + f];
            p.PathIntegral = path;
            p.FirstSlope = slope[i * points];
            p.LastSlope = slope[i * points + points - 1];
        }
    }

    /// <summary>f at the path points b + α(x − b) of the given examples, as float64.</summary>
    double[] ValuesOnPath(int[] examples, double[] alphas, Tensor reference, Tensor difference, ModelMeter meter)
    {
        using var scope = NewDisposeScope();
        var rows = tensor(examples.Select(e => (long)e).ToArray(), device: reference.device);
        var a = tensor(alphas, device: reference.device).to(reference.dtype).view([alphas.Length, .. Enumerable.Repeat(1L, (int)reference.dim() - 1)]);
        return ToDoubles(ValuesInBatches(reference.index_select(0, rows) + a * difference.index_select(0, rows), meter));
    }
}
