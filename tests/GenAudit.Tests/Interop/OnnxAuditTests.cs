using System.Text.Json;
using GenAudit.Cli;
using GenAudit.Interop;
using GenAudit.Tests.Training;
using Spectre.Console.Testing;

namespace GenAudit.Tests.Interop;

/// <summary>Issue 8, acceptance 1: an imported ONNX black box goes through every forward-only analysis.</summary>
public class OnnxAuditTests
{
    static (int Code, string Output) Cli(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 250;
        return (GenAuditApp.Run(args, console), console.Output.Replace("\n", ""));
    }

    [Fact]
    public void ImportedOnnxGeneratorIsEvaluatedCheckedAndAudited()
    {
        using var temp = new TempRun();
        var run = temp.Sub("onnx-run");
        var (import, importOutput) = Cli("import", "--onnx", InteropFixtures.Path("mlp2d.onnx"), "--latent", "4", "--data", "ring8", "--out", run);
        Assert.True(import == 0, importOutput);

        var (evaluate, evaluateOutput) = Cli("evaluate", "--run", run, "--n", "300", "--json", temp.Sub("q.json"));
        Assert.True(evaluate == 0, evaluateOutput);
        using (var quality = JsonDocument.Parse(File.ReadAllText(temp.Sub("q.json"))))
            Assert.Equal(JsonValueKind.Number, quality.RootElement.GetProperty("fid").ValueKind);

        var (stability, stabilityOutput) = Cli("stability", "--run", run, "--quick", "--json", temp.Sub("s.json"));
        Assert.True(stability == 0, stabilityOutput);
        using (var report = JsonDocument.Parse(File.ReadAllText(temp.Sub("s.json"))))
            Assert.Equal(1.0, report.RootElement.GetProperty("repeat").GetDouble());

        File.WriteAllText(temp.Sub("policy.json"), """{"repeat": {"min": 1}}""");
        var (audit, auditOutput) = Cli("audit", "--run", run, "--quick", "--policy", temp.Sub("policy.json"), "--out", temp.Sub("audit"));
        Assert.True(audit == 0, auditOutput);
        var html = File.ReadAllText(Path.Combine(temp.Sub("audit"), "report.html"));
        Assert.Contains("not differentiable", html);
    }
}
