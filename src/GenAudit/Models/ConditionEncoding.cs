namespace GenAudit.Models;

/// <summary>How an imported generator takes its class condition.</summary>
public enum ConditionEncoding
{
    /// <summary>The generator is unconditional.</summary>
    None,
    /// <summary>An int64 input of shape (B,) holding class labels.</summary>
    Labels,
    /// <summary>A float32 input of shape (B, K) holding one-hot rows.</summary>
    OneHot,
}
