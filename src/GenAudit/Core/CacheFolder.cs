namespace GenAudit.Core;

/// <summary>Where GenAudit keeps what it computes once per machine or dataset (feature classifiers, the numerics self-check).</summary>
public static class CacheFolder
{
    /// <summary>Environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "GENAUDIT_CACHE";

    /// <summary>The cache folder: $GENAUDIT_CACHE, else $XDG_CACHE_HOME/genaudit, else ~/.cache/genaudit.</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitFolder) return explicitFolder;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "genaudit");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "genaudit");
    }
}
