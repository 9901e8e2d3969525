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
        {
            long h = config.Width;
            return [new LinearSpec(inputSize, h), new ReluSpec(), new LinearSpec(h, h), new ReluSpec(), new LinearSpec(h, config.DataShape[0])];
        }
        var (c, b, channels) = ConvSizes(config);
        return
        [
            new LinearSpec(inputSize, 2 * c * b * b), new BatchNorm1dSpec(2 * c * b * b), new ReluSpec(),
            new UnflattenSpec([2 * c, b, b]),                                    // (B, 2c, H/4, W/4)
            new ConvTranspose2dSpec(2 * c, c, 4, 2, 1), new BatchNorm2dSpec(c), new ReluSpec(), // (B, c, H/2, W/2)
            new ConvTranspose2dSpec(c, channels, 4, 2, 1), new SigmoidSpec(),    // (B, C, H, W) in [0, 1]
        ];
    }

    /// <summary>Discriminator body: data → features (the head and projection are separate layers).</summary>
    public static IReadOnlyList<LayerSpec> DiscriminatorBody(ModelConfig config, out long featureSize)
    {
        bool sn = config.SpectralNorm;
        if (config.IsPointData)
        {
            long h = config.Width;
            featureSize = h;
            return [new LinearSpec(config.DataShape[0], h, sn), new LeakyReluSpec(0.2), new LinearSpec(h, h, sn), new LeakyReluSpec(0.2)];
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
            long h = config.Width;
            featureSize = h;
            return [new LinearSpec(config.DataShape[0], h), new ReluSpec(), new LinearSpec(h, h), new ReluSpec()];
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
        {
            long h = config.Width;
            return [new LinearSpec(inputSize, h), new ReluSpec(), new LinearSpec(h, h), new ReluSpec(), new LinearSpec(h, config.DataShape[0])];
        }
        var (c, b, channels) = ConvSizes(config);
        return
        [
            new LinearSpec(inputSize, 2 * c * b * b), new ReluSpec(),
            new UnflattenSpec([2 * c, b, b]),
            new ConvTranspose2dSpec(2 * c, c, 4, 2, 1), new ReluSpec(),
            new ConvTranspose2dSpec(c, channels, 4, 2, 1), new SigmoidSpec(),
        ];
    }

    static (long BaseChannels, long BaseSide, long Channels) ConvSizes(ModelConfig config) =>
        (config.Width, config.DataShape[1] / 4, config.DataShape[0]);
}
