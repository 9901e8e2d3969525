namespace GenAudit.Explain;

/// <summary>How Integrated Gradients places its n points on the path from the baseline (α = 0) to the input (α = 1).</summary>
public enum IntegrationRule
{
    /// <summary>Gauss–Legendre: n nodes on (0, 1), exact for polynomials in α of degree up to 2n−1.</summary>
    GaussLegendre,
    /// <summary>Left Riemann sum: α = k/n, k = 0..n−1, weights 1/n.</summary>
    RiemannLeft,
    /// <summary>Right Riemann sum: α = k/n, k = 1..n, weights 1/n.</summary>
    RiemannRight,
    /// <summary>Midpoint rule: α = (k + ½)/n, weights 1/n.</summary>
    RiemannMiddle,
    /// <summary>Trapezoid rule: α = k/(n−1), k = 0..n−1, weights 1/(n−1) halved at both ends.</summary>
    RiemannTrapezoid,
}

/// <summary>Nodes and weights of the integration rules on [0, 1].</summary>
public static class Quadrature
{
    /// <summary>Nodes α (ascending) and weights, summing to 1, of <paramref name="rule"/> with <paramref name="points"/> points on [0, 1].</summary>
    public static (double[] Nodes, double[] Weights) On01(IntegrationRule rule, int points)
    {
        if (points < 1) throw new ArgumentOutOfRangeException(nameof(points), points, "integration: the number of steps must be >= 1.");
        var nodes = new double[points];
        var weights = new double[points];
        switch (rule)
        {
            case IntegrationRule.GaussLegendre:
                var (x, w) = GaussLegendre(points);
                for (var i = 0; i < points; i++) { nodes[i] = (x[i] + 1) / 2; weights[i] = w[i] / 2; }
                break;
            case IntegrationRule.RiemannTrapezoid:
                if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "integration: the trapezoid rule needs >= 2 steps.");
                for (var i = 0; i < points; i++)
                {
                    nodes[i] = (double)i / (points - 1);
                    weights[i] = (i == 0 || i == points - 1 ? 0.5 : 1.0) / (points - 1);
                }
                break;
            default:
                var offset = rule switch { IntegrationRule.RiemannLeft => 0.0, IntegrationRule.RiemannRight => 1.0, _ => 0.5 };
                for (var i = 0; i < points; i++) { nodes[i] = (i + offset) / points; weights[i] = 1.0 / points; }
                break;
        }
        return (nodes, weights);
    }

    /// <summary>
    /// Gauss–Legendre nodes (ascending) and weights on [−1, 1]: Newton's method on P_n from the
    /// Tricomi starting guesses cos(π(i − ¼)/(n + ½)), with P_n and P_n' from the three-term recurrence;
    /// weights 2 / ((1 − x²) P_n'(x)²).
    /// </summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Gauss–Legendre needs n >= 1.");
        var nodes = new double[n];
        var weights = new double[n];
        for (var i = 0; i < (n + 1) / 2; i++)
        {
            var x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0;
            for (var iteration = 0; iteration < 100; iteration++)
            {
                (var p, derivative) = Legendre(n, x);
                var step = p / derivative;
                x -= step;
                if (Math.Abs(step) < 1e-16) break;
            }
            (_, derivative) = Legendre(n, x);
            var weight = 2 / ((1 - x * x) * derivative * derivative);
            nodes[i] = -x; weights[i] = weight;             // cos is decreasing: mirror to ascending order
            nodes[n - 1 - i] = x; weights[n - 1 - i] = weight;
        }
        if (n % 2 == 1) nodes[n / 2] = 0;
        return (nodes, weights);
    }

    static (double Value, double Derivative) Legendre(int n, double x)
    {
        double previous = 1, current = x;
        if (n == 0) return (1, 0);
        for (var k = 2; k <= n; k++)
        {
            var next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
            previous = current;
            current = next;
        }
        return (current, n * (x * current - previous) / (x * x - 1));
    }
}
