using GenAudit.Cli;
using GenAudit.Cli.Commands;
using GenAudit.Cli.Infrastructure;
using GenAudit.Data;
using GenAudit.Tests.Data;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Interop;

public class ImportCommandTests
{
    /// <summary>The app exactly as the genaudit executable builds it.</summary>
    static int Run(TestConsole console, params string[] args) => GenAuditApp.Run(args, console);

    [Fact]
    public void ImportedOnnxAndPyTorchRunsGenerateUnchanged()
    {
        using var folder = new TempFolder();
        var console = new TestConsole().Width(400);
        Assert.Equal(0, Run(console, "import", "--onnx", InteropFixtures.Path("image8.onnx"), "--latent", "8", "--out", folder.File("onnx")));
        Assert.Equal(0, Run(console, "generate", "--run", folder.File("onnx"), "--n", "5", "--out", folder.File("onnx.npy")));
        Assert.Equal([5L, 1, 8, 8], Npy.Read(folder.File("onnx.npy")).Shape);

        Assert.Equal(0, Run(console, "import", "--pytorch", InteropFixtures.Path("mlp_gan.pt"), "--arch", "gan:mlp:latent=4,width=8,data=2", "--out", folder.File("pt")));
        Assert.Equal(0, Run(console, "generate", "--run", folder.File("pt"), "--n", "3", "--out", folder.File("pt.csv")));
        Assert.Equal(4, File.ReadAllLines(folder.File("pt.csv")).Length);
    }

    [Theory]
    [InlineData("pass exactly one of --onnx FILE and --pytorch FILE", "import", "--out", "x")]
    [InlineData("--onnx needs --latent D", "import", "--onnx", "m.onnx", "--out", "x")]
    [InlineData("--pytorch needs --arch SPEC", "import", "--pytorch", "m.pt", "--out", "x")]
    [InlineData("refusing to load: the pickle imports os.system", "import", "--pytorch", "{malicious}", "--arch", "gan:mlp:latent=4,width=8,data=2", "--out", "{out}")]
    [InlineData("latent input 'z' takes 4 values", "import", "--onnx", "{mlp2d}", "--latent", "3", "--out", "{out}")]
    public void UsageAndInputErrorsExitWithTwoAndOneMessage(string expected, params string[] args)
    {
        using var folder = new TempFolder();
        var console = new TestConsole().Width(1000);
        var resolved = args.Select(a => a.Replace("{malicious}", InteropFixtures.Path("malicious.pt"))
                                          .Replace("{mlp2d}", InteropFixtures.Path("mlp2d.onnx"))
                                          .Replace("{out}", folder.File("run"))).ToArray();
        Assert.Equal(ExitCode.Usage, Run(console, resolved));
        Assert.Contains(expected, console.Output);
        Assert.DoesNotContain("   at ", console.Output);
    }
}
