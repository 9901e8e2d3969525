using GenAudit.Cli;
using GenAudit.Cli.Infrastructure;
using GenAudit.Tests.Training;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Cli;

public class SharedOptionsTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 1000;
        int code = GenAuditApp.Run(args, console);
        return (code, console.Output);
    }

    [Theory]
    [InlineData(new[] { "audit", "--run", "r", "--polcy", "strict.json" }, "unknown option '--polcy'; did you mean '--policy'?")]
    [InlineData(new[] { "audit", "--polcy", "strict.json" }, "unknown option '--polcy'; did you mean '--policy'?")]
    [InlineData(new[] { "explain", "--run", "r", "--methd", "ig", "--target", "class:3" }, "unknown option '--methd'; did you mean '--method'?")]
    [InlineData(new[] { "stability", "--run", "r", "--epss", "0.1" }, "unknown option '--epss'; did you mean '--eps'?")]
    [InlineData(new[] { "evaluate", "--run", "r", "--dump-feature", "f" }, "unknown option '--dump-feature'; did you mean '--dump-features'?")]
    [InlineData(new[] { "latents", "--run", "r", "--seeed", "1" }, "unknown option '--seeed'; did you mean '--seed'?")]
    [InlineData(new[] { "generate", "--run", "r", "--out", "x.png", "--condtion", "3" }, "unknown option '--condtion'; did you mean '--condition'?")]
    [InlineData(new[] { "train", "--data", "ring8", "--spectral-nrom" }, "unknown option '--spectral-nrom'; did you mean '--spectral-norm'?")]
    [InlineData(new[] { "import", "--onnx", "g.onnx", "--latnet", "4", "--out", "x" }, "unknown option '--latnet'; did you mean '--latent'?")]
    // A shared option the verb does not take is unknown there, like any other.
    [InlineData(new[] { "generate", "--run", "r", "--out", "x.png", "--json", "g.json" }, "unknown option '--json'")]
    [InlineData(new[] { "train", "--data", "ring8", "-n", "5" }, "unknown option '-n'")]
    public void UnknownOptionExitsTwoNamingItAndTheClosestKnownOne(string[] args, string expected)
    {
        var (code, output) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
        Assert.Single(output.Split('\n'), line => line.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public void MisspeltVerbExitsTwoNamingTheClosestVerb()
    {
        var (code, output) = Run("trian", "--data", "ring8");
        Assert.Equal(2, code);
        Assert.Contains("Unknown command 'trian'", output);
        Assert.Contains("Did you mean 'train'?", output);
    }

    [Fact]
    public void TrainWithAnUnknownOptionTrainsNothing()
    {
        using var temp = new TempRun();
        var (code, output) = Run("train", "--bogus", "3", "--data", "ring8", "--steps", "5", "--out", temp.Sub("run"));
        Assert.Equal(2, code);
        Assert.Contains("unknown option '--bogus'; 'genaudit train --help' lists the options of train", output);
        Assert.False(Directory.Exists(temp.Sub("run")));
    }

    [Theory]
    [InlineData("generate", "1", "0")]
    [InlineData("generate", "1", "-3")]
    [InlineData("explain", "1", "0")]
    [InlineData("latents", "2", "1")]
    [InlineData("evaluate", "10", "9")]
    [InlineData("stability", "10", "0")]
    [InlineData("audit", "10", "-1")]
    public void SampleCountBelowTheVerbsMinimumIsOneClearError(string verb, string minimum, string given)
    {
        // -n is checked by the shared base with the verb's minimum, before the verb's own checks (--out, --target...).
        var (code, output) = Run(verb, "--run", "r", $"--n={given}");
        Assert.Equal(2, code);
        Assert.Equal($"error: --n must be at least {minimum}, got {given}", output.Trim());
    }

    [Fact]
    public void RunIsRequiredByEveryVerbThatTakesIt()
    {
        foreach (var verb in new[] { "generate", "evaluate", "stability", "explain", "latents", "audit" })
        {
            var (code, output) = Run(verb);
            Assert.Equal(2, code);
            // audit adds its other ways to name runs: "(or --runs DIR1,DIR2,... / --checkpoints DIR ...)".
            Assert.Equal("error: --run DIR is required", verb == "audit" ? output.Trim().Split(" (or --runs")[0] : output.Trim());
        }
    }

    [Fact]
    public void OutOfTheWrongKindIsRefused()
    {
        using var temp = new TempRun();
        Directory.CreateDirectory(temp.Sub("folder.png"));
        File.WriteAllText(temp.Sub("file"), "");
        var (code, output) = Run("generate", "--run", "r", "--out", temp.Sub("folder.png"));
        Assert.Equal(2, code);
        Assert.Contains("is a folder; give a file name", output);
        (code, output) = Run("latents", "--run", "r", "--out", temp.Sub("file"));
        Assert.Equal(2, code);
        Assert.Contains("is a file; give a folder", output);
        (code, output) = Run("evaluate", "--run", "r", "--json", temp.Sub("folder.png"));
        Assert.Equal(2, code);
        Assert.Contains("--json", output);
    }

    [Fact]
    public void HelpShowsEachVerbsWordingAndHidesSharedOptionsItDoesNotTake()
    {
        var (_, generate) = Run("generate", "--help");
        Assert.Contains("--out <FILE>", generate);
        Assert.Contains("Number of samples (also accepted as --n). Default: 64", generate);
        Assert.DoesNotContain("--json", generate);
        var (_, explain) = Run("explain", "--help");
        Assert.Contains("--out <DIR>", explain);
        Assert.Contains("Latents drawn when there is no --input", explain);
        var (_, train) = Run("train", "--help");
        Assert.DoesNotContain("--run", train);
        Assert.DoesNotContain("--count", train);
    }

    [Fact]
    public void EveryOptionInEveryHelpExampleIsAnOptionOfItsVerb()
    {
        // Relaxed parsing lets an unknown option through ValidateExamples; this check does not.
        GenAuditApp.Create(new TestConsole(), null, out var verbs);
        Assert.Equal(14, verbs.Count);
        foreach (var (verb, type) in verbs)
        {
            var known = VerbOptions.Names((VerbSettings)Activator.CreateInstance(type)!);
            var (_, help) = Run(verb, "--help");
            var examples = help.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith($"genaudit {verb} ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(examples);
            foreach (var example in examples)
                foreach (var token in GenAuditApp.NormaliseArguments(example.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                    if (token.StartsWith('-') && !double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _))
                        Assert.True(known.Contains(token.Split('=')[0]), $"'{example}': {token} is not an option of {verb}");
        }
    }

    [Fact]
    public void LibraryErrorsThatNameAnOptionsFieldNameTheFlag()
    {
        using var temp = new TempRun();
        var run = temp.Sub("run");
        Assert.Equal(0, Run("train", "--data", "ring8", "--steps", "2", "--batch", "16", "--width", "8", "--out", run).Code);
        var (code, output) = Run("explain", "--run", run, "--method", "ig", "--target", "output:0", "--steps", "0", "--out", temp.Sub("ig"));
        Assert.Equal(2, code);
        Assert.Contains("error: --steps 0: ig: Steps must be >= 1", output);
        Assert.DoesNotContain("(Parameter", output);
        (code, output) = Run("explain", "--run", run, "--method", "kernelshap", "--target", "output:0", "--samples", "1", "--out", temp.Sub("ks"));
        Assert.Equal(2, code);
        Assert.Contains("error: --samples 1: kernelshap: Samples must be >= 2", output);
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("", "abc", 3)]
    [InlineData("--polcy", "--policy", 1)]
    [InlineData("--seed", "--seed", 0)]
    public void EditDistanceIsLevenshtein(string a, string b, int expected)
    {
        Assert.Equal(expected, VerbOptions.EditDistance(a, b));
        Assert.Equal(expected, VerbOptions.EditDistance(b, a));
    }

    [Fact]
    public void CommaListsParseTrimmedItemsAndNameTheBadOne()
    {
        var numbers = new Numbers();
        Assert.Equal(new[] { 0.1, 0.01, -3.0 }, (double[])numbers.ConvertFrom(null, null, " 0.1, 1e-2 ,,-3")!);
        Assert.Contains("'x' is not a finite number", Assert.Throws<FormatException>(() => numbers.ConvertFrom(null, null, "0.1,x")).Message);
        Assert.Contains("'inf' is not a finite number", Assert.Throws<FormatException>(() => numbers.ConvertFrom(null, null, "1,inf")).Message);
        Assert.Contains("holds no item", Assert.Throws<FormatException>(() => numbers.ConvertFrom(null, null, " , ")).Message);
        Assert.Equal(new[] { "ig", "lime" }, (string[])new Names().ConvertFrom(null, null, "ig, lime")!);

        var (code, output) = Run("stability", "--run", "r", "--eps", "0.1,x");
        Assert.Equal(2, code);
        Assert.Contains("error: '0.1,x': 'x' is not a finite number", output);
        (code, output) = Run("stability", "--run", "r", "--eps=0.1,-1");
        Assert.Equal(2, code);
        Assert.Contains("--eps must be positive numbers separated by commas, e.g. 0.01,0.1; -1 is not", output);
    }
}
