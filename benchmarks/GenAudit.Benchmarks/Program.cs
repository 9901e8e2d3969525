using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Benchmarks run in process: a generated out-of-process project would carry an unpatched copy of
// libLibTorchSharp.so (see Directory.Build.targets) and could not load libtorch on Debian 12.
// Run with: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- --filter '*Training*'
// Convolution shapes per oneDNN ISA: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- numerics-probe
// The mode-collapse table: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- mode-collapse --seeds 10
// NLL-oracle on SeqGAN's synthetic oracle: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- oracle --seeds 3 --mle-steps 300
// KernelSHAP against exact Shapley values: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- kernelshap-accuracy
// Demo generator quality (FID, PRDC against the real row): dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- demo-quality --set loss=hinge,sn=true
if (args.Length > 0 && args[0] == "demo-quality") return GenAudit.Benchmarks.DemoQuality.Run(args[1..]);
if (args.Length > 0 && args[0] == "training-overhead") return GenAudit.Benchmarks.TrainingOverhead.Run(args[1..]);
if (args.Length > 0 && args[0] == "numerics-probe") return GenAudit.Benchmarks.NumericsProbe.Run(args[1..]);
if (args.Length > 0 && args[0] == "mode-collapse") return GenAudit.Benchmarks.ModeCollapseBenchmark.Run(args[1..]);
// The curiosity table (issue #14): dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- curiosity --seeds 3 --steps 20000
if (args.Length > 0 && args[0] == "curiosity") return GenAudit.Benchmarks.CuriosityBenchmark.Run(args[1..]);
// Fuzzing every reader of outside data: dotnet run -c Release --project benchmarks/GenAudit.Benchmarks -- fuzz --iterations 2000
// Two concurrent trains and a train beside a CPU hog, with and without OMP_WAIT_POLICY=PASSIVE (needs an idle machine): ... -- busy-machine
if (args.Length > 0 && args[0] == "busy-machine") return GenAudit.Benchmarks.BusyMachine.Run(args[1..]);
if (args.Length > 0 && args[0] == "fuzz") return GenAudit.Benchmarks.FuzzCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "oracle") return GenAudit.Benchmarks.OracleBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == "kernelshap-accuracy") return GenAudit.Benchmarks.KernelShapAccuracy.Run(args[1..]);

var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(GenAudit.Benchmarks.TrainingBenchmarks).Assembly).Run(args, config);
return 0;
