namespace GenAudit.Core;

/// <summary>
/// Guards libtorch's process-wide random generator. Module constructors draw their initial weights
/// from it; anything that seeds it and then builds modules holds this lock, so that concurrent
/// callers on other threads cannot interleave their draws and break reproducibility.
/// </summary>
public static class GlobalRandom
{
    /// <summary>The lock to hold around torch.manual_seed and the draws that must follow it.</summary>
    public static readonly object Lock = new();
}
