using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>
/// Explicit (PyTorch-style) pooling padding: torchvision's ResNet stem pools with MaxPool2d(3, 2, padding=1), which neither
/// valid nor TensorFlow's "same" expresses.
/// </summary>
public class PoolingPaddingTests
{
    [TestCase(3, 2, 1, 1, 1, 1, 16)]
    [TestCase(3, 2, 1, 1, 1, 1, 17)]
    [TestCase(2, 2, 1, 0, 0, 1, 9)]
    [TestCase(3, 1, 2, 0, 1, 2, 20)]
    [TestCase(5, 2, 2, 2, 2, 2, 40)]
    [TestCase(3, 3, 0, 2, 2, 0, 37)]
    public void PaddedWindowsMatchAPlainReference(int size, int stride, int top, int bottom, int left, int right, int width)
    {
        // Widths past 16 take the 16-lane kernels for the interior columns; the reference is the definition, window by window,
        // ignoring padded positions (the max never picks one, the average divides by the real inputs).
        const int height = 9;
        var padding = Padding.Explicit(top, bottom, left, right);
        var max = Built(new MaxPool2D(size, stride, padding), 2, height, width);
        var avg = Built(new AvgPool2D(size, stride, padding), 2, height, width);
        var x = TestData.Random(21, 3, 2, height, width);
        var yMax = max.Forward(x, true).Span.ToArray();
        var yAvg = avg.Forward(x, true).Span.ToArray();
        var dx = max.Backward(new Tensor([.. Enumerable.Range(0, yMax.Length).Select(i => (float)i)], [3, .. max.OutputShape.ToArray()])).Span.ToArray();

        var (oh, ow) = (max.OutputShape[1], max.OutputShape[2]);
        Assert.That(oh, Is.EqualTo(((height + top + bottom - size) / stride) + 1), "output height");
        Assert.That(ow, Is.EqualTo(((width + left + right - size) / stride) + 1), "output width");
        var expectedDx = new float[x.Length];
        for (var plane = 0; plane < 6; plane++)
        {
            for (var i = 0; i < oh; i++)
            {
                for (var j = 0; j < ow; j++)
                {
                    var o = (((plane * oh) + i) * ow) + j;
                    float best = float.NegativeInfinity, sum = 0;
                    int at = -1, count = 0;
                    for (var h = (i * stride) - top; h < (i * stride) - top + size; h++)
                    {
                        for (var w = (j * stride) - left; w < (j * stride) - left + size; w++)
                        {
                            if (h < 0 || h >= height || w < 0 || w >= width)
                            {
                                continue;
                            }

                            var index = (((plane * height) + h) * width) + w;
                            sum += x[index];
                            count++;
                            if (at < 0 || x[index] > best)
                            {
                                (best, at) = (x[index], index);
                            }
                        }
                    }

                    Assert.That(yMax[o], Is.EqualTo(best), $"max at {o}");
                    Assert.That(yAvg[o], Is.EqualTo(sum / count).Within(1e-6), $"avg at {o}");
                    expectedDx[at] += o;
                }
            }
        }

        Assert.That(dx, Is.EqualTo(expectedDx), "gradients go to the first maxima");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void PaddedPoolingPassesGradientCheck(bool maxPool)
    {
        Layer pool = maxPool ? new MaxPool2D(3, 2, Padding.Explicit(1, 2, 2, 1)) : new AvgPool2D(3, 2, Padding.Explicit(1, 2, 2, 1));
        var net = new Sequential(pool, new Sigmoid());
        net.Build([2, 7, 7], new RandomSource(5));
        var x = new Tensor(3, 2, 7, 7);
        var order = Enumerable.Range(0, x.Length).ToArray();
        new RandomSource(6).Shuffle(order);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (order[i] - (x.Length / 2f)) * 0.05f;
        }

        var result = GradientCheck.Run(net, new QuadraticCost(), x, TestData.Uniform(7, 0, 1, [3, .. net.OutputShape.ToArray()]));

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void TorchvisionsResNetStemPoolKeepsTheShapeAndCentresItsWindows()
    {
        // MaxPool2d(3, 2, padding=1) on 112x112: 56x56, and output (0, 0) covers rows and columns -1..1 (so 0..1).
        var pool = Built(new MaxPool2D(3, 2, padding: 1), 1, 112, 112);
        Assert.That(pool.OutputShape.ToArray(), Is.EqualTo(new[] { 1, 56, 56 }));
        var x = new Tensor(1, 1, 112, 112);
        x[(2 * 112) + 2] = 5f; // row 2, column 2: outside window (0, 0), inside window (1, 1)
        x[(1 * 112) + 1] = 3f; // inside window (0, 0)
        var y = pool.Forward(x, false);
        Assert.That(y[0], Is.EqualTo(3f));
        Assert.That(y[57], Is.EqualTo(5f));
    }

    [Test]
    public void ExplicitPaddingSavesAndLoadsAndOlderDescriptionsReadAsBefore()
    {
        var network = new Sequential(new MaxPool2D(3, 2, Padding.Explicit(1, 0, 2, 1)), new AvgPool2D(2, 1, padding: 1), new MaxPool2D(2, same: true));
        network.Build([2, 9, 9], new RandomSource(3));
        var clone = (Sequential)NetworkFile.Clone(network);

        Assert.That(((Pooling2D)clone.Layers[0]).Padding, Is.EqualTo(Padding.Explicit(1, 0, 2, 1)));
        Assert.That(((Pooling2D)clone.Layers[1]).Padding, Is.EqualTo(Padding.Symmetric(1)));
        Assert.That(((Pooling2D)clone.Layers[2]).Same, Is.True);
        var x = TestData.Random(4, 2, 2, 9, 9);
        Assert.That(clone.Forward(x, false).Span.ToArray(), Is.EqualTo(network.Forward(x, false).Span.ToArray()));

        // A description written before explicit padding existed has only size, stride and same.
        Assert.That(network.Layers[2].Describe().Settings.Keys, Is.EquivalentTo(new[] { "size", "stride", "same" }));
        var old = new LayerDescription("MaxPool2D", "old", [new("size", "3"), new("stride", "2"), new("same", "false")]);
        Assert.That(((Pooling2D)LayerRegistry.Create(old)).Padding, Is.EqualTo(Padding.Valid));
        var both = new LayerDescription("AvgPool2D", "both", [new("size", "3"), new("stride", "2"), new("same", "true"), new("padding", "1,1,1,1")]);
        Assert.That(() => LayerRegistry.Create(both), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'both'"));
    }

    [Test]
    public void PaddingThatWouldLeaveAWindowWithoutInputIsRejected()
    {
        Assert.That(() => new MaxPool2D(2, 2, padding: 2), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("less than the window size 2"));
        Assert.That(() => new AvgPool2D(3, 1, Padding.Explicit(0, 3, 0, 0)), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Built(new MaxPool2D(5, 1, padding: 1), 1, 2, 2), Throws.ArgumentException.With.Message.Contains("padded by 1 + 1"));
    }

    [Test]
    public void ResNet18IsTorchvisionsLayerForLayer()
    {
        var net = Architectures.ResNet18();
        net.Build([3, 224, 224], new RandomSource(1));
        var stem = (MaxPool2D)net.Layers[3];
        Assert.That(stem.Padding, Is.EqualTo(Padding.Symmetric(1)), "torchvision's MaxPool2d(3, 2, padding=1)");
        Assert.That(stem.OutputShape.ToArray(), Is.EqualTo(new[] { 64, 56, 56 }));
        Assert.That(net.ParameterCount, Is.EqualTo(11_689_512), "torchvision's resnet18() parameter count");
    }

    private static T Built<T>(T layer, params int[] inputShape)
        where T : Layer
    {
        layer.Build(inputShape, new RandomSource(1));
        return layer;
    }
}
