namespace GenAudit.Models;

/// <summary>
/// The layer lists of GenAudit's built-in networks. MLPs for 2D points; DCGAN-style convolutional
/// networks (Radford et al. 2016) for C×H×W images, two stride-2 stages from H/4 to H.
/// </summary>
public static class Architectures
{
    /// <summary>Generator: (latent [+ embedding]) → output, flattened.</summary>
    public static IReadOnlyList<LayerSpec> Generator(ModelConfig config, long inputSize)
    {
        if (config.IsPointData)
            return Mlp(config, inputSize, () => Hidden(config), config.DataShape[0]);
        var (c, b, channels) = ConvSizes(config);
        return
        [
            new LinearSpec(inputSize, 2 * c * b * b), new BatchNorm1dSpec(2 * c * b * b), Hidden(config),
            new UnflattenSpec([2 * c, b, b]),                                    // (B, 2c, H/4, W/4)
            new ConvTranspose2dSpec(2 * c, c, 4, 2, 1), new BatchNorm2dSpec(c), Hidden(config), // (B, c, H/2, W/2)
            new ConvTranspose2dSpec(c, channels, 4, 2, 1), new SigmoidSpec(),    // (B, C, H, W) in [0, 1]
        ];
    }

    /// <summary>Discriminator body: data → features (the head and projection are separate layers).</summary>
    public static IReadOnlyList<LayerSpec> DiscriminatorBody(ModelConfig config, out long featureSize)
    {
        bool sn = config.SpectralNorm;
        if (config.IsPointData)
        {
            featureSize = config.Width;
            return Mlp(config, config.DataShape[0], () => new LeakyReluSpec(0.2), output: null, sn);
        }
        var (c, b, channels) = ConvSizes(config);
        featureSize = 2 * c * b * b;
        return
        [
            new Conv2dSpec(channels, c, 4, 2, 1, sn), new LeakyReluSpec(0.2),   // (B, c, H/2, W/2)
            new Conv2dSpec(c, 2 * c, 4, 2, 1, sn), new LeakyReluSpec(0.2),      // (B, 2c, H/4, W/4)
            new FlattenSpec(),                                                  // (B, 2c·H/4·W/4)
        ];
    }

    /// <summary>VAE encoder body: data → features, before the mean and log-variance heads.</summary>
    public static IReadOnlyList<LayerSpec> EncoderBody(ModelConfig config, out long featureSize)
    {
        if (config.IsPointData)
        {
            featureSize = config.Width;
            return Mlp(config, config.DataShape[0], () => new ReluSpec(), output: null);
        }
        var (c, b, channels) = ConvSizes(config);
        featureSize = 2 * c * b * b;
        return
        [
            new Conv2dSpec(channels, c, 4, 2, 1), new ReluSpec(),
            new Conv2dSpec(c, 2 * c, 4, 2, 1), new ReluSpec(),
            new FlattenSpec(),
        ];
    }

    /// <summary>VAE decoder: (latent [+ one-hot condition]) → output, without batch normalisation.</summary>
    public static IReadOnlyList<LayerSpec> Decoder(ModelConfig config, long inputSize)
    {
        if (config.IsPointData)
            return Mlp(config, inputSize, () => Hidden(config), config.DataShape[0]);
        var (c, b, channels) = ConvSizes(config);
        return
        [
            new LinearSpec(inputSize, 2 * c * b * b), Hidden(config),
            new UnflattenSpec([2 * c, b, b]),
            new ConvTranspose2dSpec(2 * c, c, 4, 2, 1), Hidden(config),
            new ConvTranspose2dSpec(c, channels, 4, 2, 1), new SigmoidSpec(),
        ];
    }

    /// <summary>Depth × (Linear(·, width) → activation), then Linear(width, output) when an output size is given.</summary>
    static LayerSpec[] Mlp(ModelConfig config, long inputSize, Func<LayerSpec> activation, long? output, bool spectralNorm = false)
    {
        var layers = new List<LayerSpec>();
        long width = config.Width;
        for (int i = 0; i < config.Depth; i++)
        {
            layers.Add(new LinearSpec(i == 0 ? inputSize : width, width, spectralNorm));
            layers.Add(activation());
        }
        if (output is long size) layers.Add(new LinearSpec(width, size));
        return [.. layers];
    }

    static LayerSpec Hidden(ModelConfig config) => config.Activation switch
    {
        HiddenActivation.Silu => new SiluSpec(),
        _ => new ReluSpec(),
    };

    static (long BaseChannels, long BaseSide, long Channels) ConvSizes(ModelConfig config) =>
        (config.Width, config.DataShape[1] / 4, config.DataShape[0]);
}
