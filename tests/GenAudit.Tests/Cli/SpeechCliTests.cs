using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using GenAudit.Audit;
using GenAudit.Data;
using GenAudit.Models;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Tests.Data;
using GenAudit.Tests.Training;
using GenAudit.Training;

namespace GenAudit.Tests.Cli;

public partial class SpeechCliTests
{
    static (int Code, string Output) Cli(params string[] args) => GenAudit.Tests.Audit.AuditFixtures.Cli(args);

    /// <summary>The format fields of a RIFF WAVE file, read by hand chunk by chunk: channels, rate, bits, data bytes.</summary>
    static (int Channels, int SampleRate, int Bits, int DataBytes) Header(byte[] wav)
    {
        Assert.Equal("RIFF", Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal(wav.Length - 8, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(4)));
        Assert.Equal("WAVE", Encoding.ASCII.GetString(wav, 8, 4));
        (int, int, int)? format = null;
        for (int at = 12; at + 8 <= wav.Length;)
        {
            var id = Encoding.ASCII.GetString(wav, at, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(at + 4));
            if (id == "fmt ")
            {
                Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(at + 8)));      // PCM
                format = (BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(at + 10)), BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(at + 12)),
                          BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(at + 22)));
            }
            if (id == "data")
            {
                Assert.Equal(wav.Length, at + 8 + size);
                var (channels, rate, bits) = format ?? throw new InvalidDataException("data chunk before fmt chunk");
                return (channels, rate, bits, size);
            }
            at += 8 + size + (size & 1);
        }
        throw new InvalidDataException("no data chunk");
    }

    [GeneratedRegex("<audio controls[^>]*src=\"data:audio/wav;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex AudioElement();

    [Fact]
    public void ASpeechRunTrainsGeneratesWavClipsAndItsReportEmbedsPlayers()
    {
        using var temp = new TempRun();
        var options = new DatasetOptions { Speech = SpeechFramesTests.Small, CacheRoot = temp.Sub("cache") };
        var train = DatasetRegistry.Resolve("digits-speech", options);
        var test = DatasetRegistry.Resolve("digits-speech", options with { Split = DataSplit.Test });
        var run = temp.Sub("run");

        // 20 steps of the digits-speech defaults (RCGAN, 65 frames × 40 bands), on a batch of 8.
        var config = TrainingConfig.DefaultsFor("digits-speech") with { Steps = 20, BatchSize = 8, LogEvery = 5, CheckpointEvery = 20, TensorBoard = false, Threads = 1 };
        using (var data = TrainingDataLoader.From(train))
        using (var trainer = new Trainer(config, data, run, observer: new CheckpointCharts()))
        {
            Assert.Equal(TrainingOutcome.Completed, trainer.Run().Outcome);
            Assert.Equal([65L, 40], trainer.Config.Model.DataShape);
        }
        var history = HistoryFile.Read(new RunDirectory(run).History);
        Assert.Equal(4, history.Count);
        Assert.All(history, h => Assert.True(double.IsFinite(h.LossD!.Value) && double.IsFinite(h.LossG!.Value)));
        Assert.True(File.Exists(Path.Combine(new RunDirectory(run).Samples, RunDirectory.CheckpointName(20) + ".png")));

        // generate: three clips one after another with 0.25 s of silence between, 16-bit mono at 8 kHz.
        var (code, output) = Cli("generate", "--run", run, "--n", "3", "--seed", "2", "--out", temp.Sub("clips.wav"));
        Assert.True(code == 0, output);
        var bytes = File.ReadAllBytes(temp.Sub("clips.wav"));
        Assert.Equal((1, 8000, 16, 2 * (3 * 8000 + 2 * 2000)), Header(bytes));
        var (samples, rate) = AudioWav.Read(temp.Sub("clips.wav"));
        Assert.Equal(8000, rate);
        Assert.All(samples.AsSpan(8000, 2000).ToArray(), v => Assert.Equal(0f, v));                 // the gap after clip 1
        Assert.True(samples.Take(8000).Any(v => v != 0), "the first clip is silent");
        (code, output) = Cli("generate", "--run", run, "--n", "3", "--out", temp.Sub("frames.npy"));
        Assert.True(code == 0, output);
        Assert.Equal([3L, 65, 40], Npy.Read(temp.Sub("frames.npy")).Shape);
        (code, output) = Cli("generate", "--run", run, "--n", "4", "--out", temp.Sub("spectrograms.png"));
        Assert.True(code == 0, output);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(temp.Sub("spectrograms.png")).Take(4));

        // The audit's report: spectrograms and inline players for 8 generated and 8 real clips that decode as WAV.
        var loaded = RunLoader.Load(run);
        var (extractor, _) = FeatureSpaces.For(OutputKinds.Of(train), train).Open(train, test, "digits-speech", null);
        var folder = temp.Sub("audit");
        AuditResult result;
        using (var subject = AuditSubject.ForGenerator(loaded.Generator, "test", run, "digits-speech", train, test, extractor, null))
        {
            Assert.Equal(OutputKind.Audio, subject.Output);
            var tiny = new AuditOptions
            {
                QualitySamples = 10, StabilitySamples = 4, WorstCaseSamples = 2, WorstCaseSteps = 1, Epsilons = [0.1],
                Methods = ["ig"], ExplainSamples = 1, TraversalDirections = 1, TraversalStrengths = [0],
            };
            result = new AuditRunner(tiny).Run(subject, run, Policy.Parse("""{"repeat": {"min": 1}}""", "test"), folder);
        }
        Assert.Equal(2 * AudioSampleView.ClipCount, result.Clips.Count);
        Assert.Equal(AudioSampleView.ClipCount, result.Clips.Count(c => c.Real));
        var (htmlPath, jsonPath, _) = AuditReport.Write(result, folder);
        var html = File.ReadAllText(htmlPath);
        Assert.Contains("clips/real-1.wav", File.ReadAllText(jsonPath));
        var players = AudioElement().Matches(html);
        Assert.Equal(2 * AudioSampleView.ClipCount, players.Count);
        foreach (Match player in players)
        {
            var clip = Convert.FromBase64String(player.Groups[1].Value);
            Assert.Equal((1, 8000, 16, 2 * 8000), Header(clip));
        }
        Assert.Contains("real 1 (class 0)", html);
        Assert.Contains("data:image/png;base64,", html);
    }

    [Fact]
    public void AConditionalSpeechRunSaysWhichDigitToSay()
    {
        using var temp = new TempRun();
        var options = new DatasetOptions { Speech = SpeechFramesTests.Small, CacheRoot = temp.Sub("cache") };
        var train = DatasetRegistry.Resolve("digits-speech", options);
        var run = temp.Sub("run");
        var defaults = TrainingConfig.DefaultsFor("digits-speech");
        var config = defaults with { Steps = 4, BatchSize = 8, LogEvery = 2, CheckpointEvery = 4, TensorBoard = false, Threads = 1, Model = defaults.Model with { ConditionalSeries = true } };
        using (var data = TrainingDataLoader.From(train))
        using (var trainer = new Trainer(config, data, run))
        {
            Assert.Equal(TrainingOutcome.Completed, trainer.Run().Outcome);
            Assert.Equal(10, trainer.Config.Model.ConditionCount);
        }
        using (var loaded = RunLoader.Load(run)) Assert.Equal(10, loaded.Generator.ConditionCount);

        // generate --condition asks for one digit; a class the run does not have is refused and writes nothing.
        var (code, output) = Cli("generate", "--run", run, "--n", "2", "--condition", "3", "--out", temp.Sub("three.npy"));
        Assert.True(code == 0, output);
        (code, output) = Cli("generate", "--run", run, "--n", "2", "--condition", "4", "--out", temp.Sub("four.npy"));
        Assert.True(code == 0, output);
        var three = Npy.Read(temp.Sub("three.npy")).Float32!;
        var four = Npy.Read(temp.Sub("four.npy")).Float32!;
        Assert.Equal(2 * 65 * 40, three.Length);
        Assert.False(three.SequenceEqual(four), "the same latents gave the same frames for digits 3 and 4");
        (code, output) = Cli("generate", "--run", run, "--n", "2", "--condition", "10", "--out", temp.Sub("ten.wav"));
        Assert.Equal(2, code);
        Assert.Contains("--condition must be in 0..9", output.Replace("\n", ""));
        Assert.False(File.Exists(temp.Sub("ten.wav")));
    }

    [Fact]
    public void WavIsRefusedForARunThatIsNotSpeech()
    {
        using var temp = new TempRun();
        var csv = temp.Sub("load.csv");
        File.WriteAllLines(csv, ["a,b", .. Enumerable.Range(0, 20).Select(r => $"{r % 3},{r}")]);
        var run = temp.Sub("run");
        var (trained, output) = Cli("train", "--data", "series:" + csv, "--model", "rcgan", "--window", "4", "--steps", "1", "--batch", "4", "--width", "4", "--out", run);
        Assert.True(trained == 0, output);
        var (code, message) = Cli("generate", "--run", run, "--n", "2", "--out", temp.Sub("x.wav"));
        Assert.Equal(2, code);
        Assert.Contains(".wav is for speech runs", message.Replace("\n", ""));
        Assert.False(File.Exists(temp.Sub("x.wav")));
    }
}
