using GenAudit.Core;
using ScottPlot;
using static TorchSharp.torch;

namespace GenAudit.Rendering;

/// <summary>Pictures of latent directions, latent-to-pixel influence, activations and Grad-CAM maps.</summary>
public static class LatentCharts
{
    // Anchors of the "inferno" colour map (matplotlib), evenly spaced from 0 to 1: dark = low, yellow = high.
    static readonly double[,] Inferno =
    {
        { 0.001, 0.000, 0.014 }, { 0.122, 0.047, 0.282 }, { 0.341, 0.063, 0.429 }, { 0.550, 0.161, 0.506 },
        { 0.735, 0.216, 0.330 }, { 0.890, 0.345, 0.200 }, { 0.978, 0.557, 0.035 }, { 0.977, 0.792, 0.180 },
        { 0.988, 0.998, 0.645 },
    };

    /// <summary>Maps values (..., H, W) in [0, 1] (clamped) to RGB (..., 3, H, W) on the inferno colour map, linearly between anchors.</summary>
    public static Tensor Colour(Tensor values)
    {
        using var scope = NewDisposeScope();
        int anchors = Inferno.GetLength(0);
        var palette = tensor(Inferno, dtype: ScalarType.Float32).to(values.device); // (M, 3)
        var position = values.to(ScalarType.Float32).clamp(0, 1) * (anchors - 1);
        var low = position.floor().clamp(0, anchors - 2);
        var fraction = (position - low).unsqueeze(-1); // (..., H, W, 1)
        var index = low.to(ScalarType.Int64).flatten();
        var shape = values.shape.Append(3L).ToArray();
        var a = palette.index_select(0, index).view(shape);
        var b = palette.index_select(0, index + 1).view(shape);
        var rgb = a + (b - a) * fraction; // (..., H, W, 3)
        return rgb.movedim([-1L], [-3L]).contiguous().MoveToOuterDisposeScope(); // (..., 3, H, W)
    }

    /// <summary>
    /// Saves maps (N, H, W) as a grid of inferno heatmaps on one common scale, so the brightness of
    /// two cells can be compared: magnitudes divided by their 99.5th percentile over all maps (the
    /// brightest 0.5% saturate rather than darkening everything else).
    /// </summary>
    public static void SaveHeatmaps(Tensor maps, int columns, string path, int scale = 3)
    {
        using var scope = NewDisposeScope();
        var peak = maps.abs().flatten().to(ScalarType.Float64).quantile(0.995).clamp_min(1e-12).to(maps.dtype);
        ImageGrid.Save(Colour(maps.abs() / peak).cpu(), columns, path, scale);
    }

    /// <summary>
    /// Blends a colour heatmap over images: (1 − α)·image + α·inferno(map) for images (B, 1|3, H, W)
    /// in [0, 1] and maps (B, H, W) in [0, 1]; returns RGB (B, 3, H, W).
    /// </summary>
    public static Tensor Overlay(Tensor images, Tensor maps, double alpha = 0.5)
    {
        using var scope = NewDisposeScope();
        var rgb = images.shape[1] == 1 ? images.expand(-1, 3, -1, -1) : images;
        return ((1 - alpha) * rgb.to(ScalarType.Float32).clamp(0, 1) + alpha * Colour(maps)).MoveToOuterDisposeScope();
    }

    /// <summary>Each map of (N, h, w) rescaled to its own [min, max] as a grey image (N, 1, h, w), so every unit's pattern is visible.</summary>
    public static Tensor NormaliseEach(Tensor maps)
    {
        using var scope = NewDisposeScope();
        var flat = maps.to(ScalarType.Float32).flatten(1);
        var low = flat.amin([1], keepdim: true);
        var high = flat.amax([1], keepdim: true);
        var scaled = (flat - low) / (high - low).clamp_min(1e-12);
        return scaled.view(maps.shape[0], 1, maps.shape[1], maps.shape[2]).MoveToOuterDisposeScope();
    }

    /// <summary>A bar chart of one value per item (latent dimension, direction), with 1-based or given labels; writes a PNG atomically.</summary>
    public static void SaveBars(IReadOnlyList<double> values, string title, string xLabel, string yLabel, string path)
    {
        var plot = new Plot();
        var bars = plot.Add.Bars(values.ToArray());
        bars.Color = Colors.SteelBlue;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.Margins(bottom: 0);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Math.Clamp(40 + 12 * values.Count, 500, 1400), 400, ImageFormat.Png));
    }

    /// <summary>Traversal paths of a 2D generator: one polyline per (direction, base sample) through G(z0 + s·u) over the strengths, over the real points in grey.</summary>
    public static void SaveTraversalPaths(double[,] real, IReadOnlyList<(string Label, double[] Xs, double[] Ys)> paths, string title, string path)
    {
        var plot = new Plot();
        var xs = new double[real.GetLength(0)];
        var ys = new double[real.GetLength(0)];
        for (int i = 0; i < xs.Length; i++) { xs[i] = real[i, 0]; ys[i] = real[i, 1]; }
        var points = plot.Add.ScatterPoints(xs, ys);
        points.Color = Colors.Gray.WithAlpha(0.3);
        points.MarkerSize = 2;
        var palette = new ScottPlot.Palettes.Category10();
        var labels = paths.Select(p => p.Label).Distinct().ToList();
        foreach (var (label, px, py) in paths)
        {
            var line = plot.Add.Scatter(px, py);
            line.Color = palette.GetColor(labels.IndexOf(label));
            line.MarkerSize = 5;
            line.LineWidth = 2;
        }
        foreach (var label in labels)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, LineColor = palette.GetColor(labels.IndexOf(label)), LineWidth = 2 });
        plot.Title(title);
        plot.Axes.SquareUnits();
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(700, 700, ImageFormat.Png));
    }
}
