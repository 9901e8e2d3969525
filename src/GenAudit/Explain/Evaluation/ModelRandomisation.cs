using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>Spearman correlations between the original and the randomised explanations, per cascade step.</summary>
/// <param name="Layers">The re-initialised layers in cascade order (top first); step l has layers 0..l re-initialised.</param>
/// <param name="Spearman">Per layer name, the Spearman rank correlation of |φ| per example; in [−1, 1], lower passes.</param>
public sealed record RandomisationResult(IReadOnlyList<string> Layers, IReadOnlyDictionary<string, double[]> Spearman);

/// <summary>
/// Cascading model-parameter randomisation (Adebayo et al. 2018). Layers are re-initialised in place from
/// the top (output) down, one more per step; after each step the explainer is rebuilt for the model and
/// re-run, and the Spearman rank correlation of |φ| with the original explanation is reported per
/// example. A method that depends on the model drops towards 0; one that ignores it stays at 1 and
/// fails the check. Every parameter of a re-initialised layer is drawn from U(−a, a) with
/// a = 1/√fan_in (PyTorch's default scale for Linear and Conv weights; fan_in from the layer's first
/// parameter of rank ≥ 2, 1 if it has none). Buffers (batch-norm statistics) are left alone. The
/// original weights are restored afterwards, also when the explainer throws.
/// </summary>
public static class ModelRandomisation
{
    /// <summary>
    /// Runs the cascade over <paramref name="layers"/> (names from <c>model.named_modules()</c>, top first).
    /// <paramref name="explainerFactory"/> gets the model (original, then randomised in place) and returns
    /// an explainer inputs (L, ...) → attributions of the same shape; with a <paramref name="mask"/> the
    /// attributions are summed per group before ranking. Re-initialisation draws from <paramref name="generator"/> or the seed.
    /// </summary>
    public static RandomisationResult Run(nn.Module model, IReadOnlyList<string> layers, Func<nn.Module, Func<Tensor, Tensor>> explainerFactory,
                                          Tensor inputs, FeatureMask? mask = null, EvaluationOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(explainerFactory);
        options ??= new EvaluationOptions();
        options.Validate();
        if (layers.Count == 0) throw new ArgumentException("model randomisation: give at least one layer name to re-initialise.", nameof(layers));
        var modules = model.named_modules().ToDictionary(pair => pair.name, pair => pair.module);
        foreach (var name in layers)
            if (!modules.ContainsKey(name))
                throw new ArgumentException($"model randomisation: the model has no layer '{name}'; its layers are: {string.Join(", ", modules.Keys.Where(k => k.Length > 0))}.", nameof(layers));
        var random = options.GeneratorOrSeeded(generator);

        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, null, mask, "model randomisation");
        var m = space.Count;
        var original = Magnitudes(explainerFactory(model), space, options);
        var saved = layers.SelectMany(name => modules[name].parameters()).Distinct()
                          .Select(p => (Parameter: p, Copy: p.detach().clone())).ToList();
        var spearman = new Dictionary<string, double[]>();
        try
        {
            foreach (var name in layers)
            {
                Reinitialise(modules[name], random);
                var randomised = Magnitudes(explainerFactory(model), space, options);
                spearman[name] = Enumerable.Range(0, (int)space.Batch)
                    .Select(i => Correlation.Spearman(original.AsSpan(i * m, m), randomised.AsSpan(i * m, m))).ToArray();
            }
        }
        finally
        {
            using var noGrad = no_grad();
            foreach (var (parameter, copy) in saved) parameter.copy_(copy);
        }
        return new RandomisationResult(layers.ToArray(), spearman);
    }

    static double[] Magnitudes(Func<Tensor, Tensor> explainer, FeatureSpace space, EvaluationOptions options)
    {
        using var scope = NewDisposeScope();
        var x = space.Inputs;
        var attributions = Batched.Explain(explainer, space.Batch, (start, length) => x.narrow(0, start, length), options.BatchSize);
        return Numerics.ToDoubles(space.FeatureValues(attributions, "model randomisation").abs());
    }

    static void Reinitialise(nn.Module layer, Generator generator)
    {
        using var noGrad = no_grad();
        var parameters = layer.parameters().ToList();
        var shaped = parameters.FirstOrDefault(p => p.dim() >= 2);
        var fanIn = shaped is null ? 1 : shaped.numel() / shaped.shape[0];
        var bound = 1 / Math.Sqrt(fanIn);
        foreach (var p in parameters)
        {
            using var draw = rand(p.shape, dtype: ScalarType.Float64, generator: generator);
            p.copy_((draw * 2 - 1) * bound);
        }
    }
}
