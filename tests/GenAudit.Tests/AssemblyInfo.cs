// libtorch's global random generator is process-wide, and many tests draw from it (torch.randn
// without a generator) or seed it before building modules; the thread count is per thread but
// read by code that sets none. So the test classes run one after another (a library caller gets
// the guarantees of docs/benchmarks.md, "Thread count and random generator under concurrent calls").
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GenAudit.Tests
{
    static class NumericsSetUp
    {
        // oneDNN fixes its ISA at its first convolution and libgomp its wait policy when libtorch
        // loads; a test that builds a TorchSharp network before touching any GenAudit type must still
        // run under GenAudit's settings (docs/numerics.md, docs/benchmarks.md).
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void CapOneDnn()
        {
            GenAudit.Core.CpuKernels.ApplyWaitPolicy();
            GenAudit.Core.CpuKernels.ApplyIsaCap();
        }
    }
}
