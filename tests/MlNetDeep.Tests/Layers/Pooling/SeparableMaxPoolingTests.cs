using System.Runtime.Intrinsics.X86;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>
/// Max pooling for inference by rows then columns (<see cref="SeparableMaxPooling"/>) against the window-by-window form a
/// training pass runs (itself held to the definition in PoolingPaddingTests), bit for bit, with ties of +0 and −0, NaNs
/// and −∞ in the windows; and the small-plane passes of the pooling layers.
/// </summary>
public class SeparableMaxPoolingTests
{
    /// <summary>(size, stride, padding top, bottom, left, right, height, width).</summary>
    [TestCase(3, 2, 1, 1, 1, 1, 16, 16)]     // a ResNet's stem pooling on 32×32 images
    [TestCase(3, 2, 1, 1, 1, 1, 112, 112)]   // … and on 224×224 (several vectors a row)
    [TestCase(3, 2, 1, 1, 1, 1, 15, 37)]
    [TestCase(3, 1, 2, 0, 1, 2, 9, 20)]
    [TestCase(5, 2, 2, 2, 2, 2, 11, 40)]
    [TestCase(2, 2, 0, 0, 0, 0, 9, 9)]       // odd planes: not the pairwise kernel
    [TestCase(2, 1, 1, 0, 0, 1, 5, 33)]
    [TestCase(4, 2, 0, 0, 0, 0, 12, 12)]
    [TestCase(3, 1, 1, 1, 1, 1, 7, 16)]      // rows of 16 and of fewer: one load a row, permuted
    [TestCase(5, 2, 2, 2, 2, 2, 10, 13)]
    [TestCase(3, 2, 0, 2, 1, 1, 8, 14)]
    public void InferenceGivesTheBitsOfTheWindowByWindowForm(int size, int stride, int top, int bottom, int left, int right, int height, int width)
    {
        var pool = new MaxPool2D(size, stride, Padding.Explicit(top, bottom, left, right));
        pool.Build([3, height, width], new RandomSource(1));
        var x = TestData.Random(7, 2, 3, height, width);
        var values = x.Span;
        var random = new RandomSource(8);
        for (var i = 0; i < values.Length; i++)
        {
            // Many exact ties (±0 and repeated values), some NaNs and −∞.
            var u = random.NextFloat();
            values[i] = u < 0.2f ? 0f : u < 0.4f ? -0f : u < 0.45f ? float.NaN : u < 0.5f ? float.NegativeInfinity : u < 0.6f ? 1f : values[i];
        }

        var training = Bits(pool.Forward(x, true));
        var inference = Bits(pool.Forward(x, false));
        Assert.That(inference, Is.EqualTo(training));

        // A backward pass after an inference pass finds the positions again: the gradients of a training pass.
        var dy = TestData.Random(9, 2, 3, pool.OutputShape[1], pool.OutputShape[2]);
        pool.Forward(x, true);
        var afterTraining = pool.Backward(dy).Span.ToArray();
        pool.Forward(x, false);
        Assert.That(pool.Backward(dy).Span.ToArray(), Is.EqualTo(afterTraining));
    }

    [Test]
    public void TakenForInferenceWithAvx512()
    {
        Assert.That(SeparableMaxPooling.Supports(2), Is.EqualTo(Avx512F.IsSupported));
        Assert.That(SeparableMaxPooling.Supports(3), Is.False);
    }

    /// <summary>Many 1×1 planes (a ResNet's global pooling on 32×32 images) in runs across the cores: the identity, both ways.</summary>
    [Test]
    public void GlobalAveragePoolingOfOneByOneMapsIsTheIdentity()
    {
        var pool = new AvgPool2D(1);
        pool.Build([512, 1, 1], new RandomSource(1));
        var x = TestData.Random(3, 300, 512, 1, 1);
        Assert.That(pool.Forward(x, false).Span.ToArray(), Is.EqualTo(x.Span.ToArray()));
        var dy = TestData.Random(4, 300, 512, 1, 1);
        Assert.That(pool.Backward(dy).Span.ToArray(), Is.EqualTo(dy.Span.ToArray()));
    }

    /// <summary>A max and an average pooling of many small planes, cut into runs of planes, against plane-by-plane references.</summary>
    [Test]
    public void ManySmallPlanesMatchAPlainReference()
    {
        var max = new MaxPool2D(2);
        var avg = new AvgPool2D(2);
        max.Build([64, 3, 3], new RandomSource(1));
        avg.Build([64, 3, 3], new RandomSource(1));
        var x = TestData.Random(5, 77, 64, 3, 3);
        var yMax = max.Forward(x, true).Span.ToArray();
        var yAvg = avg.Forward(x, true).Span.ToArray();
        for (var plane = 0; plane < 77 * 64; plane++)
        {
            var p = x.Span.Slice(plane * 9, 9).ToArray();
            float[] window = [p[0], p[1], p[3], p[4]];
            Assert.That(yMax[plane], Is.EqualTo(window.Max()), $"max of plane {plane}");
            Assert.That(yAvg[plane], Is.EqualTo(window.Sum() / 4).Within(1e-6), $"average of plane {plane}");
        }
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];
}
