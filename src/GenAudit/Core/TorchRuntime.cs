using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GenAudit.Core;

/// <summary>Loads TorchSharp's native libraries once, with one clear message when that fails, and checks that their CPU kernels compute correctly.</summary>
public static class TorchRuntime
{
    static readonly Lazy<string?> LoadError = new(TryLoad);
    static readonly Lazy<NumericsRecord> NumericsCheck = new(() => SelfCheck(CacheFolder.Default()));

    /// <summary>
    /// Receives one line when the numerics self-check changed how GenAudit computes or could not
    /// certify it (the CLI prints it on standard error); null discards it.
    /// </summary>
    public static Action<string>? Warn { get; set; }

    /// <summary>
    /// Throws <see cref="TorchUnavailableException"/> with the cause and the fix when libtorch cannot
    /// load; on first use also runs the numerics self-check (<see cref="Numerics"/>).
    /// </summary>
    public static void EnsureLoaded()
    {
        EnsureLibraryLoaded();
        _ = NumericsCheck.Value;
    }

    /// <summary>How this process computes convolutions and what the self-check found; runs the check on first use.</summary>
    public static NumericsRecord Numerics
    {
        get
        {
            EnsureLoaded();
            return NumericsCheck.Value;
        }
    }

    internal static void EnsureLibraryLoaded()
    {
        if (LoadError.Value is { } message) throw new TorchUnavailableException(message);
    }

    static string? TryLoad()
    {
        CpuKernels.ApplyWaitPolicy();
        CpuKernels.ApplyIsaCap();
        try
        {
            using var probe = TorchSharp.torch.ones(1);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException)
        {
            var inner = e;
            while (inner.InnerException is { } next) inner = next;
            return "TorchSharp's native library (libLibTorchSharp.so / libtorch) could not be loaded: " + inner.Message.Split('\n')[0].Trim() + "\n" +
                   "On Debian 12 and other systems with libstdc++ older than GCC 13 the build patches the copy of libLibTorchSharp.so " +
                   "in the output folder (Directory.Build.targets). Build GenAudit with 'dotnet build' (not by copying binaries from " +
                   "another machine), and check 'ldd bin/.../runtimes/linux-x64/native/libLibTorchSharp.so' for missing libraries.";
        }
        if (OperatingSystem.IsLinux()) CpuKernels.DisableNnpackLoaded();
        return null;
    }

    /// <summary>
    /// The start-up self-check: <see cref="ConvolutionProbe.SelfCheckCases"/> on one thread and on
    /// every core. When oneDNN fails it, convolutions go to ATen's own kernels and the check runs
    /// again; when that fails too, the record says "fail" and determinism is not certified. The
    /// result is cached per CPU, ISA cap, thread count and library versions under
    /// <paramref name="cacheFolder"/>/numerics/, so later starts only read a file.
    /// </summary>
    /// <param name="cacheFolder">The cache root.</param>
    /// <param name="cases">The probe cases; default <see cref="ConvolutionProbe.SelfCheckCases"/>.</param>
    /// <param name="useCache">False to neither read nor write the cached record.</param>
    /// <param name="run">Runs one case (case, repeats, seed); default <see cref="ConvolutionProbe.Run"/>. Tests pass a runner that fails to exercise the fallbacks.</param>
    internal static NumericsRecord SelfCheck(string cacheFolder, IReadOnlyList<ProbeCase>? cases = null, bool useCache = true,
        Func<ProbeCase, int, long, ProbeResult>? run = null)
    {
        EnsureLibraryLoaded();
        cases ??= ConvolutionProbe.SelfCheckCases;
        run ??= ConvolutionProbe.Run;
        var isa = string.Join(' ', CpuKernels.CpuIsaFlags);
        var identity = string.Join('\n',
            "numerics-self-check/1", typeof(TorchRuntime).Assembly.GetName().Version?.ToString() ?? "?", TorchSharp.torch.__version__,
            CpuKernels.CpuModel, isa, CpuKernels.OneDnnMaxIsa, Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(';', cases));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        var path = Path.Combine(cacheFolder, "numerics", key + ".json");

        if (useCache && TryReadCached(path) is { } cached)
        {
            if (!cached.OneDnnConvolutions) CpuKernels.OneDnnEnabled = false;
            return cached;
        }

        var record = new NumericsRecord(CpuKernels.CpuModel, isa, CpuKernels.OneDnnMaxIsa, CpuKernels.OneDnnMaxIsaSetBy, true, "pass", null);
        if (FirstFailure(cases, run) is { } oneDnnFailure)
        {
            CpuKernels.OneDnnEnabled = false;
            var detail = $"oneDNN failed {oneDnnFailure}";
            if (FirstFailure(cases, run) is { } atenFailure)
            {
                record = record with { OneDnnConvolutions = false, Probe = "fail", ProbeDetail = $"{detail}; ATen's kernels failed {atenFailure}" };
                Warn?.Invoke($"numerics self-check failed: {record.ProbeDetail}. Results on this CPU may be wrong or not repeatable; determinism is not certified (docs/numerics.md).");
            }
            else
            {
                record = record with { OneDnnConvolutions = false, ProbeDetail = $"{detail}; convolutions use ATen's kernels" };
                Warn?.Invoke($"numerics self-check: libtorch's oneDNN convolutions are wrong on this CPU ({oneDnnFailure}); using ATen's kernels instead (docs/numerics.md).");
            }
        }
        if (useCache)
        {
            try { Json.WriteFile(path, record); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* an unwritable cache only costs a re-check next time */ }
        }
        return record;
    }

    // The first failing case on one thread, then on every core; null when all pass. The thread
    // counts are TorchThreads leases, which restore the count before.
    static string? FirstFailure(IReadOnlyList<ProbeCase> cases, Func<ProbeCase, int, long, ProbeResult> run)
    {
        foreach (var threads in new[] { 1, Math.Max(TorchSharp.torch.get_num_threads(), Environment.ProcessorCount) }.Distinct())
        {
            using var lease = TorchThreads.Use(threads);
            for (var i = 0; i < cases.Count; i++)
            {
                var result = run(cases[i], 3, 1000 + i);
                if (!result.Passed) return $"{result.Case} on {threads} thread(s): {result.Failure}";
            }
        }
        return null;
    }

    static NumericsRecord? TryReadCached(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            if (new FileInfo(path).Length > 64 * 1024) return null;
            return Json.ReadFile<NumericsRecord>(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            return null;
        }
    }
}

/// <summary>TorchSharp's native runtime is not usable on this machine; the message says why and what to do.</summary>
public sealed class TorchUnavailableException(string message) : Exception(message);
