using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GenAudit.Core;
using NAudio.Wave;
using NAudio.Wave.SampleProviders;

namespace GenAudit.Data;

/// <summary>Which clips <see cref="SpeechDigits"/> synthesises: every voice × variant × speed × pitch × digit.</summary>
public sealed record SpeechDigitsOptions
{
    /// <summary>espeak-ng's English voices (its own formant voices, not MBROLA). Default: 7 accents.</summary>
    public IReadOnlyList<string> Voices { get; init; } = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"];

    /// <summary>Voice variants ("" is the voice's own); a speaker is one voice with one variant. Default: 13.</summary>
    public IReadOnlyList<string> Variants { get; init; } = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"];

    /// <summary>Variants whose speakers form the test split, so that test speakers are unseen. Default: m7, f5.</summary>
    public IReadOnlyList<string> TestVariants { get; init; } = ["m7", "f5"];

    /// <summary>Words per minute (espeak-ng -s). Default: 110, 140, 170, 200.</summary>
    public IReadOnlyList<int> Speeds { get; init; } = [110, 140, 170, 200];

    /// <summary>Pitches 0–99 (espeak-ng -p). Default: 30, 50, 70.</summary>
    public IReadOnlyList<int> Pitches { get; init; } = [30, 50, 70];

    /// <summary>Samples per second after resampling. Default: 8,000, as SC09 in WaveGAN.</summary>
    public int SampleRate { get; init; } = 8000;

    /// <summary>Samples per clip: shorter clips are padded with silence at the end, longer ones cut. Default: 8,000 (1 s).</summary>
    public int ClipSamples { get; init; } = 8000;

    /// <summary>The espeak-ng program, a name looked up on PATH or a path; not part of <see cref="Key"/>. Default: espeak-ng.</summary>
    public string Program { get; init; } = "espeak-ng";

    /// <summary>The clip count: voices × variants × speeds × pitches × 10 (10,920 by default).</summary>
    public int ClipCount => Voices.Count * Variants.Count * Speeds.Count * Pitches.Count * SpeechDigits.Words.Count;

    /// <summary>A hash of every setting, naming the cache entry.</summary>
    public string Key()
    {
        var text = string.Join("|", string.Join(",", Voices), string.Join(",", Variants), string.Join(",", TestVariants), string.Join(",", Speeds), string.Join(",", Pitches), SampleRate, ClipSamples);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}

/// <summary>The clips of one split: waveforms (N, S) in [−1, 1], digit labels and speaker names.</summary>
public sealed record SpeechClips(float[] Samples, int ClipSamples, int SampleRate, long[] Labels, string[] Speakers)
{
    /// <summary>Clips N.</summary>
    public int Count => Labels.Length;

    /// <summary>Clip <paramref name="index"/>'s samples.</summary>
    public ReadOnlySpan<float> Clip(int index) => Samples.AsSpan(index * ClipSamples, ClipSamples);
}

/// <summary>
/// <c>digits-speech</c>: "zero" … "nine" spoken by Debian's espeak-ng (its output is byte-identical for the same voice,
/// speed, pitch and text) over English voices and variants, speeds and pitches, resampled to 8 kHz by NAudio's WDL
/// resampler and padded or cut to 1 s: an offline stand-in for SC09. Built once into the cache folder; split by speaker.
/// </summary>
public static class SpeechDigits
{
    /// <summary>The ten words, label = index.</summary>
    public static readonly IReadOnlyList<string> Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>
    /// The clips of <paramref name="split"/>, synthesised on first use (about 3 minutes for the default 10,920) into
    /// <paramref name="cacheRoot"/> (default: the cache folder)/digits-speech/KEY.
    /// </summary>
    public static SpeechClips Load(DataSplit split, SpeechDigitsOptions? options = null, IProgress<string>? progress = null, string? cacheRoot = null)
    {
        options ??= new SpeechDigitsOptions();
        var folder = Path.Combine(cacheRoot ?? CacheFolder.Default(), "digits-speech", options.Key());
        var name = split == DataSplit.Train ? "train" : "test";
        var samplesFile = Path.Combine(folder, $"{name}-clips.npy");
        if (!File.Exists(samplesFile)) Build(options, folder, progress);
        var samples = Npy.Read(samplesFile);
        var labels = Npy.Read(Path.Combine(folder, $"{name}-labels.npy"));
        var speakers = File.ReadAllLines(Path.Combine(folder, $"{name}-speakers.txt"));
        return new SpeechClips(samples.Float32!, options.ClipSamples, options.SampleRate, labels.Int64!, speakers);
    }

    /// <summary>
    /// The <c>digits-speech</c> data set of <paramref name="split"/>: every clip as <paramref name="frames"/> (default: 65
    /// frames × 40 mel bands in [0, 1]), labelled with its digit. The frames are computed once and cached next to the
    /// clips (KEY/train-logmel-FRAMESKEY.npy), so the fingerprint does not depend on libtorch's thread count.
    /// </summary>
    public static SeriesDataset LoadFrames(DataSplit split, SpeechDigitsOptions? options = null, LogMelFrames? frames = null,
                                           IProgress<string>? progress = null, string? cacheRoot = null)
    {
        options ??= new SpeechDigitsOptions();
        frames ??= new LogMelFrames { ClipSamples = options.ClipSamples, Spectrogram = new AudioSpectrogram { SampleRate = options.SampleRate } };
        if (frames.ClipSamples != options.ClipSamples || frames.SampleRate != options.SampleRate)
            throw new ArgumentException($"digits-speech: the frames expect clips of {frames.ClipSamples} samples at {frames.SampleRate} Hz, but the clips have {options.ClipSamples} at {options.SampleRate} Hz");
        var name = split == DataSplit.Train ? "train" : "test";
        var clips = Load(split, options, progress, cacheRoot);
        var file = Path.Combine(cacheRoot ?? CacheFolder.Default(), "digits-speech", options.Key(), $"{name}-logmel-{frames.Key()}.npy");
        if (!File.Exists(file))
        {
            progress?.Report($"digits-speech: log-mel frames of {clips.Count} {name} clips");
            var values = new float[(long)clips.Count * frames.Frames * frames.Bands];
            const int Batch = 256;
            for (int start = 0; start < clips.Count; start += Batch)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                int count = Math.Min(Batch, clips.Count - start);
                var waveforms = TorchSharp.torch.tensor(clips.Samples.AsSpan(start * clips.ClipSamples, count * clips.ClipSamples).ToArray(), [count, clips.ClipSamples]);
                frames.Encode(waveforms).contiguous().data<float>().CopyTo(values.AsSpan(start * frames.Frames * frames.Bands, count * frames.Frames * frames.Bands));
            }
            Npy.Write(file, values, [clips.Count, frames.Frames, frames.Bands]);
        }
        var stored = Npy.Read(file);
        if (!stored.Shape.SequenceEqual([clips.Count, frames.Frames, frames.Bands]))
            throw new InvalidDataException($"{file}: holds [{string.Join(", ", stored.Shape)}], expected [{clips.Count}, {frames.Frames}, {frames.Bands}]; delete it to rebuild");
        var bandNames = Enumerable.Range(0, frames.Bands).Select(m => $"mel{m}").ToArray();
        return new SeriesDataset(split == DataSplit.Train ? "digits-speech" : "digits-speech-test", stored.Float32!, frames.Frames, frames.Bands, bandNames, clips.Labels, Words)
        {
            Audio = frames,
        };
    }

    static void Build(SpeechDigitsOptions options, string folder, IProgress<string>? progress)
    {
        if (options.ClipSamples < 1 || options.ClipSamples > 10 * options.SampleRate) throw new ArgumentException($"ClipSamples must be 1 to 10 s of samples, got {options.ClipSamples}");
        if ((long)options.ClipCount * options.ClipSamples > SeriesDataset.MaxValues)
            throw new ArgumentException($"digits-speech: {options.ClipCount} clips of {options.ClipSamples} samples exceed the limit of {SeriesDataset.MaxValues} values; use fewer voices, speeds or pitches");
        Directory.CreateDirectory(folder);
        var work = Path.Combine(folder, $"tmp-{Environment.ProcessId}.wav");
        var parts = new Dictionary<bool, (List<float> Samples, List<long> Labels, List<string> Speakers)>
        {
            [false] = ([], [], []),
            [true] = ([], [], []),
        };
        int done = 0;
        try
        {
            foreach (var voice in options.Voices)
                foreach (var variant in options.Variants)
                {
                    var speaker = variant.Length == 0 ? voice : $"{voice}+{variant}";
                    var part = parts[options.TestVariants.Contains(variant)];
                    foreach (var speed in options.Speeds)
                        foreach (var pitch in options.Pitches)
                            for (int digit = 0; digit < Words.Count; digit++)
                            {
                                Speak(options.Program, speaker, speed, pitch, Words[digit], work);
                                part.Samples.AddRange(Resampled(work, options));
                                part.Labels.Add(digit);
                                part.Speakers.Add(speaker);
                                if (++done % 500 == 0) progress?.Report($"digits-speech: {done} of {options.ClipCount} clips");
                            }
                }
        }
        finally { File.Delete(work); }
        foreach (var (test, part) in parts)
        {
            var name = test ? "test" : "train";
            Npy.Write(Path.Combine(folder, $"{name}-labels.npy"), part.Labels.ToArray(), [part.Labels.Count]);
            AtomicFile.WriteAllText(Path.Combine(folder, $"{name}-speakers.txt"), string.Join('\n', part.Speakers) + "\n");
            Npy.Write(Path.Combine(folder, $"{name}-clips.npy"), part.Samples.ToArray(), [part.Labels.Count, options.ClipSamples]);
        }
    }

    static void Speak(string program, string speaker, int speed, int pitch, string word, string path)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-v", speaker, "-s", speed.ToString(), "-p", pitch.ToString(), "-w", path, word }) start.ArgumentList.Add(argument);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new FileNotFoundException($"digits-speech needs espeak-ng, which is not installed ('{program}' was not found); install it with: sudo apt-get install espeak-ng", program);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"espeak-ng -v {speaker} -s {speed} -p {pitch} '{word}' failed (exit {process.ExitCode}): {error.Trim()}");
        }
    }

    // The clip at the target rate, padded with silence or cut to ClipSamples.
    static float[] Resampled(string path, SpeechDigitsOptions options)
    {
        using var reader = new WaveFileReader(path);
        var resampler = new WdlResamplingSampleProvider(reader.ToSampleProvider(), options.SampleRate);
        var clip = new float[options.ClipSamples];
        int filled = 0;
        var buffer = new float[4096];
        int read;
        while ((read = resampler.Read(buffer, 0, buffer.Length)) > 0 && filled < clip.Length)
        {
            int take = Math.Min(read, clip.Length - filled);
            Array.Copy(buffer, 0, clip, filled, take);
            filled += take;
        }
        return clip;
    }
}
