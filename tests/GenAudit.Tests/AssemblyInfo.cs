// libtorch's intra-op thread count and its global random generator are process-wide. Several tests
// set the thread count (determinism checks, one-thread training for bit-identical results) or seed
// the global generator before building modules, so the test classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GenAudit.Tests
{
    static class NumericsSetUp
    {
        // oneDNN fixes its ISA at its first convolution; a test that builds a TorchSharp network before
        // touching any GenAudit type must still run under GenAudit's cap (docs/numerics.md).
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void CapOneDnn() => GenAudit.Core.CpuKernels.ApplyIsaCap();
    }
}
