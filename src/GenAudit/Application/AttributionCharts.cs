using GenAudit.Core;
using GenAudit.Explain;
using GenAudit.Rendering;
using ScottPlot;
using SkiaSharp;
using static TorchSharp.torch;

namespace GenAudit.Application;

/// <summary>
/// Pictures of an <see cref="ExplainResult"/>: heatmap overlays for image inputs, and for latent inputs a
/// bar chart of the latent attributions (next to the generated image when the generator makes images); for a
/// token run's prompt, a bar per prompt token.
/// Heatmaps use a diverging map centred at 0 (blue negative, white 0, red positive) whose scale is the
/// 98th percentile of |φ| of each example, so the top 2% of values are clipped rather than washing out the rest.
/// </summary>
public static class AttributionCharts
{
    /// <summary>Examples drawn at most (the first ones); the attributions of all are in attributions.npy.</summary>
    public const int MaxExamples = 8;

    /// <summary>Share of the largest |φ| clipped by the colour scale.</summary>
    public const double ClipFraction = 0.02;

    const int Scale = 8;
    const int Padding = 4;

    /// <summary>
    /// Writes the PNGs of <paramref name="result"/> into <paramref name="folder"/> (created if missing), atomically:
    /// heatmaps.png for image inputs (each row: the image, its overlay), example-NNN.png per latent example.
    /// Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(ExplainResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var attributions = result.Attribution.Attributions.detach().to(ScalarType.Float32).cpu();
        var count = (int)Math.Min(MaxExamples, attributions.shape[0]);
        var paths = new List<string>();
        if (result.InputKind == TargetInput.Image)
        {
            var path = Path.Combine(folder, "heatmaps.png");
            AtomicFile.WriteAllBytes(path, Heatmaps(result.Inputs.narrow(0, 0, count), attributions.narrow(0, 0, count)));
            paths.Add(path);
            return paths;
        }
        // Prompt embeddings (N, t, E) are drawn per token: the sum of each token's E attributions.
        var values = result.InputKind == TargetInput.TokenEmbeddings ? attributions.sum(2) : attributions.flatten(1); // (N, t) or (N, d)
        for (var i = 0; i < count; i++)
        {
            var bars = BarChart(values[i].data<float>().ToArray(), $"{result.Attribution.Method} · {result.Request.Target} · example {i}");
            var image = result.Outputs is { } outputs && outputs.dim() == 4 ? outputs[i] : null; // (C, H, W)
            var path = Path.Combine(folder, $"example-{i:000}.png");
            AtomicFile.WriteAllBytes(path, image is null ? bars : SideBySide(image, bars));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The colour of a value v in [−1, 1] on the blue–white–red map.</summary>
    static SKColor Diverging(double v)
    {
        v = Math.Clamp(v, -1, 1);
        var fade = (byte)Math.Round(255 * (1 - Math.Abs(v)));
        return v >= 0 ? new SKColor(255, fade, fade) : new SKColor(fade, fade, 255);
    }

    /// <summary>98th percentile of |values|; 1 when all are 0.</summary>
    static double ClipScale(float[] values)
    {
        var magnitudes = values.Select(v => (double)Math.Abs(v)).Order().ToArray();
        var scale = magnitudes[(int)Math.Floor((1 - ClipFraction) * (magnitudes.Length - 1))];
        if (scale <= 0) scale = magnitudes[^1];
        return scale > 0 ? scale : 1;
    }

    static byte[] Heatmaps(Tensor images, Tensor attributions)
    {
        long n = images.shape[0], channels = images.shape[1], h = images.shape[2], w = images.shape[3];
        int cellW = (int)w * Scale, cellH = (int)h * Scale;
        int width = 2 * cellW + 3 * Padding, height = (int)n * (cellH + Padding) + Padding;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(new SKColor(128, 128, 128));
        var grey = images.detach().to(ScalarType.Float32).cpu().clamp(0, 1).mean([1]); // (N, H, W), channels averaged for the overlay
        var colour = images.detach().to(ScalarType.Float32).cpu().clamp(0, 1);
        var summed = attributions.sum(dim: 1); // (N, H, W): channels summed
        for (var i = 0; i < n; i++)
        {
            var pixels = colour[i].contiguous().data<float>().ToArray();
            var intensity = grey[i].contiguous().data<float>().ToArray();
            var phi = summed[i].contiguous().data<float>().ToArray();
            var scale = ClipScale(phi);
            int y0 = Padding + i * (cellH + Padding);
            for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = y * w + x;
                var r = ToByte(pixels[p]);
                var g = channels == 3 ? ToByte(pixels[p + h * w]) : r;
                var b = channels == 3 ? ToByte(pixels[p + 2 * h * w]) : r;
                var heat = Diverging(phi[p] / scale);
                var alpha = Math.Min(1, Math.Abs(phi[p] / scale)) * 0.75 + 0.25;
                var under = intensity[p] * 255;
                var overlay = new SKColor(Blend(heat.Red, under, alpha), Blend(heat.Green, under, alpha), Blend(heat.Blue, under, alpha));
                Fill(bitmap, Padding + x * Scale, y0 + y * Scale, new SKColor(r, g, b));
                Fill(bitmap, 2 * Padding + cellW + x * Scale, y0 + y * Scale, overlay);
            }
        }
        return Encode(bitmap);
    }

    static byte Blend(byte colour, double under, double alpha) => (byte)Math.Round(alpha * colour + (1 - alpha) * under);

    static void Fill(SKBitmap bitmap, int x0, int y0, SKColor colour)
    {
        for (var dy = 0; dy < Scale; dy++)
        for (var dx = 0; dx < Scale; dx++)
            bitmap.SetPixel(x0 + dx, y0 + dy, colour);
    }

    static byte ToByte(float v) => (byte)Math.Round(Math.Clamp(v, 0f, 1f) * 255f);

    static byte[] BarChart(float[] values, string title)
    {
        var plot = new Plot();
        var scale = ClipScale(values);
        var bars = values.Select((v, i) =>
        {
            var c = Diverging(v / scale);
            return new Bar { Position = i, Value = v, FillColor = new ScottPlot.Color(c.Red, c.Green, c.Blue), LineColor = Colors.Gray };
        }).ToArray();
        plot.Add.Bars(bars);
        plot.Title(title);
        plot.XLabel("latent dimension");
        plot.YLabel("attribution");
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(720, 320, ImageFormat.Png);
    }

    static byte[] SideBySide(Tensor image, byte[] chart)
    {
        using var chartBitmap = SKBitmap.Decode(chart);
        var single = ImageGrid.Encode(image.unsqueeze(0), 1, scale: Math.Max(1, (int)(chartBitmap.Height - 2 * Padding) / (int)image.shape[1]), padding: Padding);
        using var imageBitmap = SKBitmap.Decode(single);
        using var combined = new SKBitmap(imageBitmap.Width + chartBitmap.Width, Math.Max(imageBitmap.Height, chartBitmap.Height), SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(combined))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(imageBitmap, 0, 0);
            canvas.DrawBitmap(chartBitmap, imageBitmap.Width, 0);
        }
        return Encode(combined);
    }

    static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
