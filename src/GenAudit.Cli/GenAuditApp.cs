using GenAudit.Cli.Commands;
using GenAudit.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAudit.Cli;

/// <summary>Wires the verbs; the console is injected so tests can capture what a command prints.</summary>
public static class GenAuditApp
{
    /// <summary>Builds the command app around <paramref name="console"/>; <paramref name="progress"/> defaults to <see cref="ProgressOptions.For"/>.</summary>
    public static CommandApp Create(IAnsiConsole console, ProgressOptions? progress = null) => Create(console, progress, out _);

    /// <summary>The same, with each verb's settings type (the shared options it takes, its own options).</summary>
    internal static CommandApp Create(IAnsiConsole console, ProgressOptions? progress, out IReadOnlyDictionary<string, Type> verbs)
    {
        var registrar = new TypeRegistrar();
        registrar.RegisterInstance(typeof(IAnsiConsole), console);
        registrar.RegisterInstance(typeof(ProgressOptions), progress ?? ProgressOptions.For(console));
        var app = new CommandApp(registrar);
        var settingsByVerb = new Dictionary<string, Type>();
        verbs = settingsByVerb;
        app.Configure(config =>
        {
            ICommandConfigurator Verb<TCommand>(string name) where TCommand : class, ICommand
            {
                settingsByVerb[name] = SettingsOf(typeof(TCommand));
                return config.AddCommand<TCommand>(name);
            }

            config.SetApplicationName("genaudit");
            config.ConfigureConsole(console);
            config.SetHelpProvider(new VerbHelpProvider(config.Settings, settingsByVerb));
            // Relaxed parsing on purpose: VerbCommand rejects unknown options itself and names the closest known one.
            config.SetExceptionHandler((exception, _) => ErrorReporter.Report(console, exception));
            Verb<TrainCommand>("train")
                .WithDescription("Train a GAN, conditional GAN, VAE or conditional VAE into a run directory.")
                .WithExample("train", "--data", "ring8", "--model", "gan", "--out", "runs/ring8")
                .WithExample("train", "--data", "mnist", "--model", "gan", "--spectral-norm", "--ema", "0.999", "--steps", "3000", "--out", "runs/mnist")
                .WithExample("train", "--data", "fashion-mnist", "--model", "cvae", "--epochs", "5", "--out", "runs/fashion-cvae")
                .WithExample("train", "--data", "oracle", "--model", "seqgan", "--rollouts", "16", "--out", "runs/oracle-seqgan")
                .WithExample("train", "--data", "brown", "--model", "mle", "--out", "runs/brown")
                .WithExample("train", "--data", "words", "--model", "mle", "--cell", "gru", "--latent", "8", "--out", "runs/words-gru")
                .WithExample("train", "--data", "ring8", "--loss", "ns", "--curiosity", "rnd", "--out", "runs/ring8-curious")
                .WithExample("train", "--data", "stacked-mnist", "--curiosity", "rnd", "--pack", "2", "--out", "runs/stacked-mnist")
                .WithExample("train", "--data", "digits-speech", "--model", "rcgan", "--out", "runs/speech")
                .WithExample("train", "--out", "runs/mnist", "--resume", "--steps", "6000");
            Verb<GenerateCommand>("generate")
                .WithDescription("Generate samples from a trained run as a PNG grid, a float32 .npy, a .csv of 2D points or series, a .txt of token sequences, or a .wav of speech.")
                .WithExample("generate", "--run", "runs/mnist", "-n", "64", "--out", "samples.png")
                .WithExample("generate", "--run", "runs/ring8", "-n", "2500", "--seed", "7", "--out", "points.csv")
                .WithExample("generate", "--run", "runs/mnist-cgan", "-n", "100", "--condition", "3", "--out", "threes.npy")
                .WithExample("generate", "--run", "runs/brown", "-n", "100", "--out", "samples.txt")
                .WithExample("generate", "--run", "runs/brown", "-n", "100", "--temperature", "0.7", "--top-k", "40", "--out", "samples.txt")
                .WithExample("generate", "--run", "runs/speech", "-n", "10", "--out", "clips.wav");
            Verb<EvaluateCommand>("evaluate")
                .WithDescription("Sample quality, coverage and memorisation: FID, KID, precision/recall/density/coverage, IS, mode and class coverage, copies; for token runs BLEU, self-BLEU, distinct-n, NLL-test, NLL-oracle and verbatim copies.")
                .WithExample("evaluate", "--run", "runs/mnist", "--json", "quality.json")
                .WithExample("evaluate", "--run", "runs/ring8", "-n", "2500", "--seed", "1", "--dump-features", "features")
                .WithExample("evaluate", "--run", "runs/brown", "-n", "1000", "--json", "text-quality.json");
            Verb<StabilityCommand>("stability")
                .WithDescription("Stability: repeat, local and worst-case pairs, path length, Lipschitz, determinism, training dynamics, seed variance.")
                .WithExample("stability", "--run", "runs/mnist", "--json", "stability.json", "--out", "stability")
                .WithExample("stability", "--run", "runs/mnist", "--runs", "runs/mnist-s1", "--runs", "runs/mnist-s2", "--quick")
                .WithExample("stability", "--run", "runs/brown", "-n", "500", "--json", "text-stability.json");
            Verb<ExplainCommand>("explain")
                .WithDescription("Attributions of a target (class, disc, output, region, recon) over latents or images; --evaluate / --compare rank methods by Explainability(G).")
                .WithExample("explain", "--run", "runs/mnist", "--method", "ig", "--target", "class:3", "-n", "8", "--out", "explain-ig")
                .WithExample("explain", "--run", "runs/mnist", "--method", "kernelshap", "--target", "class:7", "--input", "images.npy", "--mask", "patch:4")
                .WithExample("explain", "--run", "runs/words", "--method", "ig", "--prompt", "hous", "--target", "logprob:e", "--out", "explain-prompt")
                .WithExample("explain", "--run", "runs/words-gru", "--method", "ig", "--input", "latent", "--prompt", "hou", "--target", "logprob:s", "-n", "8")
                .WithExample("explain", "--run", "runs/mnist", "--compare", "ig,saliency,smoothgrad,kernelshap,lime", "--target", "class:3", "-n", "8", "--json", "compare.json");
            Verb<LatentsCommand>("latents")
                .WithDescription("Latent directions (SeFa, GANSpace) with traversal grids, latent-to-pixel influence, layer activations and Grad-CAM of a run.")
                .WithExample("latents", "--run", "runs/mnist", "--method", "sefa", "-k", "8", "--out", "latents")
                .WithExample("latents", "--run", "runs/mnist", "--method", "ganspace", "-n", "2000", "--layer", "net.2", "--activations", "net.6", "--gradcam", "disc", "--out", "latents");
            Verb<AuditCommand>("audit")
                .WithDescription("Quality, stability, explanations and latent traversals of a run (token runs: text quality and stability, docs/audit.md#token-runs), judged against a policy: report.html, summary.json, summary.md; exit 0 pass, 1 a threshold fails, 2 usage error. --runs/--checkpoints audit many models in worker processes into one ranked table and index.html.")
                .WithExample("audit", "--run", "runs/mnist", "--out", "audit", "--quick")
                .WithExample("audit", "--run", "runs/mnist", "--policy", "policy.json", "-n", "5000", "--seed", "1")
                .WithExample("audit", "--run", "runs/brown", "--policy", "text-policy.json", "-n", "1000", "--quick")
                .WithExample("audit", "--runs", "runs/a,runs/b,runs/c", "--out", "audits", "--workers", "2", "--quick")
                .WithExample("audit", "--checkpoints", "runs/ring8", "--out", "audits-ring8", "--workers", "2");
            Verb<CalibrateCommand>("calibrate")
                .WithDescription("Audit generators with known defects (replay, one class, part of the classes, mean image, latent-sensitive, non-deterministic) and a healthy control on a dataset: the policy's sensitivity and false-alarm rate; exit 0 when every defect is caught and the control passes, 1 otherwise.")
                .WithExample("calibrate", "--data", "mnist", "--out", "calibration-mnist")
                .WithExample("calibrate", "--data", "fashion-mnist", "--policy", "policy.json", "--quick");
            Verb<ImportCommand>("import")
                .WithDescription("Import an ONNX generator (black box) or a PyTorch state dict into a built-in architecture as a run directory.")
                .WithExample("import", "--onnx", "g.onnx", "--latent", "64", "--out", "runs/theirs")
                .WithExample("import", "--pytorch", "G.pt", "--arch", "gan:conv:latent=64,width=64,shape=1x28x28", "--out", "runs/g");
            Verb<SweepCommand>("sweep")
                .WithDescription("Train a grid of recipes × seeds from a sweep file and run evaluate, stability or audit on each result, in worker processes or on a cluster (--cluster); one table.")
                .WithExample("sweep", "--spec", "docs/examples/mode-collapse.sweep.json", "--out", "sweeps/mode-collapse", "--workers", "2")
                .WithExample("sweep", "--spec", "sweep.json", "--out", "sweeps/s", "--cluster", "--gateways", "30000,30001");
            Verb<SiloCommand>("silo")
                .WithDescription("Run an Orleans silo that executes sweep items until stopped (localhost clustering, or --redis HOST:PORT).")
                .WithExample("silo", "--artifacts", "/shared/genaudit")
                .WithExample("silo", "--artifacts", "/shared/genaudit", "--port", "11112", "--gateway", "30001")
                .WithExample("silo", "--artifacts", "/shared/genaudit", "--redis", "10.0.0.5:6379");
            Verb<SweepItemCommand>("sweep-item")
                .WithDescription("Internal: run one prepared sweep item (genaudit sweep starts one per worker process).")
                .WithExample("sweep-item", "--item", "sweeps/mode-collapse/items/0123456789abcdef")
                .IsHidden();
            Verb<AuditItemCommand>("audit-item")
                .WithDescription("Internal: audit one model prepared by genaudit audit --runs/--checkpoints (it starts one per worker process).")
                .WithExample("audit-item", "--item", "audits/ring8-s1")
                .IsHidden();
            Verb<DemoCommand>("demo")
                .WithDescription("Train a DCGAN on the embedded MNIST and a GAN on ring8, and write their sample grids.")
                .WithExample("demo", "--out", "demo-out");
        });
        return app;
    }

    /// <summary>Runs the CLI; returns the process exit code (0 success, 1 failed check or diverged training, 2 usage or input error or an unmeasured policy key, 3 a failed audit measurement, 130 interrupted).</summary>
    public static int Run(string[] args, IAnsiConsole console) => Create(console).Run(NormaliseArguments(args));

    static Type SettingsOf(Type command)
    {
        for (var type = command; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VerbCommand<>))
                return type.GetGenericArguments()[0];
        throw new InvalidOperationException($"{command.Name} must derive from VerbCommand<TSettings>");
    }

    /// <summary>
    /// The documented contract spells the sample count "--n N" (and the direction count "--k K");
    /// Spectre.Console.Cli reserves one-letter names for the short form, so they are rewritten to
    /// "-n" and "-k" before parsing.
    /// </summary>
    public static string[] NormaliseArguments(string[] args) =>
        args.Select(a => a switch
        {
            "--n" => "-n",
            "--k" => "-k",
            _ when a.StartsWith("--n=", StringComparison.Ordinal) => "-n=" + a[4..],
            _ when a.StartsWith("--k=", StringComparison.Ordinal) => "-k=" + a[4..],
            _ => a,
        }).ToArray();
}
