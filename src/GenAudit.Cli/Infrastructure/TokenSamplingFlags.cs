using GenAudit.Models;

namespace GenAudit.Cli.Infrastructure;

/// <summary>The settings of a verb that draws token sequences: <c>--temperature</c> and <c>--top-k</c> (token runs only).</summary>
public interface ITokenSamplingSettings
{
    /// <summary>Sampling temperature; null keeps 1.</summary>
    double? Temperature { get; }

    /// <summary>Top-k; null keeps every token.</summary>
    int? TopK { get; }
}

/// <summary>Turns <c>--temperature</c> and <c>--top-k</c> into a <see cref="TokenSampling"/>, one place for every verb.</summary>
static class TokenSamplingFlags
{
    /// <summary>The help text of <c>--temperature</c>.</summary>
    public const string TemperatureHelp = "Token runs: divide the logits by T before sampling (below 1 sharper, above 1 flatter). Default: 1.";

    /// <summary>The help text of <c>--top-k</c>.</summary>
    public const string TopKHelp = "Token runs: draw each token among the K most likely only (0 = every token). Default: 0.";

    /// <summary>The sampling the flags ask for, validated; null when neither was given.</summary>
    public static TokenSampling? From(ITokenSamplingSettings settings)
    {
        if (settings.Temperature is null && settings.TopK is null) return null;
        var sampling = new TokenSampling { Temperature = settings.Temperature ?? 1.0, TopK = settings.TopK ?? 0 };
        sampling.Validate();
        return sampling;
    }

    /// <summary>
    /// <paramref name="model"/> drawing with the flags' sampling: a view of a token sampler (shares its model; dispose it
    /// after use), the model itself when no flag was given, or an error when the flags are given for a run that is not a token run.
    /// </summary>
    public static IGenerativeModel Apply(ITokenSamplingSettings settings, IGenerativeModel model)
    {
        var sampling = From(settings);
        if (sampling is null) return model;
        return model is TokenSampler tokens
            ? tokens.With(sampling)
            : throw new ArgumentException("--temperature and --top-k apply to token runs (mle, seqgan); this run's generator outputs [" + string.Join(", ", model.OutputShape) + "]");
    }
}
