using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>Fast R-CNN's RoI pooling: hand-computed bins, the routed gradient and a gradient check.</summary>
public class RoIPoolingTests
{
    [Test]
    public void EachRegionIsSplitIntoAFixedGridAndMaxPooled()
    {
        var layer = new RoIPooling(2, 2, 1f);
        layer.Build([1, 4, 4], new RandomSource(0));
        var map = new Tensor([.. Enumerable.Range(0, 16).Select(i => (float)i)], 1, 1, 4, 4);
        layer.SetRegions(new Tensor([0, 0, 0, 3, 3, 0, 1, 1, 2, 2, 0, 2, 0, 3, 0], 3, 5));

        var pooled = layer.Forward(map, training: false);

        // Whole map: 2×2 bins of 2×2 cells → 5, 7, 13, 15. Centre 2×2: one cell a bin → 5, 6, 9, 10. A 2×1 strip
        // (x 2..3, y 0): bins of one column, one row spread over two output rows → 2, 3, 2, 3.
        Assert.That(pooled.Shape.ToArray(), Is.EqualTo(new[] { 3, 1, 2, 2 }));
        Assert.That(pooled.Span.ToArray(), Is.EqualTo(new float[] { 5, 7, 13, 15, 5, 6, 9, 10, 2, 3, 2, 3 }));

        var dx = layer.Backward(new Tensor([.. Enumerable.Repeat(1f, 12)], 3, 1, 2, 2));
        var expected = new float[16];
        foreach (var i in new[] { 5, 7, 13, 15, 5, 6, 9, 10, 2, 3, 2, 3 })
        {
            expected[i]++;
        }

        Assert.That(dx.Span.ToArray(), Is.EqualTo(expected), "each bin's gradient goes to its maximum, summed over regions");
    }

    [Test]
    public void RoIPoolingPassesGradientCheck()
    {
        var roi = new RoIPooling(2, 3, 0.5f);
        var network = new Sequential(roi, new Flatten(), new Dense(3));
        network.Build([3, 8, 8], new RandomSource(5));
        roi.SetRegions(new Tensor([0, 0, 0, 15, 15, 0, 2, 4, 9, 12, 1, 5, 1, 14, 7, 1, 0, 8, 6, 15], 4, 5));
        var x = TestData.Random(6, 2, 3, 8, 8);
        var y = TestData.Labels(7, 4, 3);

        var result = GradientCheck.Run(network, new SoftmaxCrossEntropy(), x, y, epsilon: 1e-3);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void ARegionNamingAMissingImageIsAnError()
    {
        var layer = new RoIPooling(2, 2, 1f);
        layer.Build([1, 4, 4], new RandomSource(0));
        layer.SetRegions(new Tensor([3, 0, 0, 2, 2], 1, 5));

        Assert.That(() => layer.Forward(new Tensor(2, 1, 4, 4), training: false), Throws.ArgumentException.With.Message.Contains("image 3").And.Message.Contains("2 images"));
    }
}
