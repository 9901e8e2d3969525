using GenAudit.Stability;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class ConditionConsistencyTests
{
    // Condition c adds 10 to output c, so the argmax of the output is the condition for |z| < 5.
    static LinearGenerator Conditional() =>
        new(Matrices.Identity(3, 0.01), conditionOffsets: new double[,] { { 10, 0, 0 }, { 0, 10, 0 }, { 0, 0, 10 } });

    [Fact]
    public void AClassifierThatRecognisesTheConditionGivesOne()
    {
        using var generator = new Generator(1);
        var result = ConditionConsistency.Compute(Conditional(), x => x, 300, 128, generator);
        Assert.Equal(1.0, result.Value);
        Assert.Equal([1.0, 1.0, 1.0], result.PerCondition);
    }

    [Fact]
    public void AClassifierThatAlwaysSaysZeroGivesOneOverTheClassCount()
    {
        using var generator = new Generator(1);
        var result = ConditionConsistency.Compute(Conditional(), x => zeros(x.shape[0], ScalarType.Int64), 300, 128, generator);
        Assert.Equal(1.0 / 3, result.Value!.Value, 12);
        Assert.Equal([1.0, 0.0, 0.0], result.PerCondition);
    }

    [Fact]
    public void WithoutClassifierOrConditionsTheValueIsNullWithAReason()
    {
        using var generator = new Generator(1);
        var noClassifier = ConditionConsistency.Compute(Conditional(), null, 30, 16, generator);
        Assert.Null(noClassifier.Value);
        Assert.Contains("classifier", noClassifier.Reason);
        var unconditional = ConditionConsistency.Compute(new LinearGenerator(Matrices.Identity(3)), x => x, 30, 16, generator);
        Assert.Null(unconditional.Value);
        Assert.Contains("unconditional", unconditional.Reason);
    }
}
