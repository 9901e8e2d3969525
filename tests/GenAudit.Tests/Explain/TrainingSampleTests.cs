using GenAudit.Explain;

namespace GenAudit.Tests.Explain;

public class TrainingSampleTests
{
    [Fact]
    public void EachClassGetsItsShareOfTheSampleWhateverTheOrder()
    {
        // 60 of class 0, then 30 of class 1, then 10 of class 2 (a folder dataset sorted by class).
        var labels = Enumerable.Repeat(0L, 60).Concat(Enumerable.Repeat(1L, 30)).Concat(Enumerable.Repeat(2L, 10)).ToArray();
        var sample = TrainingSample.Stratified(labels, 100, 20, seed: 3);
        Assert.Equal(20, sample.Distinct().Count());
        Assert.Equal(new[] { 12, 6, 2 }, new[] { 0L, 1L, 2L }.Select(c => sample.Count(i => labels[i] == c)).ToArray());
        // 7 of 100: exact shares 4.2, 2.1, 0.7 → floors 4, 2, 0 and the largest remainder (class 2) gets the last one.
        var small = TrainingSample.Stratified(labels, 100, 7, seed: 3);
        Assert.Equal(new[] { 4, 2, 1 }, new[] { 0L, 1L, 2L }.Select(c => small.Count(i => labels[i] == c)).ToArray());
    }

    [Fact]
    public void TheSampleIsSeededAndCoversEverythingWhenItAsksForMore()
    {
        var labels = Enumerable.Range(0, 50).Select(i => (long)(i / 10)).ToArray();
        Assert.Equal(TrainingSample.Stratified(labels, 50, 10, 7), TrainingSample.Stratified(labels, 50, 10, 7));
        Assert.NotEqual(TrainingSample.Stratified(labels, 50, 10, 7), TrainingSample.Stratified(labels, 50, 10, 8));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), TrainingSample.Stratified(labels, 50, 80, 7));
        var unlabelled = TrainingSample.Stratified(null, 50, 10, 7);
        Assert.Equal(10, unlabelled.Distinct().Count());
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => (long)i), unlabelled); // not the first N
        Assert.Throws<ArgumentException>(() => TrainingSample.Stratified(labels, 40, 10, 7));
    }
}
