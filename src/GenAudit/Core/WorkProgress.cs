namespace GenAudit.Core;

/// <summary>
/// Progress of a long computation in countable steps, for <see cref="IProgress{T}"/> callbacks: the step that
/// just finished, how many are done and how many there are in all, so that a caller can show an ETA.
/// </summary>
/// <param name="Step">What finished, e.g. "ig: sensitivity".</param>
/// <param name="Done">Steps done so far (1 after the first).</param>
/// <param name="Total">Steps in all.</param>
public readonly record struct WorkProgress(string Step, int Done, int Total);
