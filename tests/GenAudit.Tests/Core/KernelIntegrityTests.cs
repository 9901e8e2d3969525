using System.Diagnostics;
using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Core;

/// <summary>The oneDNN ISA cap, the convolution probe and the start-up self-check of issue #19.</summary>
public sealed class KernelIntegrityTests
{
    static readonly ProbeCase SmallTransposed = new(ProbeOperation.ConvTranspose2dNoBias, 16, 8, 4, 4, 2, 1, 4);

    [Fact]
    public void OnAnAvx512CpuOneDnnIsCappedAtAvx2UnlessTheUserSetTheCap()
    {
        var avx512 = CpuKernels.CpuIsaFlags.Contains("avx512f");
        if (CpuKernels.OneDnnMaxIsaSetBy == "user")
        {
            Assert.NotEqual("ALL", CpuKernels.OneDnnMaxIsa);
            return;
        }
        Assert.Equal(avx512 ? "AVX2" : "ALL", CpuKernels.OneDnnMaxIsa);
        Assert.Equal(avx512 ? "genaudit" : "none", CpuKernels.OneDnnMaxIsaSetBy);
    }

    [Fact]
    public async Task TheCapReachesOneDnnAndNnpackStaysSilentInAFreshProcess()
    {
        // oneDNN reports the ISA it dispatches to when ONEDNN_VERBOSE is set; the cap is applied by
        // libc setenv inside the process, so only a fresh process shows whether oneDNN saw it.
        var cli = Path.Combine(AppContext.BaseDirectory, "GenAudit.Cli.dll");
        using var run = new TempFolder();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "train", "--data", "mnist", "--width", "4", "--steps", "2", "--seed", "3", "--out", Path.Combine(run.Path, "r") })
            start.ArgumentList.Add(a);
        start.Environment["ONEDNN_VERBOSE"] = "1";
        start.Environment.Remove("ONEDNN_MAX_CPU_ISA");
        start.Environment.Remove("DNNL_MAX_CPU_ISA");
        start.Environment["GENAUDIT_CACHE"] = Path.Combine(run.Path, "cache");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        var isaLine = output.Split('\n').FirstOrDefault(l => l.Contains("onednn_verbose") && l.Contains(",isa:"));
        Assert.NotNull(isaLine);
        if (CpuKernels.CpuIsaFlags.Contains("avx512f")) Assert.EndsWith("isa:Intel AVX2", isaLine.Trim());
        Assert.DoesNotContain("NNPACK", output);
        var manifest = File.ReadAllText(Path.Combine(run.Path, "r", "manifest.json"));
        Assert.Contains("\"numerics\"", manifest);
        Assert.Contains("\"probe\": \"pass\"", manifest);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProbeCasesAgreeWithTheFloat64ReferenceWithAndWithoutOneDnn(bool oneDnn)
    {
        var before = CpuKernels.OneDnnEnabled;
        try
        {
            CpuKernels.OneDnnEnabled = oneDnn;
            foreach (var result in ConvolutionProbe.RunAll(ConvolutionProbe.SelfCheckCases, repeats: 2, seed: 5))
            {
                Assert.True(result.Passed, $"{result.Case}: {result.Failure}");
                // float32 kernels over at most a few thousand terms: rounding near 1e-7, far below the 1e-4 bar
                Assert.InRange(result.ForwardError, 0, 1e-5);
                Assert.InRange(result.GradientError, 0, 1e-5);
            }
        }
        finally
        {
            CpuKernels.OneDnnEnabled = before;
        }
    }

    [Fact]
    public void TheFloat64ReferenceMatchesABruteForceTransposedConvolution()
    {
        // conv_transpose2d by its definition: every input pixel scatters kernel × value into the output.
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var x = randn([1, 2, 3, 3], dtype: float64, generator: generator);
        var w = randn([2, 1, 4, 4], dtype: float64, generator: generator);
        var y = nn.functional.conv_transpose2d(x, w, null, strides: [2, 2], padding: [1, 1]);
        var xs = x.data<double>().ToArray();
        var ws = w.data<double>().ToArray();
        var expected = new double[6, 6];
        for (var c = 0; c < 2; c++)
            for (var i = 0; i < 3; i++)
                for (var j = 0; j < 3; j++)
                    for (var ki = 0; ki < 4; ki++)
                        for (var kj = 0; kj < 4; kj++)
                        {
                            int oi = i * 2 - 1 + ki, oj = j * 2 - 1 + kj;
                            if (oi is < 0 or >= 6 || oj is < 0 or >= 6) continue;
                            expected[oi, oj] += xs[c * 9 + i * 3 + j] * ws[c * 16 + ki * 4 + kj];
                        }
        var actual = y.data<double>().ToArray();
        for (var k = 0; k < 36; k++) Assert.Equal(expected[k / 6, k % 6], actual[k], 12);
    }

    [Fact]
    public void WhenOneDnnFailsTheSelfCheckConvolutionsMoveToATenAndTheChoiceIsCached()
    {
        using var cache = new TempFolder();
        var before = CpuKernels.OneDnnEnabled;
        var warnings = new List<string>();
        var previousWarn = TorchRuntime.Warn;
        TorchRuntime.Warn = warnings.Add;
        try
        {
            CpuKernels.OneDnnEnabled = true;
            // A oneDNN fault as issue #19 saw it: NaN through oneDNN, correct through ATen's kernels.
            ProbeResult FaultyOneDnn(ProbeCase c, int repeats, long seed) =>
                CpuKernels.OneDnnEnabled ? new ProbeResult(c, false, true, double.NaN, double.NaN) : ConvolutionProbe.Run(c, repeats, seed);
            var record = TorchRuntime.SelfCheck(cache.Path, [SmallTransposed], run: FaultyOneDnn);
            Assert.Equal("pass", record.Probe);
            Assert.False(record.OneDnnConvolutions);
            Assert.False(CpuKernels.OneDnnEnabled);
            Assert.Contains("NaN/Inf", record.ProbeDetail);
            Assert.Single(warnings);

            // The next start reads the cached record and routes convolutions away from oneDNN again, without probing.
            CpuKernels.OneDnnEnabled = true;
            var cached = TorchRuntime.SelfCheck(cache.Path, [SmallTransposed], run: (_, _, _) => throw new InvalidOperationException("the cached record must be used"));
            Assert.Equal(record, cached);
            Assert.False(CpuKernels.OneDnnEnabled);
        }
        finally
        {
            CpuKernels.OneDnnEnabled = before;
            TorchRuntime.Warn = previousWarn;
        }
    }

    [Fact]
    public void WhenEveryKernelFailsDeterminismIsNotCertified()
    {
        using var cache = new TempFolder();
        var before = CpuKernels.OneDnnEnabled;
        var warnings = new List<string>();
        var previousWarn = TorchRuntime.Warn;
        TorchRuntime.Warn = warnings.Add;
        try
        {
            var record = TorchRuntime.SelfCheck(cache.Path, [SmallTransposed], useCache: false,
                run: (c, _, _) => new ProbeResult(c, true, false, 0, 0));
            Assert.Equal("fail", record.Probe);
            Assert.False(record.Certified);
            Assert.Contains("not repeatable", record.ProbeDetail);
            Assert.Contains("determinism is not certified", Assert.Single(warnings));
            Assert.False(Directory.Exists(Path.Combine(cache.Path, "numerics")));
        }
        finally
        {
            CpuKernels.OneDnnEnabled = before;
            TorchRuntime.Warn = previousWarn;
        }
    }

    [Fact]
    public void AProbeResultFailsOnEachKindOfFault()
    {
        Assert.Null(new ProbeResult(SmallTransposed, true, true, 1e-7, 1e-7).Failure);
        Assert.Equal("NaN/Inf", new ProbeResult(SmallTransposed, false, true, 0, 0).Failure);
        Assert.Equal("not repeatable", new ProbeResult(SmallTransposed, true, false, 0, 0).Failure);
        Assert.StartsWith("forward error", new ProbeResult(SmallTransposed, true, true, 2e-4, 0).Failure);
        Assert.StartsWith("gradient error", new ProbeResult(SmallTransposed, true, true, 0, 2e-4).Failure);
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("genaudit-numerics-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
