namespace GenAudit.Data;

/// <summary>An unsigned-byte IDX array: its dimensions (outermost first) and its bytes in row-major order.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    /// <summary>Number of items along the first dimension (images or labels).</summary>
    public int Count => Dimensions[0];
}
