namespace GenAudit.Tests;

/// <summary>
/// <c>./test</c> runs the suite as two test processes at once, split by this trait: the few longest tests
/// (a minute or more each, together about half of the suite's time) in the second process, everything
/// else in the first. Inside one process the test classes still run one after another (AssemblyInfo.cs:
/// libtorch's global generator is process-wide); the two processes share nothing but the disk, where
/// every test works in its own temporary folder and every cache write is atomic. Training steps with
/// GenAudit's Adam (Core.Optimizers), whose Scalars stay alive through every native call: TorchSharp's
/// own Adam lost one to the finalizer under the contention of the first two-lane run. <c>dotnet test</c> on
/// its own, or <c>./test</c> with arguments, runs both lanes in one process, one after another.
/// </summary>
static class TestLane
{
    /// <summary>The trait's name (<c>dotnet test --filter "Lane=second"</c> selects the second lane).</summary>
    public const string Trait = "Lane";

    /// <summary>The value that puts a test class in the second process.</summary>
    public const string Second = "second";
}
