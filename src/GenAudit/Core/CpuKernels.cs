using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenAudit.Core;

/// <summary>
/// How libtorch's CPU convolution kernels are configured in this process, and what the start-up
/// self-check found. Recorded in every run manifest and in the audit report's versions table.
/// </summary>
/// <param name="CpuModel">The CPU's model name (/proc/cpuinfo), "unknown" elsewhere.</param>
/// <param name="CpuIsa">The CPU's AVX feature flags (avx2, avx512f, avx512_vnni, avx512_bf16, ...), space-separated.</param>
/// <param name="OneDnnMaxIsa">ONEDNN_MAX_CPU_ISA in this process's native environment; "ALL" when unset (oneDNN's default).</param>
/// <param name="OneDnnMaxIsaSetBy">"genaudit" when GenAudit capped it, "user" when it was set before GenAudit started, "none".</param>
/// <param name="OneDnnConvolutions">False when GenAudit routed convolutions away from oneDNN to ATen's own kernels.</param>
/// <param name="Probe">The self-check: "pass", "fail" (determinism is not certified) or "not run".</param>
/// <param name="ProbeDetail">The first failing probe case and its error, or null.</param>
public sealed record NumericsRecord(
    string CpuModel,
    string CpuIsa,
    string OneDnnMaxIsa,
    string OneDnnMaxIsaSetBy,
    bool OneDnnConvolutions,
    string Probe,
    string? ProbeDetail)
{
    /// <summary>True unless the self-check ran and failed even after the fallbacks.</summary>
    public bool Certified => Probe != "fail";

    /// <summary>One line for a versions table.</summary>
    public string Describe() =>
        $"{CpuModel} [{CpuIsa}]; oneDNN max ISA {OneDnnMaxIsa} (set by {OneDnnMaxIsaSetBy}); " +
        $"oneDNN convolutions {(OneDnnConvolutions ? "on" : "off")}; self-check {Probe}" +
        (ProbeDetail is null ? "" : $" ({ProbeDetail})");
}

/// <summary>
/// Keeps libtorch's CPU kernels numerically sound on CPUs where oneDNN's AVX-512 convolutions return
/// NaN or non-repeatable results for small channel counts (issue #19; docs/numerics.md).
/// </summary>
/// <remarks>
/// oneDNN reads ONEDNN_MAX_CPU_ISA once, when it creates its first primitive, from the native
/// environment: .NET's Environment.SetEnvironmentVariable does not reach it on Linux, so the cap is
/// set with libc's setenv, before any GenAudit code can run a convolution (module initializer).
/// A value the user set before start-up is left alone (ONEDNN_MAX_CPU_ISA=ALL opts out of the cap).
/// </remarks>
public static class CpuKernels
{
    /// <summary>The ISA GenAudit caps oneDNN at on AVX-512 CPUs: the only setting with no failure in issue #19's measurements.</summary>
    public const string SafeMaxIsa = "AVX2";

    const string MaxIsaVariable = "ONEDNN_MAX_CPU_ISA";
    const string LegacyMaxIsaVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>The OpenMP wait policy GenAudit sets when the user set none (issue #18; docs/benchmarks.md, "A busy machine").</summary>
    public const string DefaultWaitPolicy = "PASSIVE";

    const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    const string SpinCountVariable = "GOMP_SPINCOUNT";

    static readonly Lock Gate = new();
    static string _setBy = "none";
    static string _waitPolicySetBy = "none";
    static bool _applied;
    static bool _waitPolicyApplied;

    [SuppressMessage("Usage", "CA2255", Justification = "oneDNN fixes its ISA at its first primitive and libgomp reads its wait policy when libtorch loads; any GenAudit type may be the first to touch libtorch, so both must be in place when the assembly loads.")]
    [ModuleInitializer]
    internal static void ApplyAtLoad()
    {
        ApplyWaitPolicy();
        ApplyIsaCap();
    }

    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE in the native environment unless the user set OMP_WAIT_POLICY or
    /// GOMP_SPINCOUNT; idempotent. libtorch's OpenMP runtime (libgomp) reads it once, when libtorch
    /// loads, so it must run before the first tensor (GenAudit does so when its assembly loads).
    /// With libgomp's default its idle threads spin for a while at every parallel region's end; on a
    /// machine whose cores are busy with other work (another GenAudit job, a CPU hog) the spinning
    /// threads steal the cores the working threads need: measured 2.8–3.0× slower than passive there,
    /// against 11% faster when the machine is otherwise idle (docs/benchmarks.md).
    /// </summary>
    public static void ApplyWaitPolicy()
    {
        lock (Gate)
        {
            if (_waitPolicyApplied) return;
            _waitPolicyApplied = true;
            if (!OperatingSystem.IsLinux()) return;
            if (NativeGetenv(WaitPolicyVariable) is not null || NativeGetenv(SpinCountVariable) is not null)
            {
                _waitPolicySetBy = "user";
                return;
            }
            if (setenv(WaitPolicyVariable, DefaultWaitPolicy, 0) == 0) _waitPolicySetBy = "genaudit";
        }
    }

    /// <summary>OMP_WAIT_POLICY in this process's native environment; "default" when unset (libgomp spins for a while, then sleeps).</summary>
    public static string OpenMpWaitPolicy => (OperatingSystem.IsLinux() ? NativeGetenv(WaitPolicyVariable) : null) ?? "default";

    /// <summary>Who chose the OpenMP wait policy: "genaudit", "user" (OMP_WAIT_POLICY or GOMP_SPINCOUNT set before start-up) or "none".</summary>
    public static string OpenMpWaitPolicySetBy { get { lock (Gate) return _waitPolicySetBy; } }

    /// <summary>
    /// Caps oneDNN at <see cref="SafeMaxIsa"/> on AVX-512 CPUs unless the user set the cap; idempotent.
    /// Must run before libtorch's first convolution to take effect (GenAudit does so when it loads).
    /// </summary>
    public static void ApplyIsaCap()
    {
        lock (Gate)
        {
            if (_applied) return;
            _applied = true;
            if (!OperatingSystem.IsLinux()) return;
            if (NativeGetenv(MaxIsaVariable) is not null || NativeGetenv(LegacyMaxIsaVariable) is not null)
            {
                _setBy = "user";
                return;
            }
            if (!CpuFlags().Contains("avx512f")) return;
            if (setenv(MaxIsaVariable, SafeMaxIsa, 0) == 0) _setBy = "genaudit";
        }
    }

    /// <summary>The oneDNN ISA cap in this process's native environment, "ALL" when unset.</summary>
    public static string OneDnnMaxIsa =>
        (OperatingSystem.IsLinux() ? NativeGetenv(MaxIsaVariable) ?? NativeGetenv(LegacyMaxIsaVariable) : null) ?? "ALL";

    /// <summary>Who set the oneDNN cap: "genaudit", "user" or "none".</summary>
    public static string OneDnnMaxIsaSetBy { get { lock (Gate) return _setBy; } }

    /// <summary>
    /// Routes convolutions to oneDNN (true, libtorch's default) or to ATen's own kernels (false), as
    /// PyTorch's torch.backends.mkldnn.enabled does. Needs libtorch loaded.
    /// </summary>
    public static bool OneDnnEnabled
    {
        get
        {
            TorchRuntime.EnsureLibraryLoaded();
            return LibTorchContext.UserEnabledMkldnn();
        }
        set
        {
            TorchRuntime.EnsureLibraryLoaded();
            LibTorchContext.SetUserEnabledMkldnn(value);
        }
    }

    /// <summary>
    /// Turns NNPACK off: on CPUs it does not support, libtorch prints "Could not initialize NNPACK!"
    /// on every convolution before falling back; on CPUs it supports, oneDNN or ATen's kernels serve
    /// the same shapes. Needs libtorch loaded.
    /// </summary>
    public static void DisableNnpack()
    {
        TorchRuntime.EnsureLibraryLoaded();
        DisableNnpackLoaded();
    }

    // For TorchRuntime while it loads libtorch (EnsureLibraryLoaded would recurse).
    internal static void DisableNnpackLoaded() => LibTorchContext.SetUserEnabledNnpack(false);

    /// <summary>The CPU's model name, from /proc/cpuinfo; "unknown" where that is not readable.</summary>
    public static string CpuModel => CpuInfo.Value.Model;

    /// <summary>The CPU's flags that name an AVX feature, in /proc/cpuinfo's order.</summary>
    public static IReadOnlyList<string> CpuIsaFlags => CpuInfo.Value.Flags.Where(f => f.StartsWith("avx", StringComparison.Ordinal)).ToArray();

    static HashSet<string> CpuFlags() => CpuInfo.Value.Flags.ToHashSet(StringComparer.Ordinal);

    static readonly Lazy<(string Model, string[] Flags)> CpuInfo = new(ReadCpuInfo);

    static (string Model, string[] Flags) ReadCpuInfo()
    {
        const long MaxBytes = 4 << 20; // /proc/cpuinfo of a many-core machine is a few hundred kB
        try
        {
            using var stream = File.OpenRead("/proc/cpuinfo");
            using var reader = new StreamReader(stream);
            string? model = null;
            string[]? flags = null;
            long read = 0;
            while (reader.ReadLine() is { } line && read < MaxBytes && (model is null || flags is null))
            {
                read += line.Length + 1;
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (key == "model name") model ??= value;
                else if (key == "flags") flags ??= value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            return (model ?? "unknown", flags ?? []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ("unknown", []);
        }
    }

    static string? NativeGetenv(string name)
    {
        var value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern IntPtr getenv(string name);

    /// <summary>
    /// at::globalContext()'s switches, which TorchSharp does not expose: the same calls as PyTorch's
    /// torch.backends.mkldnn.enabled and torch.backends.nnpack.enabled (Itanium C++ ABI symbols of
    /// libtorch_cpu.so, resolved from the copy TorchSharp already loaded).
    /// </summary>
    static class LibTorchContext
    {
        static readonly Lazy<Exports> Symbols = new(Resolve);

        public static bool UserEnabledMkldnn() => Symbols.Value.GetMkldnn(Symbols.Value.Context()) != 0;

        public static void SetUserEnabledMkldnn(bool enabled) => Symbols.Value.SetMkldnn(Symbols.Value.Context(), enabled ? (byte)1 : (byte)0);

        public static void SetUserEnabledNnpack(bool enabled) => Symbols.Value.SetNnpack(Symbols.Value.Context(), enabled ? (byte)1 : (byte)0);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr GlobalContext();
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate byte GetFlag(IntPtr context);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetFlag(IntPtr context, byte value);

        sealed record Exports(GlobalContext Context, GetFlag GetMkldnn, SetFlag SetMkldnn, SetFlag SetNnpack);

        static Exports Resolve()
        {
            if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(TorchSharp.torch).Assembly, null, out var library) &&
                !NativeLibrary.TryLoad("libtorch_cpu.so", out library))
                throw new TorchUnavailableException("libtorch_cpu.so is loaded by TorchSharp but could not be opened again to reach at::globalContext(); this switch needs TorchSharp's Linux x64 libtorch.");
            T Export<T>(string symbol) where T : Delegate => NativeLibrary.TryGetExport(library, symbol, out var address)
                ? Marshal.GetDelegateForFunctionPointer<T>(address)
                : throw new TorchUnavailableException($"libtorch_cpu.so has no export {symbol}: this libtorch is not the 2.x build GenAudit was made for.");
            return new Exports(
                Export<GlobalContext>("_ZN2at13globalContextEv"),
                Export<GetFlag>("_ZNK2at7Context17userEnabledMkldnnEv"),
                Export<SetFlag>("_ZN2at7Context20setUserEnabledMkldnnEb"),
                Export<SetFlag>("_ZN2at7Context20setUserEnabledNNPACKEb"));
        }
    }
}
