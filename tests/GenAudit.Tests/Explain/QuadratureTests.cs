using GenAudit.Explain;

namespace GenAudit.Tests.Explain;

public class QuadratureTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(50)]
    public void GaussLegendreIntegratesPolynomialsUpToDegreeTwoNMinusOneExactly(int n)
    {
        var (nodes, weights) = Quadrature.On01(IntegrationRule.GaussLegendre, n);
        Assert.Equal(1.0, weights.Sum(), 12);
        Assert.True(nodes.Zip(nodes.Skip(1)).All(p => p.First < p.Second) && nodes[0] > 0 && nodes[^1] < 1);
        for (var degree = 0; degree <= 2 * n - 1; degree++)
        {
            var integral = nodes.Zip(weights).Sum(p => p.Second * Math.Pow(p.First, degree));
            Assert.True(Math.Abs(integral - 1.0 / (degree + 1)) < 1e-12, $"n = {n}: ∫ α^{degree} = {integral:R}, expected {1.0 / (degree + 1):R}");
        }
        // Degree 2n is not exact (for small n the error is visible in float64; it falls like 16^-n).
        var beyond = nodes.Zip(weights).Sum(p => p.Second * Math.Pow(p.First, 2 * n));
        if (n <= 5) Assert.True(Math.Abs(beyond - 1.0 / (2 * n + 1)) > 1e-10);
    }

    [Fact]
    public void GaussLegendreMatchesTheKnownThreePointRule()
    {
        var (nodes, weights) = Quadrature.GaussLegendre(3);
        Assert.Equal(-Math.Sqrt(0.6), nodes[0], 14);
        Assert.Equal(0.0, nodes[1], 14);
        Assert.Equal(5.0 / 9, weights[0], 14);
        Assert.Equal(8.0 / 9, weights[1], 14);
    }

    [Theory]
    [InlineData(IntegrationRule.RiemannLeft, 0.0, 0.75)]
    [InlineData(IntegrationRule.RiemannRight, 0.25, 1.0)]
    [InlineData(IntegrationRule.RiemannMiddle, 0.125, 0.875)]
    [InlineData(IntegrationRule.RiemannTrapezoid, 0.0, 1.0)]
    public void RiemannRulesPlaceTheirNodesWhereDocumented(IntegrationRule rule, double first, double last)
    {
        var (nodes, weights) = Quadrature.On01(rule, 4);
        Assert.Equal(first, nodes[0], 14);
        Assert.Equal(last, nodes[^1], 14);
        Assert.Equal(1.0, weights.Sum(), 14);
        // All of them integrate a linear function exactly except left and right sums.
        var integral = nodes.Zip(weights).Sum(p => p.First * p.Second);
        if (rule is IntegrationRule.RiemannMiddle or IntegrationRule.RiemannTrapezoid) Assert.Equal(0.5, integral, 14);
    }
}
