using GenAudit.Cli;
using GenAudit.Data;
using GenAudit.Tests.Training;
using GenAudit.Training;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Cli;

public class CliTests
{
    static (int Code, string Output) Run(params string[] args) => GenAudit.Tests.Audit.AuditFixtures.Cli(args);

    [Fact]
    public void ATokenRunGeneratesTextAndIsEvaluatedAndMeasuredForStability()
    {
        using var temp = new TempRun();
        var run = temp.Sub("words");
        var (trained, output) = Run("train", "--data", "words", "--model", "mle", "--steps", "2", "--batch", "8", "--out", run);
        Assert.True(trained == 0, output);

        var samples = Path.Combine(temp.Path, "samples.txt");
        var (generated, generateOutput) = Run("generate", "--run", run, "-n", "7", "--out", samples);
        Assert.True(generated == 0, generateOutput);
        var lines = File.ReadAllLines(samples);
        Assert.Equal(7, lines.Length);
        Assert.All(lines, line => Assert.Matches("^[a-z]*$", line));
        Assert.Equal(2, Run("generate", "--run", run, "-n", "7", "--out", Path.Combine(temp.Path, "grid.png")).Code);

        var json = Path.Combine(temp.Path, "evaluate.json");
        var (evaluated, evaluateOutput) = Run("evaluate", "--run", run, "-n", "20", "--json", json);
        Assert.True(evaluated == 0, evaluateOutput);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        foreach (var key in new[] { "bleu.2", "bleu.5", "selfBleu.2", "selfBleu.5", "distinct.1", "nll.test", "copies.verbatim.train", "copies.verbatim.test" })
            Assert.True(document.RootElement.TryGetProperty(key, out _), key);
        Assert.False(document.RootElement.TryGetProperty("nll.oracle", out _));

        var stabilityJson = Path.Combine(temp.Path, "stability.json");
        var (stable, stabilityOutput) = Run("stability", "--run", run, "-n", "20", "--eps", "0.1", "--json", stabilityJson);
        Assert.True(stable == 0, stabilityOutput);
        using var stability = System.Text.Json.JsonDocument.Parse(File.ReadAllText(stabilityJson));
        Assert.Equal(1.0, stability.RootElement.GetProperty("repeat").GetDouble());
        foreach (var key in new[] { "local.0.1.edit", "local.0.1.jaccard", "independent.edit", "independent.jaccard", "determinism.seed.maxAbsDiff" })
            Assert.True(stability.RootElement.TryGetProperty(key, out _), key);

    }

    [Fact]
    public void AGruTokenRunWithALatentSamplesWithTopKAndExplainsItsPrompt()
    {
        using var temp = new TempRun();
        var text = Path.Combine(temp.Path, "words.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 40).Select(i => string.Join(' ', new[] { "the", "cat", "sat", "on", "a", "mat" }.Skip(i % 3).Take(3 + i % 2))));
        var run = temp.Sub("gru");
        var (trained, output) = Run("train", "--data", "text:" + text, "--model", "mle", "--cell", "gru", "--latent", "2", "--steps", "4", "--batch", "8", "--out", run);
        Assert.True(trained == 0, output);
        using (var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))))
        {
            var model = manifest.RootElement.GetProperty("config").GetProperty("model");
            Assert.Equal("gru", model.GetProperty("cell").GetString());
            Assert.Equal(2, model.GetProperty("stateLatentSize").GetInt32());
        }
        var samples = Path.Combine(temp.Path, "samples.txt");
        var (generated, generateOutput) = Run("generate", "--run", run, "-n", "5", "--temperature", "0.5", "--top-k", "2", "--out", samples);
        Assert.True(generated == 0, generateOutput);
        Assert.Equal(5, File.ReadAllLines(samples).Length);
        Assert.Equal(2, Run("generate", "--run", run, "-n", "5", "--temperature", "0", "--out", samples).Code);
        Assert.Equal(2, Run("train", "--data", "ring8", "--cell", "gru", "--steps", "1", "--out", temp.Sub("ring")).Code);

        var folder = temp.Sub("explain");
        var (explained, explainOutput) = Run("explain", "--run", run, "--method", "ig", "--prompt", "the cat", "--target", "logprob:sat", "--out", folder);
        Assert.True(explained == 0, explainOutput);
        Assert.Contains("each prompt token", explainOutput);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "explain.json")));
        Assert.Equal("prompt", document.RootElement.GetProperty("input").GetString());
        Assert.Equal(2, document.RootElement.GetProperty("tokenAttributions")[0].GetArrayLength());
        Assert.Equal(2, Run("explain", "--run", run, "--method", "ig", "--input", "prompt", "--target", "nll").Code);

        var audit = temp.Sub("audit");
        var (audited, auditOutput) = Run("audit", "--run", run, "--quick", "-n", "20", "--temperature", "0.8", "--top-k", "3", "--out", audit);
        Assert.True(audited == 0, auditOutput);
        Assert.Contains("drawn with temperature 0.8, top-k 3", File.ReadAllText(Path.Combine(audit, "summary.json")));
    }

    [Fact]
    public void ATokenRunIsAuditedWithTextKeysAndItsSamplesAreEscapedInTheReport()
    {
        // Every word of this text is markup, so every generated sample is; the report must show it as text.
        using var temp = new TempRun();
        var text = Path.Combine(temp.Path, "markup.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 60).Select(i => $"<b>{i % 9} & </b> \"q\" <script>"));
        var run = temp.Sub("markup");
        var (trained, output) = Run("train", "--data", "text:" + text, "--model", "mle", "--steps", "2", "--batch", "8", "--out", run);
        Assert.True(trained == 0, output);
        var policy = Path.Combine(temp.Path, "policy.json");
        File.WriteAllText(policy, """{ "bleu.2": { "min": 0 }, "local.0.03.edit": { "min": 0 }, "copies.verbatim.train": { "max": 1 }, "fid": { "max": 10 }, "local.0.03.ssim": { "min": 0.5 }, "explainability.margin": { "min": 0.1 } }""");

        var folder = temp.Sub("audit");
        var (audited, auditOutput) = Run("audit", "--run", run, "--quick", "-n", "20", "--policy", policy, "--out", folder);
        Assert.True(audited == 0, auditOutput);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var status = summary.RootElement.GetProperty("verdicts").EnumerateArray().ToDictionary(v => v.GetProperty("key").GetString()!, v => v.GetProperty("status").GetString());
        Assert.Equal("pass", status["bleu.2"]);
        Assert.Equal("pass", status["local.0.03.edit"]);
        Assert.Equal("pass", status["copies.verbatim.train"]);
        Assert.Equal("notApplicable", status["fid"]);
        Assert.Equal("notApplicable", status["local.0.03.ssim"]);
        Assert.Equal("notApplicable", status["explainability.margin"]);

        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        var samples = System.Text.RegularExpressions.Regex.Match(html, "<ol class=\"text-samples\">(.*?)</ol>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(samples.Success, "no text samples in the report");
        Assert.Contains("&lt;", samples.Groups[1].Value);
        Assert.DoesNotContain("<b>", samples.Groups[1].Value);
        Assert.DoesNotContain("<script>", samples.Groups[1].Value);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script>"));   // the report's own image check
    }

    [Fact]
    public void EveryHelpExampleParses()
    {
        var console = new TestConsole();
        var app = GenAuditApp.Create(console);
        app.Configure(config => config.ValidateExamples());
        Assert.True(app.Run(["--help"]) == 0, console.Output);
        Assert.Contains("train", console.Output);
        foreach (var verb in new[] { "train", "generate", "evaluate", "stability", "explain", "latents", "audit", "calibrate", "import", "demo", "sweep", "silo", "sweep-item", "audit-item" })
        {
            var (code, output) = Run(verb, "--help");
            Assert.Equal(0, code);
            Assert.Contains("EXAMPLES", output);
        }
    }

    [Theory]
    [InlineData(new[] { "train", "--data", "ring8", "--model", "diffusion" }, "--model must be one of gan, cgan, vae, cvae")]
    [InlineData(new[] { "train", "--data", "ring8", "--steps", "10", "--epochs", "2" }, "give --steps or --epochs, not both")]
    [InlineData(new[] { "train", "--data", "no-such-data-set" }, "no-such-data-set")]
    [InlineData(new[] { "train", "--data", "ring8", "--model", "cgan", "--batch", "1" }, "--batch must be at least 2")]
    [InlineData(new[] { "train", "--data", "ring8", "--ema", "1.5" }, "--ema must be in [0, 1)")]
    [InlineData(new[] { "train", "--data", "ring8", "--model", "seqgan" }, "--model seqgan trains on token sequences; use --data oracle")]
    [InlineData(new[] { "train", "--data", "words", "--cell", "rnn" }, "--cell must be one of lstm, gru")]
    [InlineData(new[] { "train", "--data", "words", "--latent", "-1" }, "--latent must be 0 (no state latent) or more")]
    [InlineData(new[] { "train", "--data", "ring8", "--length", "40" }, "--length, --oracle-seed, --oracle-samples, --pretrain-g, --pretrain-d, --rollouts and --cell apply to token models")]
    [InlineData(new[] { "train", "--data", "ring8", "--curiosity", "icm" }, "--curiosity must be one of rnd, count, none")]
    [InlineData(new[] { "train", "--data", "ring8", "--curiosity-weight", "2" }, "--curiosity-weight needs --curiosity rnd or count")]
    [InlineData(new[] { "train", "--data", "ring8", "--pack", "5" }, "--pack must be 1 (off), 2, 3 or 4")]
    [InlineData(new[] { "generate", "--run", "/no/such/run", "--out", "x.png" }, "/no/such/run")]
    [InlineData(new[] { "generate", "--run", "r", "--out", "x.gif" }, "--out must end in .png, .npy, .csv, .txt or .wav")]
    [InlineData(new[] { "calibrate", "--quick" }, "--data is required")]
    [InlineData(new[] { "calibrate", "--data", "mnist", "--bank", "1" }, "--bank 1: give 2 to 20000 samples")]
    [InlineData(new[] { "calibrate", "--data", "no-such-data-set" }, "no-such-data-set")]
    [InlineData(new[] { "sweep", "--out", "s" }, "--spec is required")]
    [InlineData(new[] { "sweep", "--spec", "/no/such.sweep.json", "--out", "s" }, "/no/such.sweep.json: sweep file not found")]
    [InlineData(new[] { "sweep", "--spec", "x.json", "--out", "s", "--cluster", "--workers", "2" }, "with --cluster the silos run the items")]
    [InlineData(new[] { "sweep", "--spec", "x.json", "--out", "s", "--redis", "h:1" }, "--redis and --gateways apply with --cluster only")]
    [InlineData(new[] { "silo" }, "--artifacts is required")]
    [InlineData(new[] { "silo", "--artifacts", "a", "--redis", "localhost" }, "--redis 'localhost': give HOST:PORT")]
    public void BadInputExitsWithCodeTwoAndAClearMessage(string[] args, string expected)
    {
        var (code, output) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, output.Replace("\n", ""));
    }

    [Fact]
    public void TrainThenGenerateEveryFormat()
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        // A constant learning rate, so that --resume --steps may extend the run (with decay it is refused: RunSafetyTests).
        var (code, output) = Run("train", "--data", "ring8", "--steps", "60", "--batch", "64", "--width", "16", "--lr-decay", "1", "--out", run);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(run, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(run, "loss.png")));
        Assert.Equal(2, HistoryFile.Read(Path.Combine(run, "history.jsonl")).Count);

        Assert.Equal(0, Run("generate", "--run", run, "--n", "10", "--seed", "3", "--out", temp.Sub("p.csv")).Code);
        var lines = File.ReadAllLines(temp.Sub("p.csv"));
        Assert.Equal("x,y", lines[0]);
        Assert.Equal(11, lines.Length);

        Assert.Equal(0, Run("generate", "--run", run, "--n", "10", "--seed", "3", "--out", temp.Sub("p.npy")).Code);
        var npy = Npy.Read(temp.Sub("p.npy"));
        Assert.Equal(new long[] { 10, 2 }, npy.Shape);
        // Same seed, same samples, whatever the format.
        Assert.Equal(double.Parse(lines[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture), npy.Float32![0], 5);

        Assert.Equal(0, Run("generate", "--run", run, "--n", "100", "--out", temp.Sub("p.png")).Code);
        Assert.True(new FileInfo(temp.Sub("p.png")).Length > 1000);

        var (again, message) = Run("train", "--data", "ring8", "--steps", "60", "--out", run);
        Assert.Equal(2, again);
        Assert.Contains("--resume", message);
        var (resumed, resumeOutput) = Run("train", "--out", run, "--resume", "--steps", "80");
        Assert.True(resumed == 0, resumeOutput);
        Assert.Contains("steps 60 → 80", resumeOutput.Replace("\n", ""));
        var (refused, refusedOutput) = Run("train", "--out", run, "--resume", "--lr", "0.1");
        Assert.Equal(2, refused);
        Assert.Contains("only --steps may be given", refusedOutput.Replace("\n", ""));
    }

    [Fact]
    public void GenerateWritesImagesAsFloat32InTheUnitInterval()
    {
        using var temp = new TempRun();
        using var data = TrainingFixtures.TinyImages(64);
        using (var trainer = new Trainer(TrainingFixtures.TinyConvGan(5), data, temp.Sub("run"))) trainer.Run();
        var (code, output) = Run("generate", "--run", temp.Sub("run"), "--n", "6", "--condition", "3", "--out", temp.Sub("x.npy"));
        Assert.True(code == 0, output);
        var npy = Npy.Read(temp.Sub("x.npy"));
        Assert.Equal(new long[] { 6, 1, 8, 8 }, npy.Shape);
        Assert.All(npy.Float32!, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(2, Run("generate", "--run", temp.Sub("run"), "--n", "6", "--condition", "10", "--out", temp.Sub("y.npy")).Code);
        Assert.Equal(2, Run("generate", "--run", temp.Sub("run"), "--n", "6", "--out", temp.Sub("y.csv")).Code);
    }
}
