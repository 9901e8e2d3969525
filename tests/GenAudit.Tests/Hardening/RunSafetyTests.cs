using GenAudit.Core;
using GenAudit.Interop;
using GenAudit.Runs;
using GenAudit.Tests.Interop;
using GenAudit.Tests.Training;
using GenAudit.Training;

namespace GenAudit.Tests.Hardening;

/// <summary>Issue #18: paths confined to the run, resumes that never strand a run, checkpoints that never delete first, summary.md code spans.</summary>
public class RunSafetyTests
{
    static void Train(string folder, long steps, long stopAt, double decay = 0.5)
    {
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(steps) with { LearningRateDecay = decay, CheckpointEvery = 5 };
        using var trainer = new Trainer(config, data, folder);
        trainer.Run(stopAtStep: stopAt);
    }

    [Theory]
    [InlineData("../../elsewhere/step-00000010")]
    [InlineData("ABSOLUTE")]
    public void LatestJsonPointingOutsideTheRunIsRefused(string pointer)
    {
        using var temp = new TempRun();
        var run = new RunDirectory(temp.Sub("run"));
        Train(run.Root, 20, 10);
        // A complete, hash-valid checkpoint outside the run: today it is loaded from there.
        var outside = Path.Combine(temp.Path, "elsewhere", "step-00000010");
        GenAudit.Tests.Audit.AuditFixtures.CopyDirectory(run.CheckpointFolder(10), outside);
        if (pointer == "ABSOLUTE") pointer = outside;
        Json.WriteFile(run.Latest, new LatestCheckpoint(10, pointer));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.FindLatest(run));
        Assert.Contains(run.Latest, error.Message);
        Assert.Contains(pointer == outside ? "must be relative" : "leads outside", error.Message);
    }

    [Fact]
    public void StateJsonListingAFileOutsideTheCheckpointIsRefused()
    {
        using var temp = new TempRun();
        var run = new RunDirectory(temp.Sub("run"));
        Train(run.Root, 20, 10);
        var folder = run.CheckpointFolder(10);
        var stateFile = Path.Combine(folder, "state.json");
        var state = Json.ReadFile<CheckpointState>(stateFile);
        File.WriteAllText(Path.Combine(run.Root, "secret.txt"), "x");
        var files = state.Files.ToDictionary(kv => kv.Key, kv => kv.Value);
        files["../../secret.txt"] = Checkpoint.Sha256(Path.Combine(run.Root, "secret.txt"));
        Json.WriteFile(stateFile, state with { Files = files });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.FindLatest(run));
        Assert.Contains("leads outside", error.Message);
    }

    [Theory]
    [InlineData("../outside.onnx")]
    [InlineData("ABSOLUTE")]
    public void AManifestModelFileOutsideTheRunIsRefused(string modelFile)
    {
        using var temp = new TempRun();
        var run = ModelImport.ImportOnnx(InteropFixtures.Path("mlp2d.onnx"), new OnnxGeneratorOptions { LatentSize = 4 }, temp.Sub("run"));
        var outside = Path.Combine(temp.Path, "outside.onnx");
        File.Copy(InteropFixtures.Path("mlp2d.onnx"), outside);
        if (modelFile == "ABSOLUTE") modelFile = outside;
        var manifest = Json.ReadFile<RunManifest>(run.Manifest);
        Json.WriteFile(run.Manifest, manifest with { Import = manifest.Import! with { ModelFile = modelFile } });

        var error = Assert.Throws<InvalidDataException>(() => RunLoader.Load(run.Root));
        Assert.Contains(run.Manifest, error.Message);
    }

    [Fact]
    public void ResumingARunKilledBeforeItsFirstCheckpointStartsAtZeroAndMatchesAFreshRun()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(20) with { CheckpointEvery = 10 };
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) straight.Run();
        // The state a kill before the first checkpoint leaves: manifest and an empty history, no checkpoints/.
        using (new Trainer(config, data, temp.Sub("killed"))) { }
        Assert.Null(Checkpoint.FindLatest(new RunDirectory(temp.Sub("killed"))));

        using (var resumed = new Trainer(config, data, temp.Sub("killed"), resume: true))
        {
            Assert.Equal(0, resumed.Step);
            Assert.Equal(TrainingOutcome.Completed, resumed.Run().Outcome);
        }
        AssertSameWeights(temp.Sub("straight"), temp.Sub("killed"), 20);
    }

    [Fact]
    public void ExtendingADecayedRunOnResumeIsRefusedWithTheJumpAndTheWayOut()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(10) with { LearningRateDecay = 0.1, CheckpointEvery = 10 };
        using (var first = new Trainer(config, data, temp.Sub("run"))) first.Run();
        var error = Assert.Throws<ArgumentException>(() => new Trainer(config with { Steps = 20 }, data, temp.Sub("run"), resume: true));
        // At step 10 of 10 the rate is 0.1× lr0; over 20 steps step 10 would be 0.1^(10/20) = 0.3162×.
        Assert.Contains("at step 10 it is 0.1× lr0", error.Message);
        Assert.Contains("jump to 0.3162×", error.Message);
        Assert.Contains("train a new run with --steps 20", error.Message);
    }

    [Fact]
    public void ExtendingAConstantRateRunOnResumeIsBitIdenticalToTheLongerStraightRun()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        var config = TrainingFixtures.TinyConvGan(20) with { LearningRateDecay = 1, CheckpointEvery = 10 };
        using (var straight = new Trainer(config, data, temp.Sub("straight"))) straight.Run();
        using (var first = new Trainer(config with { Steps = 10 }, data, temp.Sub("extended"))) first.Run();
        using (var second = new Trainer(config, data, temp.Sub("extended"), resume: true)) second.Run();
        AssertSameWeights(temp.Sub("straight"), temp.Sub("extended"), 20);
    }

    [Fact]
    public void ACheckpointBeingReplacedAtTheSameStepStaysLoadable()
    {
        using var temp = new TempRun();
        var run = new RunDirectory(temp.Sub("run"));
        Train(run.Root, 20, 10);
        // The moment between setting the old step-10 folder aside and moving its replacement in.
        var folder = run.CheckpointFolder(10);
        Directory.Move(folder, Path.Combine(run.Checkpoints, ".step-00000010.replaced"));
        var found = Checkpoint.FindLatest(run);
        Assert.NotNull(found);
        Assert.Equal(10, found.Value.Latest.Step);
        using var loaded = RunLoader.Load(run.Root);
        Assert.Equal(10, loaded.Step);
    }

    [Theory]
    [InlineData("runs/a", "`runs/a`")]
    [InlineData("runs/a`](http://x)`b", "``runs/a`](http://x)`b``")]
    [InlineData("`x``", "``` `x`` ```")]
    public void SummaryCodeSpansCannotBeClosedByTheirContent(string text, string expected) =>
        Assert.Equal(expected, global::GenAudit.Audit.AuditReport.CodeSpan(text));

    internal static void AssertSameWeights(string a, string b, long step)
    {
        var left = Checkpoint.FindLatest(new RunDirectory(a))!.Value;
        var right = Checkpoint.FindLatest(new RunDirectory(b))!.Value;
        Assert.Equal(step, left.Latest.Step);
        Assert.Equal(step, right.Latest.Step);
        foreach (var file in Directory.GetFiles(left.Folder, "*.safetensors").Select(Path.GetFileName))
        {
            var x = TrainingFixtures.StateBytes(Path.Combine(left.Folder, file!));
            var y = TrainingFixtures.StateBytes(Path.Combine(right.Folder, file!));
            Assert.Equal(x.Keys.Order(), y.Keys.Order());
            foreach (var key in x.Keys) Assert.True(x[key].AsSpan().SequenceEqual(y[key]), $"{file}: {key} differs");
        }
    }
}
