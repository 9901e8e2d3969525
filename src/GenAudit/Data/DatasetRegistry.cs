namespace GenAudit.Data;

/// <summary>How <see cref="DatasetRegistry.Resolve"/> loads a dataset; one place for the defaults the CLI and library share.</summary>
public sealed record DatasetOptions
{
    /// <summary>
    /// Split to load: the fixed files of mnist and fashion-mnist, the seeded, stratified <see cref="FolderSplit"/> of an
    /// image folder; mixtures have none (their test set is a fresh draw). Default: train.
    /// </summary>
    public DataSplit Split { get; init; } = DataSplit.Train;

    /// <summary>How image folders are split into train and test. Default: 10% of each class held out, seed 0.</summary>
    public FolderSplit FolderSplit { get; init; } = new();

    /// <summary>Side in pixels that image-folder images are resized to. Default: 28, like MNIST.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Channels for image folders. Default: grayscale.</summary>
    public ColorMode Color { get; init; } = ColorMode.Grayscale;

    /// <summary>Number of points in the fixed training set of ring8 / grid25. Default: 100,000.</summary>
    public int MixtureSampleCount { get; init; } = 100_000;

    /// <summary>Seed of the fixed mixture training set. Default: 0.</summary>
    public long MixtureSeed { get; init; }

    /// <summary>Seed of the synthetic oracle LSTM (<c>--oracle-seed</c>); another seed is another oracle. Default: 0.</summary>
    public long OracleSeed { get; init; }

    /// <summary>Tokens per sequence of the oracle (<c>--length</c>). Default: 20, as SeqGAN; LeakGAN's long variant is 40.</summary>
    public int SequenceLength { get; init; } = TokenOracle.DefaultLength;

    /// <summary>Sequences in each of the oracle's training and held-out sets. Default: 10,000, as SeqGAN.</summary>
    public int OracleSampleCount { get; init; } = TokenOracle.DefaultSampleCount;

    /// <summary>Steps T per window of a series CSV (<c>--window</c>). Default: 24, as TimeGAN.</summary>
    public int SeriesWindow { get; init; } = SeriesCsv.DefaultWindow;

    /// <summary>Which clips digits-speech synthesises. Default: every voice, variant, speed and pitch (10,920 clips).</summary>
    public SpeechDigitsOptions Speech { get; init; } = new();

    /// <summary>Folder under which digits-speech is built and cached; null is the cache folder (<c>$GENAUDIT_CACHE</c>, else ~/.cache/genaudit).</summary>
    public string? CacheRoot { get; init; }
}

/// <summary>Maps the CLI's --data value to a loaded dataset.</summary>
public static class DatasetRegistry
{
    /// <summary>The accepted forms of a dataset spec, for help texts and errors.</summary>
    public const string Forms = "ring8, grid25, mnist, stacked-mnist (three digits as channels, 1,000 modes), fashion-mnist, fashion-mnist:<folder>, oracle (synthetic token sequences), words[:FILE] (English words, characters), brown (Brown corpus sentences, words), text:FILE (your text, one sequence a line, words), sines (TimeGAN's multivariate sines), digits-speech (spoken digits by espeak-ng as log-mel frames), series:FILE.csv (a multivariate series, one row per step), or a folder with one subfolder of PNG/JPEG images per class";

    /// <summary>The spoken digits data set: 65 log-mel frames × 40 bands per clip (<see cref="SpeechDigits.LoadFrames"/>).</summary>
    public const string SpeechDigitsName = "digits-speech";

    /// <summary>True when <paramref name="spec"/> names real-valued series (sines, digits-speech, series:FILE.csv), which recurrent GANs train on.</summary>
    public static bool IsSeries(string spec)
    {
        var trimmed = spec.Trim();
        return trimmed.Equals("sines", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("series:", StringComparison.OrdinalIgnoreCase) || IsAudio(trimmed);
    }

    /// <summary>True when <paramref name="spec"/> names audio (digits-speech): series whose samples decode to waveforms.</summary>
    public static bool IsAudio(string spec) => spec.Trim().Equals(SpeechDigitsName, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="spec"/> names token sequences (oracle, words, words:FILE), which token models train on.</summary>
    public static bool IsTokenSequences(string spec)
    {
        var trimmed = spec.Trim();
        return trimmed.Equals("oracle", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("words", StringComparison.OrdinalIgnoreCase)
               || trimmed.StartsWith("words:", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("brown", StringComparison.OrdinalIgnoreCase)
               || trimmed.StartsWith("text:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The vocabulary of token data <paramref name="spec"/>; the fixed ones without loading sequences.</summary>
    public static TokenVocabulary Vocabulary(string spec, DatasetOptions? options = null)
    {
        var trimmed = spec.Trim();
        if (trimmed.Equals("oracle", StringComparison.OrdinalIgnoreCase)) return TokenVocabulary.Numbered(TokenOracle.DefaultVocabularySize);
        if (trimmed.Equals("words", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("words:", StringComparison.OrdinalIgnoreCase)) return EnglishWords.Vocabulary;
        return (Resolve(spec, options) as TokenSequenceDataset)?.Vocabulary
            ?? throw new ArgumentException($"'{spec}' is not token data; token models train on oracle, words[:FILE], brown or text:FILE.", nameof(spec));
    }

    /// <summary>
    /// Loads "ring8" or "grid25" (a <see cref="PointDataset"/> with its <see cref="Mixture2D"/>), "oracle"
    /// (a <see cref="TokenSequenceDataset"/> drawn from a <see cref="TokenOracle"/>), "mnist"
    /// (embedded), "fashion-mnist" or "fashion-mnist:&lt;folder&gt;", or an image folder path.
    /// </summary>
    public static Dataset Resolve(string spec, DatasetOptions? options = null)
    {
        options ??= new DatasetOptions();
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException($"No dataset given; use {Forms}.", nameof(spec));
        var trimmed = spec.Trim();
        if (Mixture2D.FromName(trimmed) is { } mixture) return mixture.TrainingSet(options.MixtureSampleCount, options.MixtureSeed);
        if (trimmed.Equals("oracle", StringComparison.OrdinalIgnoreCase))
            return new TokenOracle(options.OracleSeed).Dataset(options.Split, options.OracleSampleCount, options.SequenceLength);
        if (trimmed.Equals("words", StringComparison.OrdinalIgnoreCase)) return EnglishWords.Load(options.Split);
        if (trimmed.StartsWith("words:", StringComparison.OrdinalIgnoreCase))
        {
            var file = trimmed["words:".Length..];
            if (file.Length == 0) throw new ArgumentException($"'{spec}': give the word list after 'words:', or use plain 'words' for {EnglishWords.DefaultPath}.", nameof(spec));
            return EnglishWords.Load(options.Split, file);
        }
        if (trimmed.Equals("brown", StringComparison.OrdinalIgnoreCase)) return BrownCorpus.Load(options.Split);
        if (trimmed.StartsWith("text:", StringComparison.OrdinalIgnoreCase))
        {
            var file = trimmed["text:".Length..];
            if (file.Length == 0) throw new ArgumentException($"'{spec}': give the text file after 'text:' (UTF-8, one sequence a line).", nameof(spec));
            return TextSequences.Load(file, options.Split);
        }
        if (trimmed.Equals("sines", StringComparison.OrdinalIgnoreCase)) return Sines.Load(options.Split);
        if (IsAudio(trimmed)) return SpeechDigits.LoadFrames(options.Split, options.Speech, cacheRoot: options.CacheRoot);
        if (trimmed.StartsWith("series:", StringComparison.OrdinalIgnoreCase))
        {
            var file = trimmed["series:".Length..];
            if (file.Length == 0) throw new ArgumentException($"'{spec}': give the CSV file after 'series:'.", nameof(spec));
            return SeriesCsv.Load(file, options.Split, options.SeriesWindow);
        }
        if (trimmed.Equals("mnist", StringComparison.OrdinalIgnoreCase)) return MnistEmbedded.Load(options.Split);
        if (trimmed.Equals(StackedMnist.Name, StringComparison.OrdinalIgnoreCase)) return StackedMnist.Load(options.Split);
        if (trimmed.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase)) return FashionMnist.Load(options.Split);
        if (trimmed.StartsWith("fashion-mnist:", StringComparison.OrdinalIgnoreCase))
        {
            var folder = trimmed["fashion-mnist:".Length..];
            if (folder.Length == 0) throw new ArgumentException($"'{spec}': give the folder after 'fashion-mnist:', or use plain 'fashion-mnist' for {FashionMnist.DefaultFolder}.", nameof(spec));
            return FashionMnist.Load(options.Split, folder);
        }
        if (Directory.Exists(trimmed)) return ImageFolderDataset.Load(trimmed, options.ImageSize, options.Color, options.FolderSplit, options.Split);
        var looksLikePath = trimmed.Contains('/') || trimmed.Contains('\\') || trimmed.StartsWith('.');
        throw new ArgumentException(looksLikePath
            ? $"'{spec}': folder not found. Give an existing folder with one subfolder of images per class, or one of: {Forms}."
            : $"Unknown dataset '{spec}'. Use {Forms}.", nameof(spec));
    }
}
