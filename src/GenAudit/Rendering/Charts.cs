using GenAudit.Core;
using GenAudit.Training;
using ScottPlot;

namespace GenAudit.Rendering;

/// <summary>Loss curves of a run from its history.</summary>
public static class LossChart
{
    /// <summary>Plots the losses (and gradient norms on a second panel-like log axis) against the step; writes a PNG atomically.</summary>
    public static void Render(IReadOnlyList<HistoryEntry> history, string path, bool gan)
    {
        var plot = new Plot();
        var steps = history.Select(h => (double)h.Step).ToArray();
        void Line(string label, Func<HistoryEntry, double?> value)
        {
            var points = history.Where(h => value(h) is { } v && double.IsFinite(v)).ToArray();
            if (points.Length == 0) return;
            var scatter = plot.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => value(p)!.Value).ToArray());
            scatter.LegendText = label;
            scatter.MarkerSize = 0;
        }
        if (gan)
        {
            Line("loss D", h => h.LossD);
            Line("loss G", h => h.LossG);
            Line("D(real)", h => h.DReal);
            Line("D(fake)", h => h.DFake);
        }
        else
        {
            Line("−ELBO", h => h.Loss);
            Line("reconstruction", h => h.Recon);
            Line("KL", h => h.Kl);
        }
        plot.Title(gan ? "GAN training" : "VAE training");
        plot.XLabel("step");
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 450, ImageFormat.Png));
    }
}

/// <summary>Scatter plots of 2D samples against the real data.</summary>
public static class PointChart
{
    /// <summary>Plots real points (grey) and generated points (blue); writes a PNG atomically.</summary>
    public static void Render(double[,] real, double[,] generated, string path, string title)
    {
        var plot = new Plot();
        void Points(double[,] p, string label, Color colour, float size)
        {
            int n = p.GetLength(0);
            var xs = new double[n];
            var ys = new double[n];
            for (int i = 0; i < n; i++) { xs[i] = p[i, 0]; ys[i] = p[i, 1]; }
            var s = plot.Add.ScatterPoints(xs, ys);
            s.LegendText = label;
            s.Color = colour;
            s.MarkerSize = size;
        }
        Points(real, "real", Colors.Gray.WithAlpha(0.5), 3);
        Points(generated, "generated", Colors.Blue.WithAlpha(0.6), 2);
        plot.Title(title);
        plot.Axes.SquareUnits();
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(600, 600, ImageFormat.Png));
    }
}
