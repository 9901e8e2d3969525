// libtorch's intra-op thread count and its global random generator are process-wide. Several tests
// set the thread count (determinism checks, one-thread training for bit-identical results) or seed
// the global generator before building modules, so the test classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
