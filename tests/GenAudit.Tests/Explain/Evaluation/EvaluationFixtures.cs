using GenAudit.Core;
using GenAudit.Explain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GenAudit.Tests.Explain.Evaluation;

/// <summary>Small models for the explanation metrics: a linear map, an MLP with named layers, and one trained on a synthetic task.</summary>
internal static class EvaluationFixtures
{
    /// <summary>An MLP features → hidden (ReLU) → hidden (ReLU) → outputs with layers "fc1", "fc2", "fc3", float64, seeded.</summary>
    public static Module<Tensor, Tensor> Mlp(long seed, int features, int hidden, int outputs)
    {
        random.manual_seed(seed);
        var model = Sequential(("fc1", Linear(features, hidden)), ("relu1", ReLU()),
                               ("fc2", Linear(hidden, hidden)), ("relu2", ReLU()),
                               ("fc3", Linear(hidden, outputs)));
        model.to(ScalarType.Float64);
        model.eval();
        return model;
    }

    /// <summary>
    /// Trains an MLP 16 → 32 → 32 → 2 for 300 Adam steps on x ~ N(0, I₁₆) with class 1 when
    /// x₀ + x₁ + x₂ + x₃ − x₄ − x₅ − x₆ − x₇ > 0: only the first 8 features matter.
    /// </summary>
    public static Module<Tensor, Tensor> TrainedClassifier(long seed)
    {
        var model = Mlp(seed, 16, 32, 2);
        model.train();
        var data = new Generator((ulong)seed + 100);
        var sign = tensor(new double[] { 1, 1, 1, 1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 });
        using var optimizer = Optimizers.Adam(model.parameters(), 0.01);
        for (var step = 0; step < 300; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn([128, 16], dtype: ScalarType.Float64, generator: data);
            var y = x.matmul(sign).gt(0).to(ScalarType.Int64);
            var loss = functional.cross_entropy(model.forward(x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }

    /// <summary>The <paramref name="count"/> of 512 fresh inputs with the highest class-1 logit, so f(x) − f(0) is large.</summary>
    public static Tensor ConfidentInputs(Module<Tensor, Tensor> model, long seed, int count)
    {
        using var noGrad = no_grad();
        var x = randn([512, 16], dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 200));
        var order = model.forward(x)[.., 1].argsort(descending: true);
        return x.index_select(0, order.narrow(0, 0, count));
    }

    public static AttributionTarget Class(Module<Tensor, Tensor> model, int c) => AttributionTarget.From(x => model.forward(x)[.., c], $"class:{c}");
}
