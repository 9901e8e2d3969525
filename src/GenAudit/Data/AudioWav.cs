using GenAudit.Core;
using NAudio.Wave;

namespace GenAudit.Data;

/// <summary>Mono 16-bit PCM WAV files through NAudio.Core: what every generated clip is written as, so it can be listened to.</summary>
public static class AudioWav
{
    /// <summary>Longest clip written or read: 10 minutes at 48 kHz.</summary>
    public const int MaxSamples = 48_000 * 600;

    /// <summary>
    /// Writes <paramref name="samples"/> (values in [−1, 1]; larger ones are clipped) as 16-bit mono PCM at
    /// <paramref name="sampleRate"/> Hz to <paramref name="path"/>, atomically. Sample s becomes round(32767·s).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate)
    {
        if (sampleRate is < 1000 or > 192_000) throw new ArgumentOutOfRangeException(nameof(sampleRate), $"{path}: sample rate must be 1,000 to 192,000 Hz, got {sampleRate}.");
        if (samples.Length > MaxSamples) throw new ArgumentException($"{path}: {samples.Length} samples exceed the limit of {MaxSamples}.", nameof(samples));
        var pcm = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            if (!float.IsFinite(samples[i])) throw new ArgumentException($"{path}: sample {i} is {samples[i]}; audio must be finite.", nameof(samples));
            var value = (short)Math.Round(Math.Clamp(samples[i], -1f, 1f) * short.MaxValue);
            pcm[2 * i] = (byte)value;
            pcm[2 * i + 1] = (byte)(value >> 8);
        }
        var memory = new MemoryStream();
        using (var writer = new WaveFileWriter(memory, new WaveFormat(sampleRate, 16, 1)))   // closes the stream; ToArray still works
            writer.Write(pcm, 0, pcm.Length);
        AtomicFile.WriteAllBytes(path, memory.ToArray());
    }

    /// <summary>Reads a 16-bit mono PCM WAV file: its samples as value / 32768 and its sample rate.</summary>
    public static (float[] Samples, int SampleRate) Read(string path)
    {
        using var reader = new WaveFileReader(path);
        var format = reader.WaveFormat;
        if (format.Encoding != WaveFormatEncoding.Pcm || format.BitsPerSample != 16 || format.Channels != 1)
            throw new InvalidDataException($"{path}: {format.Channels} channel(s) of {format.BitsPerSample}-bit {format.Encoding}; only 16-bit mono PCM is read.");
        if (reader.Length > 2L * MaxSamples) throw new InvalidDataException($"{path}: {reader.Length / 2} samples exceed the limit of {MaxSamples}.");
        var bytes = new byte[reader.Length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = reader.Read(bytes, read, bytes.Length - read);
            if (n == 0) throw new InvalidDataException($"{path}: the data chunk says {bytes.Length} bytes but the file ends after {read}.");
            read += n;
        }
        var samples = new float[bytes.Length / 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = (short)(bytes[2 * i] | bytes[2 * i + 1] << 8) / 32768f;
        return (samples, format.SampleRate);
    }
}
