using System.Text.Json.Serialization;

namespace GenAudit.Models;

/// <summary>Which kind of generative model a run trains.</summary>
public enum ModelFamily
{
    /// <summary>Unconditional GAN.</summary>
    Gan,
    /// <summary>Class-conditional GAN: label embedding in G, projection discriminator.</summary>
    Cgan,
    /// <summary>Variational autoencoder.</summary>
    Vae,
    /// <summary>Class-conditional VAE (one-hot label into encoder head and decoder).</summary>
    Cvae,
    /// <summary>LSTM language model over tokens trained by maximum likelihood (teacher forcing).</summary>
    Mle,
    /// <summary>LSTM language model over tokens trained as SeqGAN (Yu et al. 2017): MLE pre-training, then policy gradient against an LSTM discriminator.</summary>
    SeqGan,
    /// <summary>Recurrent GAN over real-valued sequences (Esteban et al. 2017): LSTM generator fed fresh noise at every step, LSTM discriminator scoring every step.</summary>
    Rcgan,
    /// <summary>C-RNN-GAN (Mogren 2016): LSTM generator fed its previous output, bidirectional LSTM discriminator.</summary>
    CrnnGan,
}

/// <summary>The recurrent cell of a token language model.</summary>
public enum RecurrentCell
{
    /// <summary>Long short-term memory (PyTorch nn.LSTM, gate order i, f, g, o), as SeqGAN.</summary>
    Lstm,
    /// <summary>Gated recurrent unit (PyTorch nn.GRU, gate order r, z, n): one state instead of two, a quarter fewer weights.</summary>
    Gru,
}

/// <summary>Likelihood of the VAE decoder.</summary>
public enum VaeLikelihood
{
    /// <summary>Bernoulli per pixel: reconstruction term is binary cross-entropy; outputs are probabilities.</summary>
    Bernoulli,
    /// <summary>Gaussian per element with fixed σ (<see cref="ModelConfig.GaussianSigma"/>): squared error / (2σ²).</summary>
    Gaussian,
}

/// <summary>Hidden-layer activation of the networks that map a latent to data (generator, VAE decoder).</summary>
public enum HiddenActivation
{
    /// <summary>ReLU, as in DCGAN (Radford et al. 2016). Piecewise linear: path integrals over it (Integrated Gradients) converge slowly.</summary>
    Relu,
    /// <summary>SiLU, x·σ(x) (Elfwing et al. 2018; PyTorch nn.SiLU). Smooth, so Integrated Gradients' quadrature converges fast.</summary>
    Silu,
}

/// <summary>
/// Everything needed to build a model's networks; saved in every run manifest so that the weights
/// can be rebuilt (in GenAudit or PyTorch) without guessing.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>GAN, conditional GAN, VAE or conditional VAE.</summary>
    public ModelFamily Family { get; init; } = ModelFamily.Gan;

    /// <summary>Shape of one data sample: [2] for 2D mixtures (MLP networks), [C, H, W] for images (convolutional networks), [T] for token sequences.</summary>
    public long[] DataShape { get; init; } = [2];

    /// <summary>Latent size d.</summary>
    public int LatentSize { get; init; } = 16;

    /// <summary>Number of classes for conditional families (taken from the data); 0 otherwise.</summary>
    public int ConditionCount { get; init; }

    /// <summary>Hidden width of MLP layers (2D data), the base channel count of convolutional networks (images), or the LSTM hidden size (tokens).</summary>
    public int Width { get; init; } = 128;

    /// <summary>Hidden layers of each MLP (2D data), or stacked LSTM layers (tokens); convolutional networks have a fixed depth. Default: 2.</summary>
    public int Depth { get; init; } = 2;

    /// <summary>Hidden activation of the generator and the VAE decoder (discriminators keep LeakyReLU(0.2), encoders ReLU). Default: ReLU.</summary>
    public HiddenActivation Activation { get; init; } = HiddenActivation.Relu;

    /// <summary>Size of the generator's label embedding (conditional GAN), or of the token embedding (tokens).</summary>
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Tokens: the vocabulary size V (taken from the data); 0 for other data.</summary>
    public int VocabularySize { get; init; }

    /// <summary>Tokens: the generator's recurrent cell. Default: LSTM (manifests written before the option read as LSTM).</summary>
    /// <remarks>Left out of JSON at its default, so manifests of LSTM and non-token runs read as they did before the option.</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public RecurrentCell Cell { get; init; } = RecurrentCell.Lstm;

    /// <summary>
    /// Tokens: size of the latent z ~ N(0, I) that sets the generator's initial recurrent state (h₀ = tanh(latent(z)));
    /// 0 = none, the state starts at zero and the only randomness is the sampling noise. Default: 0.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int StateLatentSize { get; init; }

    /// <summary>
    /// Series (rcgan, crnngan): the generator and the discriminator read the sequence's class as a one-hot
    /// vector at every step (RCGAN's conditional variant, Esteban et al. 2017, section 3). Default: false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool ConditionalSeries { get; init; }

    /// <summary>Spectral normalisation on every discriminator layer with weights.</summary>
    public bool SpectralNorm { get; init; }

    /// <summary>VAE decoder likelihood.</summary>
    public VaeLikelihood Likelihood { get; init; } = VaeLikelihood.Bernoulli;

    /// <summary>Fixed standard deviation of the Gaussian likelihood.</summary>
    public double GaussianSigma { get; init; } = 0.1;

    /// <summary>True for 2D point data (MLP networks).</summary>
    public bool IsPointData => DataShape.Length == 1;

    /// <summary>True for the conditional families.</summary>
    public bool IsConditional => Family is ModelFamily.Cgan or ModelFamily.Cvae || (IsSeries && ConditionalSeries);

    /// <summary>True for the GAN families.</summary>
    public bool IsGan => Family is ModelFamily.Gan or ModelFamily.Cgan;

    /// <summary>True for the token language-model families (MLE, SeqGAN).</summary>
    public bool IsTokenSequence => Family is ModelFamily.Mle or ModelFamily.SeqGan;

    /// <summary>True for the recurrent GANs over real-valued sequences (RCGAN, C-RNN-GAN): data (T, F), latent d = T × noise per step.</summary>
    public bool IsSeries => Family is ModelFamily.Rcgan or ModelFamily.CrnnGan;

    /// <summary>Checks the combination and throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (LatentSize < 1) throw new ArgumentException($"latent size must be at least 1, got {LatentSize}");
        if (Width < 1) throw new ArgumentException($"width must be at least 1, got {Width}");
        if (Depth < 1) throw new ArgumentException($"depth must be at least 1 hidden layer, got {Depth}");
        if (!Enum.IsDefined(Activation)) throw new ArgumentException($"activation {(int)Activation} is not relu or silu");
        if (ConditionalSeries && !IsSeries)
            throw new ArgumentException($"--conditional applies to the recurrent GANs (rcgan, crnngan); for {Family} choose the conditional family (cgan, cvae)");
        if (IsConditional && ConditionCount < 2)
            throw new ArgumentException($"a conditional model ({Family}) needs labelled data with at least 2 classes; this data has {ConditionCount}");
        if (!IsConditional && ConditionCount != 0)
            throw new ArgumentException($"an unconditional model ({Family}) takes no conditions, got {ConditionCount}");
        if (IsTokenSequence)
        {
            if (DataShape.Length != 1 || DataShape[0] < 1) throw new ArgumentException($"a token model ({Family}) needs token sequences of shape [T], got [{string.Join(", ", DataShape)}]");
            if (VocabularySize < 2) throw new ArgumentException($"a token model ({Family}) needs a vocabulary of at least 2 tokens, got {VocabularySize}");
            if (EmbeddingSize < 1) throw new ArgumentException($"the token embedding size must be at least 1, got {EmbeddingSize}");
            if (StateLatentSize < 0) throw new ArgumentException($"the token latent size (--latent) must be 0 (none) or more, got {StateLatentSize}");
            if (!Enum.IsDefined(Cell)) throw new ArgumentException($"cell {(int)Cell} is not lstm or gru");
        }
        else if (Cell != RecurrentCell.Lstm || StateLatentSize != 0)
            throw new ArgumentException($"a {Family} model has no recurrent token cell or state latent; --cell applies to --model mle or seqgan");
        else if (VocabularySize != 0) throw new ArgumentException($"a {Family} model takes no vocabulary, got {VocabularySize} tokens; use --model mle or seqgan for token sequences");
        if (IsSeries != (DataShape.Length == 2))
            throw new ArgumentException(IsSeries
                ? $"a series model ({Family}) needs sequences of shape [T, F] (--data sines or series:FILE.csv), got [{string.Join(", ", DataShape)}]"
                : $"sequences of shape [{string.Join(", ", DataShape)}] train with --model rcgan or crnngan, not {Family}");
        if (IsSeries)
        {
            if (DataShape[0] < 2 || DataShape[1] < 1) throw new ArgumentException($"a series needs at least 2 steps and 1 feature, got [{DataShape[0]}, {DataShape[1]}]");
            if (LatentSize % DataShape[0] != 0)
                throw new ArgumentException($"a {Family} latent is {DataShape[0]} steps of noise: --latent must be a multiple of T = {DataShape[0]}, got {LatentSize}");
        }
        else if (DataShape.Length == 1)
        {
            if (DataShape[0] < 1) throw new ArgumentException($"data shape [{DataShape[0]}] is empty");
        }
        else if (DataShape.Length == 3)
        {
            if (DataShape[1] != DataShape[2] || DataShape[1] % 4 != 0 || DataShape[1] < 8)
                throw new ArgumentException($"convolutional models need square images whose side is a multiple of 4 (at least 8), got {DataShape[1]}x{DataShape[2]}");
            if (DataShape[0] is not (1 or 3)) throw new ArgumentException($"images must have 1 or 3 channels, got {DataShape[0]}");
        }
        else throw new ArgumentException($"data shape must be [D] or [C, H, W], got [{string.Join(", ", DataShape)}]");
        if (GaussianSigma <= 0) throw new ArgumentException($"Gaussian sigma must be positive, got {GaussianSigma}");
    }
}
