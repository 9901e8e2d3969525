namespace GenAudit.Training;

/// <summary>Settings of real-valued sequence runs (<c>--model rcgan|crnngan</c>); saved in the manifest with the rest of <see cref="TrainingConfig"/>.</summary>
public sealed record SeriesOptions
{
    /// <summary>Default noise values per step: 5, the sines' feature count, as TimeGAN's z_dim = dim.</summary>
    public const int DefaultNoisePerStep = 5;

    /// <summary>Steps T per window of a series CSV (<c>--window</c>); sines are always 24 steps. Default: 24, as TimeGAN.</summary>
    public int Window { get; init; } = GenAudit.Data.SeriesCsv.DefaultWindow;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (Window is < 2 or > GenAudit.Data.SeriesCsv.MaxWindow)
            throw new ArgumentException($"--window must be 2 to {GenAudit.Data.SeriesCsv.MaxWindow} steps, got {Window}");
    }
}
