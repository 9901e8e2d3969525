using GenAudit.Core;
using SkiaSharp;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>Writes batches of images as one PNG grid.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Saves <paramref name="images"/> (N, C, H, W) with values in [0, 1] (clamped) as a grid of
    /// <paramref name="columns"/> columns, each pixel drawn as a <paramref name="scale"/>² block
    /// (nearest neighbour, so the pixels stay honest), on a mid-grey background.
    /// </summary>
    public static void Save(Tensor images, int columns, string path, int scale = 3, int padding = 2)
    {
        var bytes = Encode(images, columns, scale, padding);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The PNG bytes of the grid.</summary>
    public static byte[] Encode(Tensor images, int columns, int scale = 3, int padding = 2)
    {
        if (images.dim() != 4 || images.shape[1] is not (1 or 3))
            throw new ArgumentException($"expected images of shape (N, 1|3, H, W), got ({string.Join(", ", images.shape)})");
        long n = images.shape[0], channels = images.shape[1], h = images.shape[2], w = images.shape[3];
        columns = (int)Math.Max(1, Math.Min(columns, n));
        int rows = (int)((n + columns - 1) / columns);
        int cellW = (int)w * scale, cellH = (int)h * scale;
        int width = columns * cellW + (columns + 1) * padding, height = rows * cellH + (rows + 1) * padding;

        float[] pixels;
        using (var cpu = images.detach().to(ScalarType.Float32).cpu().clamp(0, 1).contiguous()) pixels = cpu.data<float>().ToArray();

        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(new SKColor(128, 128, 128));
        long plane = h * w;
        for (long i = 0; i < n; i++)
        {
            int x0 = padding + (int)(i % columns) * (cellW + padding);
            int y0 = padding + (int)(i / columns) * (cellH + padding);
            long offset = i * channels * plane;
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                long p = offset + y * w + x;
                byte r = ToByte(pixels[p]);
                byte g = channels == 3 ? ToByte(pixels[p + plane]) : r;
                byte b = channels == 3 ? ToByte(pixels[p + 2 * plane]) : r;
                var colour = new SKColor(r, g, b);
                for (int dy = 0; dy < scale; dy++)
                for (int dx = 0; dx < scale; dx++)
                    bitmap.SetPixel(x0 + x * scale + dx, y0 + y * scale + dy, colour);
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static byte ToByte(float v) => (byte)Math.Round(v * 255f);
}
