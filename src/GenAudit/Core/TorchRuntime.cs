namespace GenAudit.Core;

/// <summary>Loads TorchSharp's native libraries once, with one clear message when that fails.</summary>
public static class TorchRuntime
{
    static readonly Lazy<string?> LoadError = new(TryLoad);

    /// <summary>Throws <see cref="TorchUnavailableException"/> with the cause and the fix when libtorch cannot load.</summary>
    public static void EnsureLoaded()
    {
        if (LoadError.Value is { } message) throw new TorchUnavailableException(message);
    }

    static string? TryLoad()
    {
        try
        {
            using var probe = TorchSharp.torch.ones(1);
            return null;
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
    }
}

/// <summary>TorchSharp's native runtime is not usable on this machine; the message says why and what to do.</summary>
public sealed class TorchUnavailableException(string message) : Exception(message);
