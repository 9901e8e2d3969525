namespace GenAudit.Data;

/// <summary>Which part of a dataset with a fixed train/test split to load.</summary>
public enum DataSplit
{
    /// <summary>The training split.</summary>
    Train,

    /// <summary>The held-out test split (IDX files named t10k-*).</summary>
    Test,
}
