using SkiaSharp;

namespace GenAudit.Data;

/// <summary>Colour handling when loading image files.</summary>
public enum ColorMode
{
    /// <summary>One channel: luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's "L").</summary>
    Grayscale,

    /// <summary>Three channels R, G, B.</summary>
    Rgb,
}

/// <summary>
/// Loads a folder with one subfolder per class (classes sorted by ordinal name; their index is the
/// label) of PNG and JPEG files, decoded with SkiaSharp. Each image's largest centred square is
/// resized to size×size with bilinear filtering over mipmaps (trilinear, so large downscales do not
/// alias); transparency is composited over black. Unreadable files, and files whose header declares
/// more than <see cref="MaxPixels"/> pixels, are skipped and listed in <see cref="ImageDataset.SkippedFiles"/>.
/// With a <see cref="FolderSplit"/> only one part of the seeded, stratified train/test split is loaded (and decoded).
/// </summary>
public static class ImageFolderDataset
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Largest image decoded, in pixels (64 megapixels, 256 MB as RGBA); larger files are skipped before decoding.</summary>
    public const long MaxPixels = 64_000_000;

    /// <summary>
    /// Loads the images under <paramref name="folder"/>'s class subfolders as size×size in the given colour mode: all of them
    /// without a <paramref name="split"/>, else the <paramref name="part"/> of the split (named "&lt;folder&gt;-train" or "-test").
    /// </summary>
    public static ImageDataset Load(string folder, int size, ColorMode color = ColorMode.Grayscale, FolderSplit? split = null, DataSplit part = DataSplit.Train)
    {
        if (size <= 0 || size > 4096) throw new ArgumentOutOfRangeException(nameof(size), $"Image size must be between 1 and 4096 pixels, not {size}.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: image folder not found.");
        var classDirectories = Directory.GetDirectories(folder)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (classDirectories.Length == 0)
            throw new InvalidDataException($"{folder}: no class subfolders; put the images in one subfolder per class (for example {Path.Combine(folder, "cats")}/0001.png).");

        var skipped = new List<SkippedFile>();
        foreach (var stray in Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
            skipped.Add(new SkippedFile(stray, "not inside a class subfolder"));

        var channels = color == ColorMode.Grayscale ? 1 : 3;
        var images = new List<byte[]>();
        var labels = new List<long>();
        for (var label = 0; label < classDirectories.Length; label++)
        {
            var files = Directory.GetFiles(classDirectories[label], "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)
                .ToList();
            var inPart = PartFilter(folder, files.Where(IsImageFile).ToList(), split, part);
            foreach (var file in files)
            {
                if (!IsImageFile(file))
                {
                    skipped.Add(new SkippedFile(file, "not a .png, .jpg or .jpeg file"));
                    continue;
                }
                if (!inPart(file)) continue;
                var (pixels, reason) = Decode(file, size, color);
                if (pixels is null)
                {
                    skipped.Add(new SkippedFile(file, reason!));
                    continue;
                }
                images.Add(pixels);
                labels.Add(label);
            }
        }
        if (images.Count == 0 && split is not null && part == DataSplit.Test)
            throw new InvalidDataException(
                $"{folder}: no held-out images: the test split holds {split.TestFraction:P0} of every class with at least 2 images, and no class has 2; add images to the class subfolders.");
        if (images.Count == 0)
            throw new InvalidDataException(
                $"{folder}: no readable PNG or JPEG images in {classDirectories.Length} class subfolders ({skipped.Count} files skipped" +
                (skipped.Count > 0 ? $", first: {skipped[0].Path}: {skipped[0].Reason}" : "") + ").");

        var sampleSize = channels * size * size;
        var all = new byte[(long)images.Count * sampleSize];
        for (var i = 0; i < images.Count; i++) images[i].CopyTo(all, (long)i * sampleSize);
        var classNames = classDirectories.Select(Path.GetFileName).Select(n => n!).ToArray();
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        if (split is not null) name += part == DataSplit.Test ? "-test" : "-train";
        return new ImageDataset(name, all, images.Count, channels, size, size,
            labels.ToArray(), classNames, skipped);
    }

    static bool IsImageFile(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Whether a file of one class belongs to the requested part of the split (every file without a split).</summary>
    static Func<string, bool> PartFilter(string folder, IReadOnlyList<string> imageFiles, FolderSplit? split, DataSplit part)
    {
        if (split is null) return _ => true;
        var heldOut = split.HeldOut(imageFiles.Select(f => Path.GetRelativePath(folder, f)).ToList());
        return file => heldOut.Contains(Path.GetRelativePath(folder, file)) == (part == DataSplit.Test);
    }

    /// <summary>Decodes one file to (C, size, size) bytes, or returns null and the reason it cannot be used.</summary>
    static (byte[]? Pixels, string? Reason) Decode(string path, int size, ColorMode color)
    {
        try
        {
            using var codec = SKCodec.Create(path, out var created);
            if (codec is null) return (null, $"not a decodable image ({created})");
            if (CheckPixelBudget(codec.Info) is { } tooLarge) return (null, tooLarge);
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            using var bitmap = new SKBitmap(info);
            var decoded = codec.GetPixels(info, bitmap.GetPixels());
            if (decoded != SKCodecResult.Success) return (null, $"decoding failed ({decoded}); the file is truncated or damaged");

            using var image = SKImage.FromBitmap(bitmap);
            var side = Math.Min(info.Width, info.Height);
            var source = SKRect.Create((info.Width - side) / 2f, (info.Height - side) / 2f, side, side);
            var targetInfo = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var target = new SKBitmap(targetInfo);
            using (var canvas = new SKCanvas(target))
            {
                canvas.Clear(SKColors.Black);
                canvas.DrawImage(image, source, SKRect.Create(size, size), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            }
            var rgba = target.GetPixelSpan().ToArray();
            return (ToPlanes(rgba, size, color), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, $"cannot read the file: {e.Message}");
        }
    }

    /// <summary>
    /// The pixel cap, checked on the header SKCodec has read and before any pixel memory is allocated:
    /// a few hundred kB of PNG can declare 60,000 × 60,000 pixels (14 GB decoded). Returns the reason
    /// a file is skipped, or null when it may be decoded.
    /// </summary>
    internal static string? CheckPixelBudget(SKImageInfo header)
    {
        if (header.Width <= 0 || header.Height <= 0) return $"image has no pixels ({header.Width}x{header.Height})";
        long pixels = (long)header.Width * header.Height;
        return pixels > MaxPixels
            ? $"image declares {header.Width}x{header.Height} pixels, more than GenAudit's limit of {MaxPixels:N0} ({MaxPixels / 1_000_000} megapixels); downscale it or remove it"
            : null;
    }

    /// <summary>Interleaved RGBA → planar (C, H, W): three planes for RGB, one luma plane for grayscale.</summary>
    static byte[] ToPlanes(byte[] rgba, int size, ColorMode color)
    {
        var pixels = size * size;
        if (color == ColorMode.Grayscale)
        {
            var gray = new byte[pixels];
            for (var p = 0; p < pixels; p++)
                gray[p] = (byte)Math.Round(0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2]);
            return gray;
        }
        var planes = new byte[3 * pixels];
        for (var p = 0; p < pixels; p++)
            for (var c = 0; c < 3; c++)
                planes[c * pixels + p] = rgba[4 * p + c];
        return planes;
    }
}
