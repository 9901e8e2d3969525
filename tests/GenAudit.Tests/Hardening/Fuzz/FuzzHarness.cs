using System.Diagnostics;
using CsCheck;

namespace GenAudit.Tests.Hardening.Fuzz;

/// <summary>One reader of outside data: how to run it on a file and which exception types it documents.</summary>
/// <param name="Name">Short name; also the corpus subfolder under tests/GenAudit.Tests/Fixtures/fuzz.</param>
/// <param name="Extension">File extension the reader expects (it dispatches on it).</param>
/// <param name="Read">Reads the file and releases what it read; throws on bad input.</param>
/// <param name="Documented">The exception types the reader documents for bad input.</param>
public sealed record FuzzTarget(string Name, string Extension, Action<string> Read, params Type[] Documented);

/// <summary>A structured mutation of a seed file.</summary>
public enum MutationKind
{
    /// <summary>Cut the file at a position.</summary>
    Truncate,
    /// <summary>Flip one bit.</summary>
    FlipBit,
    /// <summary>Overwrite 4 bytes with a huge or boundary value (a length or count field).</summary>
    HugeU32,
    /// <summary>Overwrite 8 bytes with a huge or boundary value.</summary>
    HugeU64,
    /// <summary>Repeat a span right after itself (duplicate keys, entries, chunks).</summary>
    Duplicate,
    /// <summary>Insert deep nesting: 5,000 '[' / '{' / pickle MARK bytes.</summary>
    Nest,
    /// <summary>Delete a span.</summary>
    Delete,
}

/// <summary>One mutation: its kind, where (fraction of the length) and a value.</summary>
public readonly record struct Mutation(MutationKind Kind, double At, double Span, uint Value);

/// <summary>What a fuzz run found: executions per target and every contract violation.</summary>
public sealed record FuzzReport(IReadOnlyDictionary<string, long> Executions, IReadOnlyList<string> Violations, TimeSpan Elapsed);

/// <summary>
/// Property-based fuzzing (CsCheck) of GenAudit's readers over structured mutations of seed files.
/// The contract checked on every input: the reader returns, or throws one of its documented exception
/// types with a message naming the file; within <see cref="TimeLimit"/> and with at most
/// <see cref="MemoryLimitBytes"/> more managed allocation than the input's size. Anything else (another
/// exception type, a hang, an out-of-memory) is a violation.
/// </summary>
public static class FuzzHarness
{
    /// <summary>Time one input may take.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(20);

    /// <summary>Managed bytes one input may allocate beyond its own size (512 MB).</summary>
    public const long MemoryLimitBytes = 512L << 20;

    static readonly uint[] Boundaries = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF];

    /// <summary>Generates one to six mutations.</summary>
    public static readonly Gen<Mutation[]> Mutations =
        Gen.Select(Gen.Int[0, Enum.GetValues<MutationKind>().Length - 1], Gen.Double[0, 1], Gen.Double[0, 1], Gen.Int[0, Boundaries.Length + 3], Gen.UInt,
                   (kind, at, span, pick, random) => new Mutation((MutationKind)kind, at, span, pick < Boundaries.Length ? Boundaries[pick] : random))
           .Array[1, 6];

    /// <summary>Applies <paramref name="mutations"/> to a copy of <paramref name="seed"/>.</summary>
    public static byte[] Apply(byte[] seed, Mutation[] mutations)
    {
        var bytes = new List<byte>(seed);
        foreach (var m in mutations)
        {
            int Position(int room) => room <= 0 ? 0 : Math.Min(room - 1, (int)(m.At * room));
            switch (m.Kind)
            {
                case MutationKind.Truncate:
                    bytes.RemoveRange(Position(bytes.Count + 1), bytes.Count - Position(bytes.Count + 1));
                    break;
                case MutationKind.FlipBit when bytes.Count > 0:
                    bytes[Position(bytes.Count)] ^= (byte)(1 << (int)(m.Value % 8));
                    break;
                case MutationKind.HugeU32 when bytes.Count >= 4:
                {
                    var at = Position(bytes.Count - 3);
                    for (var i = 0; i < 4; i++) bytes[at + i] = (byte)(m.Value >> (8 * (m.Span < 0.5 ? i : 3 - i)));
                    break;
                }
                case MutationKind.HugeU64 when bytes.Count >= 8:
                {
                    var at = Position(bytes.Count - 7);
                    ulong value = m.Span < 0.5 ? m.Value : ((ulong)m.Value << 32) | m.Value;
                    for (var i = 0; i < 8; i++) bytes[at + i] = (byte)(value >> (8 * i));
                    break;
                }
                case MutationKind.Duplicate when bytes.Count > 0:
                {
                    var at = Position(bytes.Count);
                    var length = Math.Max(1, (int)(m.Span * Math.Min(bytes.Count - at, 4096)));
                    bytes.InsertRange(at + length, bytes.GetRange(at, Math.Min(length, bytes.Count - at)));
                    break;
                }
                case MutationKind.Nest:
                {
                    byte open = (m.Value % 3) switch { 0 => (byte)'[', 1 => (byte)'{', _ => (byte)'(' };
                    bytes.InsertRange(Position(bytes.Count + 1), Enumerable.Repeat(open, 5000));
                    break;
                }
                case MutationKind.Delete when bytes.Count > 0:
                {
                    var at = Position(bytes.Count);
                    bytes.RemoveRange(at, Math.Max(1, (int)(m.Span * Math.Min(bytes.Count - at, 4096))));
                    break;
                }
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/> written into <paramref name="folder"/>; returns the violation, or null.</summary>
    public static string? Check(FuzzTarget target, byte[] input, string folder)
    {
        var path = Path.Combine(folder, "input" + target.Extension);
        File.WriteAllBytes(path, input);
        Exception? thrown = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                target.Read(path);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, 64 << 20);
        thread.Start();
        if (!thread.Join(TimeLimit)) return $"{target.Name}: hang (more than {TimeLimit.TotalSeconds} s)";
        if (allocated > MemoryLimitBytes + input.Length) return $"{target.Name}: allocated {allocated:N0} bytes for a {input.Length}-byte input";
        if (thrown is null) return null;
        if (!target.Documented.Any(t => t.IsInstanceOfType(thrown)))
            return $"{target.Name}: undocumented {thrown.GetType().Name}: {thrown.Message}\n{thrown.StackTrace}";
        if (!thrown.Message.Contains("input" + target.Extension, StringComparison.Ordinal) && !thrown.Message.Contains(folder, StringComparison.Ordinal))
            return $"{target.Name}: {thrown.GetType().Name} does not name the file: {thrown.Message}";
        return null;
    }

    /// <summary>The seed files of <paramref name="target"/> in the committed corpus.</summary>
    public static byte[][] Corpus(string corpusFolder, FuzzTarget target) =>
        Directory.GetFiles(Path.Combine(corpusFolder, target.Name)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();

    /// <summary>
    /// Fuzzes every target for <paramref name="iterationsPerTarget"/> mutated inputs (plus each seed
    /// as is), from CsCheck seed <paramref name="seed"/> (null: a random one, printed on failure).
    /// </summary>
    public static FuzzReport Run(IEnumerable<FuzzTarget> targets, string corpusFolder, long iterationsPerTarget, string? seed, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        var executions = new Dictionary<string, long>();
        var violations = new List<string>();
        var work = Directory.CreateTempSubdirectory("genaudit-fuzz-").FullName;
        try
        {
            foreach (var target in targets)
            {
                var seeds = Corpus(corpusFolder, target);
                if (seeds.Length == 0) throw new InvalidOperationException($"{target.Name}: no seed files in {Path.Combine(corpusFolder, target.Name)}");
                long count = 0;
                foreach (var original in seeds)
                {
                    count++;
                    if (Check(target, original, work) is { } violation) violations.Add("seed as is: " + violation);
                }
                var targetClock = Stopwatch.StartNew();
                try
                {
                    Gen.Select(Gen.Int[0, seeds.Length - 1], Mutations).Sample(t =>
                    {
                        Interlocked.Increment(ref count);
                        var violation = Check(target, Apply(seeds[t.Item1], t.Item2), work);
                        if (violation is not null) throw new InvalidOperationException(violation);
                    }, seed: seed, iter: iterationsPerTarget, threads: 1, print: t => $"seed file {t.Item1}, mutations [{string.Join(", ", t.Item2)}]");
                }
                catch (Exception e)
                {
                    violations.Add(e.Message + "\n" + e.InnerException?.Message);
                }
                executions[target.Name] = count;
                log?.Invoke($"{target.Name}: {count} inputs in {targetClock.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return new FuzzReport(executions, violations, clock.Elapsed);
    }
}
