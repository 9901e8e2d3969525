using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>The units of one layer that respond most, each with the samples that drive it hardest.</summary>
/// <param name="Units">Unit (channel or neuron) indices, by descending mean activation over all samples.</param>
/// <param name="SampleIndices">For unit <c>Units[u]</c>, the indices of its top samples, strongest first: [units][perUnit].</param>
/// <param name="Values">The activations of those samples (spatial mean for feature maps): [units][perUnit].</param>
/// <param name="MeanActivation">Mean activation of each listed unit over all samples.</param>
public sealed record TopActivatingSamples(int[] Units, long[][] SampleIndices, double[][] Values, double[] MeanActivation);

/// <summary>
/// Intermediate activations of GenAudit's networks. Each network keeps its layers in an
/// nn.Sequential (generator <c>net</c>, discriminator <c>body</c>, VAE <c>encoder</c>/<c>decoder</c>),
/// whose children are named "0", "1", ...; a layer is addressed by its state-dict prefix, e.g.
/// <c>net.2</c> or <c>body.3</c>, and its activation is the output of that child.
/// </summary>
public static class Activations
{
    /// <summary>
    /// Runs the children of <paramref name="sequential"/> in order on <paramref name="input"/> and
    /// returns the output of the child named <paramref name="layer"/> (no later child runs).
    /// </summary>
    public static Tensor RunTo(nn.Module<Tensor, Tensor> sequential, string layer, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(sequential);
        ArgumentNullException.ThrowIfNull(input);
        var children = sequential.named_children().ToList();
        if (!children.Any(c => c.name == layer))
            throw new ArgumentException($"layer '{layer}' is not a child of this Sequential; its children are {string.Join(", ", children.Select(c => c.name))}");
        var h = input;
        foreach (var (name, module) in children)
        {
            h = ((nn.Module<Tensor, Tensor>)module).call(h);
            if (name == layer) break;
        }
        return h;
    }

    /// <summary>The children of a Sequential as "prefix.name (Type)", for help and error texts.</summary>
    public static IReadOnlyList<string> Describe(nn.Module sequential, string prefix) =>
        sequential.named_children().Select(c => $"{prefix}.{c.name} ({c.module.GetType().Name})").ToList();

    /// <summary>
    /// For each of the <paramref name="units"/> units of an activation with the highest mean
    /// response, the <paramref name="perUnit"/> inputs among <paramref name="inputs"/> (N, ...) that
    /// activate it most. A unit is a channel of a (B, C, H, W) activation (scored by its spatial mean)
    /// or a neuron of a (B, F) activation. Runs without gradients, in batches of <paramref name="batchSize"/>.
    /// </summary>
    public static TopActivatingSamples TopSamples(Func<Tensor, Tensor> activation, Tensor inputs, int units, int perUnit, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(inputs);
        if (units < 1 || perUnit < 1 || batchSize < 1)
            throw new ArgumentException($"top samples: units ({units}), perUnit ({perUnit}) and batchSize ({batchSize}) must be >= 1");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var n = inputs.shape[0];
        var responses = new List<Tensor>();
        for (long start = 0; start < n; start += batchSize)
        {
            var a = activation(inputs.narrow(0, start, Math.Min(batchSize, n - start)));
            responses.Add(UnitResponses(a).to(ScalarType.Float64).cpu());
        }
        var all = cat(responses); // (N, U)
        var mean = all.mean([0]); // (U,)
        var u = (int)Math.Min(units, mean.shape[0]);
        var k = (int)Math.Min(perUnit, n);
        var chosen = mean.topk(u).indexes; // (u,)
        var (values, indices) = all.index_select(1, chosen).topk(k, dim: 0); // (k, u)
        var valuesT = values.t().contiguous();
        var indicesT = indices.t().contiguous();
        return new TopActivatingSamples(
            chosen.data<long>().Select(i => (int)i).ToArray(),
            Enumerable.Range(0, u).Select(i => indicesT[i].data<long>().ToArray()).ToArray(),
            Enumerable.Range(0, u).Select(i => valuesT[i].data<double>().ToArray()).ToArray(),
            mean.index_select(0, chosen).data<double>().ToArray());
    }

    /// <summary>One response per unit: the spatial mean of each channel for (B, C, ...) activations, the activation itself for (B, F).</summary>
    public static Tensor UnitResponses(Tensor activation) =>
        activation.dim() switch
        {
            2 => activation,
            > 2 => activation.flatten(2).mean([2]), // (B, C)
            _ => throw new ArgumentException($"activations must be (B, F) or (B, C, ...), got [{string.Join(", ", activation.shape)}]"),
        };
}
