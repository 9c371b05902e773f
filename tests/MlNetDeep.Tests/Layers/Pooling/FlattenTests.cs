using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Pooling;

public class FlattenTests
{
    [Test]
    public void FlattensEachSampleWithoutCopying()
    {
        var flatten = new Flatten();
        flatten.Build([2, 3, 4], new RandomSource(1));
        var x = TestData.Random(1, 5, 2, 3, 4);

        var y = flatten.Forward(x, true);

        Assert.That(flatten.OutputShape.ToArray(), Is.EqualTo(new[] { 24 }));
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 5, 24 }));
        Assert.That(y.Data, Is.SameAs(x.Data), "a view over the input's storage");
        Assert.That(y[2, 13], Is.EqualTo(x[(2 * 24) + 13]), "NCHW order");

        var dy = TestData.Random(2, 5, 24);
        var dx = flatten.Backward(dy);
        Assert.That(dx.ShapeArray(), Is.EqualTo(new[] { 5, 2, 3, 4 }));
        Assert.That(dx.Span.ToArray(), Is.EqualTo(dy.Span.ToArray()));
    }

    [Test]
    public void FollowsTheBatchSizeAndANewStorage()
    {
        var flatten = new Flatten();
        flatten.Build([2, 2, 2], new RandomSource(1));

        var first = flatten.Forward(TestData.Random(1, 4, 2, 2, 2), false);
        Assert.That(first.ShapeArray(), Is.EqualTo(new[] { 4, 8 }));

        var other = TestData.Random(2, 3, 2, 2, 2);
        var second = flatten.Forward(other, false);
        Assert.That(second.ShapeArray(), Is.EqualTo(new[] { 3, 8 }));
        Assert.That(second.Data, Is.SameAs(other.Data));
        Assert.That(second.Span.ToArray(), Is.EqualTo(other.Span.ToArray()));
    }
}
