using System.Text;
using System.Text.Json;
using GenAudit.Core;

namespace GenAudit.Training;

/// <summary>
/// One line of history.jsonl. GAN runs fill the D/G fields; VAE runs fill loss, recon and kl (and
/// gradNormG, lrG for the single network); token MLE runs fill loss (and nllOracle on synthetic data);
/// SeqGAN runs fill loss while pre-training G, then the D/G fields, reward, entropy and dAccuracy. dReal/dFake are mean sigmoid probabilities for the
/// non-saturating loss and mean raw scores for hinge and WGAN-GP.
/// </summary>
public sealed record HistoryEntry
{
    /// <summary>Optimisation step after which the values were measured.</summary>
    public long Step { get; init; }
    /// <summary>Discriminator loss (including penalties).</summary>
    public double? LossD { get; init; }
    /// <summary>Generator loss (including penalties).</summary>
    public double? LossG { get; init; }
    /// <summary>L2 norm of all generator (or VAE) gradients.</summary>
    public double? GradNormG { get; init; }
    /// <summary>L2 norm of all discriminator gradients.</summary>
    public double? GradNormD { get; init; }
    /// <summary>Mean discriminator output on real data.</summary>
    public double? DReal { get; init; }
    /// <summary>Mean discriminator output on generated data.</summary>
    public double? DFake { get; init; }
    /// <summary>R1 or gradient penalty term (already inside lossD).</summary>
    public double? Penalty { get; init; }
    /// <summary>VAE: negative ELBO (recon + β·kl). Token models: teacher-forced NLL of the batch in nats per token.</summary>
    public double? Loss { get; init; }
    /// <summary>VAE: reconstruction term per sample.</summary>
    public double? Recon { get; init; }
    /// <summary>VAE: KL term per sample.</summary>
    public double? Kl { get; init; }
    /// <summary>Token models on synthetic data: NLL-oracle of fresh samples, nats per token (lower is better; the oracle's own samples give the floor).</summary>
    public double? NllOracle { get; init; }
    /// <summary>SeqGAN: mean Monte-Carlo reward Q (discriminator probability of real) over the batch's tokens, in [0, 1].</summary>
    public double? Reward { get; init; }
    /// <summary>SeqGAN: mean entropy of the generator's next-token distribution over the batch, nats.</summary>
    public double? Entropy { get; init; }
    /// <summary>SeqGAN: discriminator accuracy on the last real and generated batches, in [0, 1].</summary>
    public double? DAccuracy { get; init; }
    /// <summary>Curious GANs: mean raw novelty of the generator's batch (RND: ‖g(x) − f(x)‖²/k; count: 1/√(1 + n̂)), before the novelty model's update.</summary>
    public double? Novelty { get; init; }
    /// <summary>Curious GANs with RND: the predictor's mean squared error on the generator's batch, before its step.</summary>
    public double? PredictorLoss { get; init; }
    /// <summary>Curious GANs: λ·|mean bonus| / (|adversarial loss| + λ·|mean bonus|), the bonus's share of the generator loss, in [0, 1].</summary>
    public double? BonusShare { get; init; }
    /// <summary>Generator (or VAE) learning rate.</summary>
    public double LrG { get; init; }
    /// <summary>Discriminator learning rate.</summary>
    public double? LrD { get; init; }
    /// <summary>Seconds since this process started training.</summary>
    public double Seconds { get; init; }
}

/// <summary>Reads and appends history.jsonl.</summary>
public static class HistoryFile
{
    /// <summary>Reads every entry; a malformed line is an error naming the file and line.</summary>
    public static List<HistoryEntry> Read(string path) => Read(path, dropTornTail: false);

    /// <param name="path">history.jsonl.</param>
    /// <param name="dropTornTail">Skip a last line that lacks its newline and does not parse: the append a kill interrupted.</param>
    static List<HistoryEntry> Read(string path, bool dropTornTail)
    {
        var entries = new List<HistoryEntry>();
        if (!File.Exists(path)) return entries;
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        int lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            bool torn = dropTornTail && lineNumber == lines.Length;
            if (torn && !IsEntry(line)) continue;
            try
            {
                entries.Add(JsonSerializer.Deserialize<HistoryEntry>(line, Json.Compact) ?? throw new JsonException("null entry"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {lineNumber} is not a history entry ({e.Message})");
            }
        }
        return entries;
    }

    /// <summary>Rewrites the file atomically with only the entries up to <paramref name="step"/> (used on resume).</summary>
    public static void TruncateAfter(string path, long step)
    {
        // Appends are not atomic: a kill during one leaves a torn last line, which lies after every
        // checkpoint (a step's entry is appended before its checkpoint is written) and is dropped here.
        var kept = Read(path, dropTornTail: true).Where(e => e.Step <= step);
        var text = new StringBuilder();
        foreach (var entry in kept) text.Append(JsonSerializer.Serialize(entry, Json.Compact)).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    static bool IsEntry(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<HistoryEntry>(line, Json.Compact) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Appends one entry and flushes it.</summary>
    public static void Append(string path, HistoryEntry entry) =>
        File.AppendAllText(path, JsonSerializer.Serialize(entry, Json.Compact) + "\n");
}
