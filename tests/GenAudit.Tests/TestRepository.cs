namespace GenAudit.Tests;

/// <summary>The repository the test binaries were built from (docs, examples, the genaudit script).</summary>
static class TestRepository
{
    /// <summary>The folder holding GenAudit.sln above the test binaries.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "GenAudit.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("the repository root (GenAudit.sln) was not found above " + AppContext.BaseDirectory);
        }
    }
}
