using System.Globalization;
using GenAudit.Models;

namespace GenAudit.Interop;

/// <summary>
/// The <c>--arch</c> grammar of <c>genaudit import --pytorch</c>, mapping to a <see cref="ModelConfig"/>:
/// <c>FAMILY:NETWORK:key=value,...</c> where FAMILY is gan or vae, NETWORK is mlp (points, needs
/// <c>data=D</c>) or conv (images, needs <c>shape=CxHxW</c>; dcgan is accepted for conv), and the keys
/// are latent=d (required), width=W (default 128), depth=N (hidden layers, mlp only, default 2),
/// activation=relu|silu (generator / decoder hidden layers, default relu), conditions=K (makes the family conditional),
/// embedding=E (conditional GAN, default 32), sn (spectral norm, discriminator only),
/// likelihood=bernoulli|gaussian and sigma=S (VAE). Example: <c>gan:conv:latent=64,width=64,shape=1x28x28,conditions=10</c>.
/// </summary>
public static class ArchitectureSpec
{
    /// <summary>The grammar in one line, for help texts and errors.</summary>
    public const string Grammar = "gan|vae : mlp|conv : latent=D, width=W, data=N (mlp) | shape=CxHxW (conv) [, depth=N (mlp)] [, activation=relu|silu] [, conditions=K] [, embedding=E] [, sn] [, likelihood=bernoulli|gaussian] [, sigma=S]";

    /// <summary>Parses <paramref name="spec"/>; throws <see cref="ArgumentException"/> naming the bad part and the grammar.</summary>
    public static ModelConfig Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Trim().Split(':', 3);
        if (parts.Length != 3) throw Bad(spec, "expected three ':'-separated parts");
        var family = parts[0].Trim().ToLowerInvariant();
        var network = parts[1].Trim().ToLowerInvariant();
        if (family is not ("gan" or "vae")) throw Bad(spec, $"family '{parts[0]}' is not gan or vae");
        if (network is not ("mlp" or "conv" or "dcgan")) throw Bad(spec, $"network '{parts[1]}' is not mlp or conv");
        if (network == "dcgan" && family == "vae") throw Bad(spec, "dcgan names the GAN's convolutional network; write vae:conv");

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = item.Split('=', 2, StringSplitOptions.TrimEntries);
            var key = kv[0].ToLowerInvariant();
            if (!values.TryAdd(key, kv.Length == 2 ? kv[1] : "")) throw Bad(spec, $"'{key}' is given twice");
        }
        string? Take(string key) => values.Remove(key, out var v) ? v : null;
        int Integer(string key, int? fallback)
        {
            var text = Take(key);
            if (text is null) return fallback ?? throw Bad(spec, $"'{key}=' is required");
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(spec, $"{key}={text} is not a whole number");
        }

        int latent = Integer("latent", null);
        int width = Integer("width", 128);
        var depthText = values.GetValueOrDefault("depth");
        int depth = Integer("depth", 2);
        if (depthText is not null && network != "mlp") throw Bad(spec, "depth= applies to mlp networks only (conv networks have a fixed depth)");
        var activation = Take("activation") switch
        {
            null or "relu" => HiddenActivation.Relu,
            "silu" => HiddenActivation.Silu,
            var other => throw Bad(spec, $"activation={other} is not relu or silu"),
        };
        int conditions = Integer("conditions", 0);
        int embedding = Integer("embedding", 32);
        bool spectralNorm = Take("sn") switch
        {
            null => false,
            "" or "true" => true,
            "false" => false,
            var other => throw Bad(spec, $"sn={other}: write sn, sn=true or sn=false"),
        };
        long[] shape;
        if (network == "mlp")
        {
            shape = [Integer("data", null)];
            if (values.ContainsKey("shape")) throw Bad(spec, "mlp networks take data=N, not shape=");
        }
        else
        {
            var text = Take("shape") ?? throw Bad(spec, "'shape=CxHxW' is required for conv networks");
            var dims = text.Split('x');
            shape = dims.Length == 3 && dims.All(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                ? dims.Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray()
                : throw Bad(spec, $"shape={text} is not CxHxW, e.g. 1x28x28");
            if (values.ContainsKey("data")) throw Bad(spec, "conv networks take shape=CxHxW, not data=");
        }
        var likelihood = Take("likelihood") switch
        {
            null or "bernoulli" => VaeLikelihood.Bernoulli,
            "gaussian" => VaeLikelihood.Gaussian,
            var other => throw Bad(spec, $"likelihood={other} is not bernoulli or gaussian"),
        };
        var sigmaText = Take("sigma");
        double sigma = sigmaText is null ? new ModelConfig().GaussianSigma
            : double.TryParse(sigmaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : throw Bad(spec, $"sigma={sigmaText} is not a number");
        if (values.Count > 0) throw Bad(spec, $"unknown key{(values.Count > 1 ? "s" : "")} {string.Join(", ", values.Keys)}");
        if (family == "gan" && (likelihood != VaeLikelihood.Bernoulli || sigmaText is not null)) throw Bad(spec, "likelihood and sigma apply to vae only");
        if (family == "vae" && spectralNorm) throw Bad(spec, "sn applies to gan only");

        var config = new ModelConfig
        {
            Family = (family, conditions > 0) switch
            {
                ("gan", false) => ModelFamily.Gan,
                ("gan", true) => ModelFamily.Cgan,
                ("vae", false) => ModelFamily.Vae,
                _ => ModelFamily.Cvae,
            },
            DataShape = shape,
            LatentSize = latent,
            ConditionCount = conditions,
            Width = width,
            Depth = depth,
            Activation = activation,
            EmbeddingSize = embedding,
            SpectralNorm = spectralNorm,
            Likelihood = likelihood,
            GaussianSigma = sigma,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw Bad(spec, e.Message);
        }
        return config;
    }

    /// <summary>The canonical spec of <paramref name="config"/>; <see cref="Parse"/> of it gives the same config.</summary>
    public static string Format(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var items = new List<string> { $"latent={config.LatentSize}", $"width={config.Width}" };
        items.Add(config.IsPointData ? $"data={config.DataShape[0]}" : $"shape={string.Join("x", config.DataShape)}");
        if (config.IsPointData && config.Depth != 2) items.Add($"depth={config.Depth}");
        if (config.Activation != HiddenActivation.Relu) items.Add($"activation={config.Activation.ToString().ToLowerInvariant()}");
        if (config.IsConditional) items.Add($"conditions={config.ConditionCount}");
        if (config.Family == ModelFamily.Cgan) items.Add($"embedding={config.EmbeddingSize}");
        if (config.IsGan && config.SpectralNorm) items.Add("sn");
        if (!config.IsGan)
        {
            items.Add($"likelihood={config.Likelihood.ToString().ToLowerInvariant()}");
            if (config.Likelihood == VaeLikelihood.Gaussian) items.Add(string.Create(CultureInfo.InvariantCulture, $"sigma={config.GaussianSigma:R}"));
        }
        return $"{(config.IsGan ? "gan" : "vae")}:{(config.IsPointData ? "mlp" : "conv")}:{string.Join(",", items)}";
    }

    static ArgumentException Bad(string spec, string problem) => new($"--arch '{spec}': {problem}; the grammar is {Grammar}");
}
