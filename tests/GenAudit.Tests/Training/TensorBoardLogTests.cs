using GenAudit.Rendering;
using System.Text.Json;
using GenAudit.Core;
using GenAudit.Models;
using GenAudit.Tests.Audit;
using GenAudit.Tests.Core;
using GenAudit.Training;
using SkiaSharp;
using Tensorboard;

namespace GenAudit.Tests.Training;

public class TensorBoardLogTests
{
    [Fact]
    public void AResumedRunHasEveryHistoryValueAndEachCheckpointsSamplesAsEvents()
    {
        using var temp = new TempRun();
        var folder = temp.Sub("run");
        var config = TrainingFixtures.TinyConvGan(20) with { LogEvery = 5, CheckpointEvery = 10 };
        using (var data = TrainingFixtures.TinyImages(64))
        {
            using (var trainer = new Trainer(config, data, folder, observer: new CheckpointCharts())) trainer.Run(stopAtStep: 15);
            using (var trainer = new Trainer(config, data, folder, resume: true, observer: new CheckpointCharts())) trainer.Run();
        }

        var files = Directory.GetFiles(folder, "events.out.tfevents.*").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        var first = EventFileReader.Read(files[0]);
        var second = EventFileReader.Read(files[1]);
        Assert.Equal("brain.Event:2", first[0].FileVersion);
        Assert.Equal("brain.Event:2", second[0].FileVersion);
        // The resumed file starts by telling TensorBoard to drop anything after the checkpoint at 15 it resumed from.
        Assert.Equal((SessionLog.Types.SessionStatus.Start, 16L), (second[1].SessionLog.Status, second[1].Step));

        var values = first.Concat(second).Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, Value: v))).ToList();
        var scalars = values.Where(v => v.Value.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue)
            .ToDictionary(v => (v.Step, v.Value.Tag), v => v.Value.SimpleValue);
        var history = File.ReadAllLines(Path.Combine(folder, "history.jsonl"));
        Assert.Equal(4, history.Length);
        var expected = 0;
        foreach (var line in history)
        {
            using var json = JsonDocument.Parse(line);
            var step = json.RootElement.GetProperty("step").GetInt64();
            foreach (var field in json.RootElement.EnumerateObject().Where(f => f.Name is not ("step" or "seconds")))
            {
                var tag = TensorBoardLog.Scalars.Single(s => s.Field == field.Name).Tag;
                Assert.True(scalars.TryGetValue((step, tag), out var logged), $"no event for {field.Name} ({tag}) at step {step}");
                Assert.Equal((float)field.Value.GetDouble(), logged);
                expected++;
            }
        }
        // ns loss with R1 and two networks: losses, penalty, gradient norms, D(real), D(fake), two learning rates.
        Assert.Equal(4 * 9, expected);
        Assert.Equal(expected, scalars.Count);

        var images = values.Where(v => v.Value.ValueCase == Summary.Types.Value.ValueOneofCase.Image).ToList();
        Assert.Equal([10L, 15L, 20L], images.Select(i => i.Step));
        foreach (var (step, value) in images)
        {
            Assert.Equal(TensorBoardLog.SamplesTag, value.Tag);
            var png = value.Image.EncodedImageString.ToByteArray();
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "samples", RunDirectory.CheckpointName(step) + ".png")), png);
            using var bitmap = SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.Equal((bitmap.Width, bitmap.Height), (value.Image.Width, value.Image.Height));
        }
    }

    [Fact]
    public void EveryHistoryFieldHasATag()
    {
        var entry = new HistoryEntry
        {
            Step = 1, LossD = 1, LossG = 2, GradNormD = 3, GradNormG = 4, DReal = 5, DFake = 6, Penalty = 7,
            Loss = 8, Recon = 9, Kl = 10, LrG = 11, LrD = 12, Seconds = 13,
        };
        // The line as history.jsonl holds it: every field has a distinct value, so a tag reading the wrong field fails.
        var line = JsonDocument.Parse(JsonSerializer.Serialize(entry, Json.Compact)).RootElement.EnumerateObject()
            .Where(p => p.Name is not ("step" or "seconds")).ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(line.Keys.Order(), TensorBoardLog.Scalars.Select(s => s.Field).Order());
        Assert.Equal(line.Count, TensorBoardLog.Scalars.Select(s => s.Tag).Distinct().Count());
        Assert.All(TensorBoardLog.Scalars, s => Assert.Equal(line[s.Field], s.Value(entry)));
    }

    [Fact]
    public void NoTensorBoardWritesNoEventFile()
    {
        using var temp = new TempRun();
        var folder = temp.Sub("run");
        var (code, output) = AuditFixtures.Cli("train", "--data", "ring8", "--steps", "4", "--depth", "1", "--width", "8", "--checkpoint-every", "4",
            "--log-every", "2", "--no-tensorboard", "--out", folder);
        Assert.True(code == 0, output);
        Assert.False(Json.ReadFile<RunManifest>(Path.Combine(folder, "manifest.json")).Config.TensorBoard);
        Assert.Empty(Directory.GetFiles(folder, "*tfevents*", SearchOption.AllDirectories));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "history.jsonl")).Length);
    }
}
