using MlNetDeep.Data;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Data;

public sealed class ClassificationDataTests
{
    [Test]
    public void ConstructorRejectsMismatchedRowsAndLabels()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClassificationData(new Tensor(3, 2), [0, 1], ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("3 rows").And.Contain("2 labels"));
    }

    [Test]
    public void ConstructorRejectsOutOfRangeLabels()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClassificationData(new Tensor(3, 2), [0, 2, 1], ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("Label 2 at index 1").And.Contain("[0, 2)"));
        Assert.Throws<ArgumentException>(() => new ClassificationData(new Tensor(1, 2), [-1], ["a", "b"]));
    }

    [Test]
    public void ConstructorRejectsEmptyInputs()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClassificationData(new Tensor(1, 2), [], ["a"]));
        Assert.That(e!.Message, Does.Contain("at least one sample"));
        var e2 = Assert.Throws<ArgumentException>(() => new ClassificationData(new Tensor(1, 2), [0], []));
        Assert.That(e2!.Message, Does.Contain("class name"));
        Assert.Throws<ArgumentNullException>(() => new ClassificationData(null!, [0], ["a"]));
    }

    [Test]
    public void SubsetCopiesRowsInOrder()
    {
        var data = Make([0, 1, 1, 0, 2], 3);
        var sub = data.Subset([4, 0, 4]);
        Assert.That(sub.Features.ShapeArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(sub.Labels, Is.EqualTo(new[] { 2, 0, 2 }));
        Assert.That(sub.Features.Row(0).ToArray(), Is.EqualTo(data.Features.Row(4).ToArray()));
        Assert.That(sub.Features.Row(1).ToArray(), Is.EqualTo(data.Features.Row(0).ToArray()));
        sub.Features[0] = -1f;
        Assert.That(data.Features[8], Is.Not.EqualTo(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([5]));
        Assert.Throws<ArgumentException>(() => data.Subset([]));
    }

    [Test]
    public void SubsetKeepsImageShape()
    {
        var data = new ClassificationData(new Tensor(4, 1, 3, 3), [0, 1, 0, 1], ["a", "b"]);
        Assert.That(data.Subset([1, 2]).Features.ShapeArray(), Is.EqualTo(new[] { 2, 1, 3, 3 }));
    }

    [Test]
    public void StratifiedSplitKeepsClassProportions()
    {
        var labels = new int[1000];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = i < 500 ? 0 : i < 800 ? 1 : i < 950 ? 2 : 3;
        }

        var data = Make(labels, 4);
        var (first, second) = data.StratifiedSplit(0.8, seed: 42);
        Assert.That(first.CountPerClass(), Is.EqualTo(new[] { 400, 240, 120, 40 }));
        Assert.That(second.CountPerClass(), Is.EqualTo(new[] { 100, 60, 30, 10 }));

        // Every sample lands in exactly one part, with its own label.
        var seen = first.Features.Span.ToArray().Where((_, i) => i % 2 == 0)
            .Concat(second.Features.Span.ToArray().Where((_, i) => i % 2 == 0))
            .Select(v => (int)v).Order().ToArray();
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 1000).ToArray()));
        for (var i = 0; i < first.Count; i++)
        {
            Assert.That(first.Labels[i], Is.EqualTo(labels[(int)first.Features[i, 0]]));
        }
    }

    [Test]
    public void StratifiedSplitSumsToRoundedTotal()
    {
        // Classes of 7, 5 and 3 at 0.5: floors 3, 2, 1 (6) and round(7.5) = 8, so two classes get one more.
        var labels = Enumerable.Repeat(0, 7).Concat(Enumerable.Repeat(1, 5)).Concat(Enumerable.Repeat(2, 3)).ToArray();
        var (first, second) = Make(labels, 3).StratifiedSplit(0.5, seed: 1);
        Assert.That(first.Count, Is.EqualTo(8));
        Assert.That(first.CountPerClass(), Is.EqualTo(new[] { 4, 3, 1 }));
        Assert.That(second.CountPerClass(), Is.EqualTo(new[] { 3, 2, 2 }));
    }

    [Test]
    public void StratifiedSplitIsDeterministicForSeed()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i % 3).ToArray();
        var data = Make(labels, 3);
        var (a1, b1) = data.StratifiedSplit(0.7, seed: 123);
        var (a2, b2) = data.StratifiedSplit(0.7, seed: 123);
        var (a3, _) = data.StratifiedSplit(0.7, seed: 124);
        Assert.That(a2.Features.Span.ToArray(), Is.EqualTo(a1.Features.Span.ToArray()));
        Assert.That(b2.Labels, Is.EqualTo(b1.Labels));
        Assert.That(a3.Features.Span.ToArray(), Is.Not.EqualTo(a1.Features.Span.ToArray()));
    }

    [Test]
    public void StratifiedSplitRejectsBadFractions()
    {
        var data = Make([0, 1, 0, 1], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(0.01, 1));
    }

    /// <summary>Row i holds (i, label) so tests can tell which sample went where.</summary>
    private static ClassificationData Make(int[] labels, int classes)
    {
        var data = new float[labels.Length * 2];
        for (var i = 0; i < labels.Length; i++)
        {
            data[2 * i] = i;
            data[(2 * i) + 1] = labels[i];
        }

        return new ClassificationData(new Tensor(data, labels.Length, 2), labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray());
    }
}
