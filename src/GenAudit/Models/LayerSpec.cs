using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// One layer of a sequential network, described precisely enough to rebuild it in PyTorch with
/// <c>torch.nn.Sequential</c>: the index in the list is the state-dict prefix ("net.3.weight").
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LinearSpec), "Linear")]
[JsonDerivedType(typeof(Conv2dSpec), "Conv2d")]
[JsonDerivedType(typeof(ConvTranspose2dSpec), "ConvTranspose2d")]
[JsonDerivedType(typeof(BatchNorm1dSpec), "BatchNorm1d")]
[JsonDerivedType(typeof(BatchNorm2dSpec), "BatchNorm2d")]
[JsonDerivedType(typeof(ReluSpec), "ReLU")]
[JsonDerivedType(typeof(LeakyReluSpec), "LeakyReLU")]
[JsonDerivedType(typeof(SiluSpec), "SiLU")]
[JsonDerivedType(typeof(SigmoidSpec), "Sigmoid")]
[JsonDerivedType(typeof(TanhSpec), "Tanh")]
[JsonDerivedType(typeof(FlattenSpec), "Flatten")]
[JsonDerivedType(typeof(UnflattenSpec), "Unflatten")]
public abstract record LayerSpec
{
    /// <summary>Builds the TorchSharp module for this layer.</summary>
    public abstract nn.Module<Tensor, Tensor> Build();
}

/// <summary>nn.Linear(in, out); with spectral norm the weight is stored as weight_orig/weight_u/weight_v (PyTorch's spectral_norm).</summary>
public sealed record LinearSpec(long In, long Out, bool SpectralNorm = false) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() =>
        SpectralNorm ? new SpectralNormLinear(In, Out) : nn.Linear(In, Out);
}

/// <summary>nn.Conv2d(in, out, kernel, stride, padding), optionally spectrally normalised.</summary>
public sealed record Conv2dSpec(long In, long Out, long Kernel, long Stride, long Padding, bool SpectralNorm = false) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() =>
        SpectralNorm ? new SpectralNormConv2d(In, Out, Kernel, Stride, Padding)
                     : nn.Conv2d(In, Out, Kernel, stride: Stride, padding: Padding);
}

/// <summary>nn.ConvTranspose2d(in, out, kernel, stride, padding).</summary>
public sealed record ConvTranspose2dSpec(long In, long Out, long Kernel, long Stride, long Padding) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.ConvTranspose2d(In, Out, Kernel, stride: Stride, padding: Padding);
}

/// <summary>nn.BatchNorm1d(features) with PyTorch's defaults (eps 1e-5, momentum 0.1).</summary>
public sealed record BatchNorm1dSpec(long Features) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.BatchNorm1d(Features);
}

/// <summary>nn.BatchNorm2d(features) with PyTorch's defaults (eps 1e-5, momentum 0.1).</summary>
public sealed record BatchNorm2dSpec(long Features) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.BatchNorm2d(Features);
}

/// <summary>nn.ReLU().</summary>
public sealed record ReluSpec : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.ReLU();
}

/// <summary>nn.SiLU(): x·σ(x).</summary>
public sealed record SiluSpec : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.SiLU();
}

/// <summary>nn.LeakyReLU(slope).</summary>
public sealed record LeakyReluSpec(double Slope = 0.2) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.LeakyReLU(Slope);
}

/// <summary>nn.Sigmoid().</summary>
public sealed record SigmoidSpec : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.Sigmoid();
}

/// <summary>nn.Tanh().</summary>
public sealed record TanhSpec : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.Tanh();
}

/// <summary>nn.Flatten() (from dimension 1).</summary>
public sealed record FlattenSpec : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.Flatten();
}

/// <summary>nn.Unflatten(1, shape).</summary>
public sealed record UnflattenSpec(long[] Shape) : LayerSpec
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build() => nn.Unflatten(1, Shape);
}

/// <summary>Builds an nn.Sequential whose children are named 0, 1, 2, ... as in PyTorch.</summary>
public static class SequentialBuilder
{
    /// <summary>Builds the layers in order.</summary>
    public static nn.Module<Tensor, Tensor> Build(IReadOnlyList<LayerSpec> layers) =>
        nn.Sequential(layers.Select((layer, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.Build())));
}
