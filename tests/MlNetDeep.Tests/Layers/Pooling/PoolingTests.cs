using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>Max and average pooling (seed 000 §2.2, AlexNet's overlapping 3/2) and LeNet's trainable subsampling (§2.3).</summary>
public class PoolingTests
{
    /// <summary>The classic 4×4 example: 2×2 windows, stride 2.</summary>
    private static readonly float[] Classic = [1, 3, 2, 1, 2, 9, 1, 1, 1, 3, 2, 3, 5, 6, 1, 2];

    /// <summary>1..count laid out row-major, one sample of one channel.</summary>
    private static Tensor Counting(int h, int w) => new([.. Enumerable.Range(1, h * w).Select(i => (float)i)], 1, 1, h, w);

    private static T Built<T>(T layer, params int[] inputShape)
        where T : Layer
    {
        layer.Build(inputShape, new RandomSource(1));
        return layer;
    }

    /// <summary>Distinct values 0.05 apart in a shuffled order, so that a max never ties or swaps under a gradient-check step.</summary>
    private static Tensor Distinct(ulong seed, params int[] shape)
    {
        var t = new Tensor(shape);
        var order = Enumerable.Range(0, t.Length).ToArray();
        new RandomSource(seed).Shuffle(order);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = (order[i] - (t.Length / 2f)) * 0.05f;
        }

        return t;
    }

    [Test]
    public void MaxPoolOfTheClassicExample()
    {
        var pool = Built(new MaxPool2D(2), 1, 4, 4);

        var y = pool.Forward(new Tensor(Classic, 1, 1, 4, 4), false);

        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.Span.ToArray(), Is.EqualTo(new float[] { 9, 2, 6, 3 }));
    }

    [Test]
    public void AvgPoolOfTheClassicExample()
    {
        var pool = Built(new AvgPool2D(2), 1, 4, 4);

        var y = pool.Forward(new Tensor(Classic, 1, 1, 4, 4), false);

        Assert.That(y.Span.ToArray(), Is.EqualTo(new[] { 3.75f, 1.25f, 3.75f, 2f }));
    }

    [Test]
    public void MaxPoolBackwardRoutesEachGradientToItsMaximum()
    {
        var pool = Built(new MaxPool2D(2), 1, 4, 4);
        pool.Forward(new Tensor(Classic, 1, 1, 4, 4), true);

        var dx = pool.Backward(new Tensor([10f, 20f, 30f, 40f], 1, 1, 2, 2));

        var expected = new float[16];
        expected[5] = 10; // 9 at (1, 1)
        expected[2] = 20; // 2 at (0, 2): the first of the window's values
        expected[13] = 30; // 6 at (3, 1)
        expected[11] = 40; // 3 at (2, 3)
        Assert.That(dx.Span.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void MaxPoolTiesGoToTheFirstMaximum()
    {
        var pool = Built(new MaxPool2D(2), 1, 2, 2);
        pool.Forward(new Tensor([5f, 5f, 5f, 5f], 1, 1, 2, 2), true);

        var dx = pool.Backward(new Tensor([1f], 1, 1, 1, 1));

        Assert.That(dx.Span.ToArray(), Is.EqualTo(new float[] { 1, 0, 0, 0 }));
    }

    [Test]
    public void SamePaddingOutputIsCeilOfInputOverStrideAndIgnoresPadding()
    {
        // 5×5 counting input, 2×2 stride 2, same: 3×3, the last row and column of windows hang over the edge.
        var max = Built(new MaxPool2D(2, same: true), 1, 5, 5);
        var avg = Built(new AvgPool2D(2, same: true), 1, 5, 5);
        var x = Counting(5, 5);

        Assert.That(max.OutputShape.ToArray(), Is.EqualTo(new[] { 1, 3, 3 }));
        Assert.That(max.Forward(x, false).Span.ToArray(), Is.EqualTo(new float[] { 7, 9, 10, 17, 19, 20, 22, 24, 25 }));
        Assert.That(avg.Forward(x, false).Span.ToArray(), Is.EqualTo(new[] { 4f, 6f, 7.5f, 14f, 16f, 17.5f, 21.5f, 23.5f, 25f }));
    }

    [Test]
    public void SamePaddingSplitsThePaddingAroundTheInput()
    {
        // 3×3 windows, stride 1, same on 3×3: one padded row/column on every side.
        var max = Built(new MaxPool2D(3, 1, same: true), 1, 3, 3);
        var avg = Built(new AvgPool2D(3, 1, same: true), 1, 3, 3);
        var x = Counting(3, 3);

        Assert.That(max.Forward(x, false).Span.ToArray(), Is.EqualTo(new float[] { 5, 6, 6, 8, 9, 9, 8, 9, 9 }));
        var a = avg.Forward(x, false).Span.ToArray();
        Assert.That(a[0], Is.EqualTo(3f), "corner: (1+2+4+5)/4, count_include_pad=false");
        Assert.That(a[1], Is.EqualTo(3.5f), "edge: (1+2+3+4+5+6)/6");
        Assert.That(a[4], Is.EqualTo(5f), "centre: the mean of all nine");
    }

    [Test]
    public void OverlappingPoolingOnAHandExample()
    {
        // 5×5 counting input, 3×3 windows, stride 2 (AlexNet): windows start at 0 and 2 and share a row and a column.
        var max = Built(new MaxPool2D(3, 2), 1, 5, 5);
        var avg = Built(new AvgPool2D(3, 2), 1, 5, 5);
        var x = Counting(5, 5);

        Assert.That(max.Forward(x, true).Span.ToArray(), Is.EqualTo(new float[] { 13, 15, 23, 25 }));
        Assert.That(avg.Forward(x, true).Span.ToArray(), Is.EqualTo(new float[] { 7, 9, 17, 19 }));

        var dx = avg.Backward(new Tensor([1f, 1f, 1f, 1f], 1, 1, 2, 2)).Span.ToArray();
        Assert.That(dx[12], Is.EqualTo(4f / 9).Within(1e-7), "the centre is in all four windows");
        Assert.That(dx[2], Is.EqualTo(2f / 9).Within(1e-7), "(0, 2) is in two");
        Assert.That(dx[0], Is.EqualTo(1f / 9).Within(1e-7));

        x[12] = 100;
        max.Forward(x, true);
        var dmax = max.Backward(new Tensor([1f, 2f, 3f, 4f], 1, 1, 2, 2)).Span.ToArray();
        Assert.That(dmax[12], Is.EqualTo(10f), "a maximum shared by overlapping windows collects all their gradients");
        Assert.That(dmax.Sum(), Is.EqualTo(10f));
    }

    [TestCase(55, 27)]
    [TestCase(27, 13)]
    [TestCase(13, 6)]
    public void AlexNetOverlappingPoolingSizes(int input, int output)
    {
        var pool = Built(new MaxPool2D(3, 2), 96, input, input);

        Assert.That(pool.OutputShape.ToArray(), Is.EqualTo(new[] { 96, output, output }));
    }

    [TestCase(28, 2, 2, false, 14)]
    [TestCase(10, 2, 2, false, 5)]
    [TestCase(7, 2, 2, false, 3)]
    [TestCase(7, 2, 2, true, 4)]
    [TestCase(7, 3, 2, true, 4)]
    [TestCase(6, 3, 1, true, 6)]
    [TestCase(5, 3, 3, true, 2)]
    public void OutputSizes(int input, int size, int stride, bool same, int output)
    {
        Assert.That(Built(new MaxPool2D(size, stride, same), 2, input, input).OutputShape.ToArray(), Is.EqualTo(new[] { 2, output, output }));
        Assert.That(Built(new AvgPool2D(size, stride, same), 2, input, input).OutputShape.ToArray(), Is.EqualTo(new[] { 2, output, output }));
    }

    private static IEnumerable<TestCaseData> PoolingLayers()
    {
        yield return new TestCaseData((Func<Layer>)(() => new MaxPool2D(2))).SetName("MaxPool 2/2 valid");
        yield return new TestCaseData((Func<Layer>)(() => new MaxPool2D(3, 2))).SetName("MaxPool 3/2 valid");
        yield return new TestCaseData((Func<Layer>)(() => new MaxPool2D(2, same: true))).SetName("MaxPool 2/2 same");
        yield return new TestCaseData((Func<Layer>)(() => new MaxPool2D(3, 1, same: true))).SetName("MaxPool 3/1 same");
        yield return new TestCaseData((Func<Layer>)(() => new AvgPool2D(2))).SetName("AvgPool 2/2 valid");
        yield return new TestCaseData((Func<Layer>)(() => new AvgPool2D(3, 2))).SetName("AvgPool 3/2 valid");
        yield return new TestCaseData((Func<Layer>)(() => new AvgPool2D(2, same: true))).SetName("AvgPool 2/2 same");
        yield return new TestCaseData((Func<Layer>)(() => new AvgPool2D(3, 2, same: true))).SetName("AvgPool 3/2 same");
        yield return new TestCaseData((Func<Layer>)(() => new Subsampling())).SetName("Subsampling 2");
        yield return new TestCaseData((Func<Layer>)(() => new Subsampling(3))).SetName("Subsampling 3");
    }

    [TestCaseSource(nameof(PoolingLayers))]
    public void PoolingPassesGradientCheck(Func<Layer> create)
    {
        // Odd sizes exercise the clipped windows of same padding and the unused border of valid padding.
        var net = new Sequential(create(), new Sigmoid());
        net.Build([2, 7, 7], new RandomSource(5));
        foreach (var p in net.Parameters)
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] += 0.3f * (i + 1);
            }
        }

        var x = Distinct(6, 3, 2, 7, 7);
        var target = TestData.Uniform(7, 0, 1, [3, .. net.OutputShape.ToArray()]);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, target);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void PoolingThenFlattenThenDensePassesGradientCheck()
    {
        var net = new Sequential(new MaxPool2D(2), new Flatten(), new Dense(4));
        net.Build([3, 4, 4], new RandomSource(8));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), Distinct(9, 5, 3, 4, 4), TestData.Labels(10, 5, 4));

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void SubsamplingSumsEachWindowTimesACoefficientPlusABias()
    {
        var s = Built(new Subsampling(), 2, 4, 4);
        s.Weight.Value.CopyFrom(new Tensor([2f, -1f], 2));
        s.Bias.Value.CopyFrom(new Tensor([1f, 0.5f], 2));
        var x = new Tensor([.. Classic, .. Classic], 1, 2, 4, 4);

        var y = s.Forward(x, true);

        // Window sums of the classic example: 15, 5, 15, 8.
        Assert.That(y.Span.ToArray(), Is.EqualTo(new[] { 31f, 11f, 31f, 17f, -14.5f, -4.5f, -14.5f, -7.5f }));

        s.Backward(new Tensor([1f, 0f, 0f, 2f, 1f, 1f, 1f, 1f], 1, 2, 2, 2));
        Assert.That(s.Weight.Gradient.Span.ToArray(), Is.EqualTo(new[] { 15f + 16f, 15f + 5f + 15f + 8f }));
        Assert.That(s.Bias.Gradient.Span.ToArray(), Is.EqualTo(new[] { 3f, 4f }));
    }

    [Test]
    public void LeNetSubsamplingParameterCounts()
    {
        var s2 = Built(new Subsampling(), 6, 28, 28);
        var s4 = Built(new Subsampling(), 16, 10, 10);

        Assert.That(s2.ParameterCount, Is.EqualTo(12));
        Assert.That(s2.OutputShape.ToArray(), Is.EqualTo(new[] { 6, 14, 14 }));
        Assert.That(s4.ParameterCount, Is.EqualTo(32));
        Assert.That(s4.OutputShape.ToArray(), Is.EqualTo(new[] { 16, 5, 5 }));
        Assert.That(Built(new MaxPool2D(2), 6, 28, 28).ParameterCount, Is.Zero);
    }

    [Test]
    public void LargeBatchesGiveTheSameResultsAsOneSampleAtATime()
    {
        // 32 × 8 × 24 × 24 values: large enough for both cores.
        foreach (var create in new Func<Layer>[] { () => new MaxPool2D(3, 2, true), () => new AvgPool2D(3, 2), () => new Subsampling() })
        {
            var big = create();
            var single = create();
            big.Build([8, 24, 24], new RandomSource(3));
            single.Build([8, 24, 24], new RandomSource(3));
            var x = TestData.Random(4, 32, 8, 24, 24);
            var dy = TestData.Random(5, [32, .. big.OutputShape.ToArray()]);

            var y = big.Forward(x, true).Span.ToArray();
            var dx = big.Backward(dy).Span.ToArray();
            var inSize = x.RowSize;
            var outSize = dy.RowSize;
            for (var n = 0; n < 32; n++)
            {
                var xn = new Tensor(x.Row(n).ToArray(), [1, 8, 24, 24]);
                var dyn = new Tensor(dy.Row(n).ToArray(), [1, .. big.OutputShape.ToArray()]);
                Assert.That(single.Forward(xn, true).Span.ToArray(), Is.EqualTo(y.AsSpan(n * outSize, outSize).ToArray()), big.Name);
                Assert.That(single.Backward(dyn).Span.ToArray(), Is.EqualTo(dx.AsSpan(n * inSize, inSize).ToArray()), big.Name);
            }

            for (var p = 0; p < big.Parameters.Count; p++)
            {
                Assert.That(
                    big.Parameters[p].Gradient.Span.ToArray(),
                    Is.EqualTo(single.Parameters[p].Gradient.Span.ToArray()).Within(1e-3f).Percent,
                    "the per-plane partial sums reduce to the same parameter gradient");
            }
        }
    }

    [Test]
    public void RankTwoInputIsRejectedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => new MaxPool2D(2).Build([10], new RandomSource(1)));

        Assert.That(e!.Message, Does.Contain("[C, H, W]").And.Contain("[10]"));
        Assert.Throws<ArgumentException>(() => new AvgPool2D(2).Build([3, 4], new RandomSource(1)));
        Assert.Throws<ArgumentException>(() => new Subsampling().Build([3, 4, 4, 4], new RandomSource(1)));
    }

    [Test]
    public void WindowLargerThanTheInputIsRejectedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => new MaxPool2D(5).Build([3, 4, 8], new RandomSource(1)));

        Assert.That(e!.Message, Does.Contain("5x5").And.Contain("larger than the input height 4"));
        Assert.Throws<ArgumentException>(() => new Subsampling(3).Build([1, 2, 2], new RandomSource(1)));
        Assert.That(Built(new MaxPool2D(5, same: true), 3, 4, 8).OutputShape.ToArray(), Is.EqualTo(new[] { 3, 1, 2 }), "same padding still fits");
    }

    [Test]
    public void InvalidSettingsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MaxPool2D(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AvgPool2D(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Subsampling(-1));
    }

    [Test]
    public void ForwardOfTheWrongShapeIsRejected()
    {
        var pool = Built(new MaxPool2D(2), 3, 4, 4);

        Assert.Throws<ArgumentException>(() => pool.Forward(new Tensor(2, 3, 5, 5), false));
    }

    [TestCase(2, 2, false, 28)]
    [TestCase(2, 2, false, 10)]
    [TestCase(3, 2, true, 13)]
    [TestCase(2, 2, true, 7)]
    [TestCase(3, 1, false, 9)]
    [TestCase(2, 2, false, 40)]
    [TestCase(3, 2, false, 55)]
    [TestCase(3, 2, true, 55)]
    [TestCase(2, 2, true, 41)]
    [TestCase(3, 1, true, 37)]
    [TestCase(2, 1, false, 36)]
    [TestCase(3, 3, false, 60)]
    [TestCase(5, 2, true, 50)]
    public void KernelsMatchAPlainReference(int size, int stride, bool same, int width)
    {
        // Rows take the 16-lane kernels (narrow ones with unused lanes, reading into the next plane); the reference is
        // the definition, window by window.
        var max = Built(new MaxPool2D(size, stride, same), 2, 9, width);
        var avg = Built(new AvgPool2D(size, stride, same), 2, 9, width);
        var x = TestData.Random(21, 3, 2, 9, width);
        for (var i = 0; i < x.Length - 1; i += 7)
        {
            x[i] = x[i + 1]; // ties
        }

        x[100] = float.NaN;
        var yMax = max.Forward(x, true).Span.ToArray();
        var yAvg = avg.Forward(x, true).Span.ToArray();
        var dx = max.Backward(new Tensor([.. Enumerable.Range(0, yMax.Length).Select(i => (float)i)], [3, .. max.OutputShape.ToArray()])).Span.ToArray();

        var (oh, ow) = (max.OutputShape[1], max.OutputShape[2]);
        var padTop = same ? Math.Max(((oh - 1) * stride) + size - 9, 0) / 2 : 0;
        var padLeft = same ? Math.Max(((ow - 1) * stride) + size - width, 0) / 2 : 0;
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
                    for (var h = (i * stride) - padTop; h < (i * stride) - padTop + size; h++)
                    {
                        for (var w = (j * stride) - padLeft; w < (j * stride) - padLeft + size; w++)
                        {
                            if (h < 0 || h >= 9 || w < 0 || w >= width)
                            {
                                continue;
                            }

                            var index = (((plane * 9) + h) * width) + w;
                            var v = x[index];
                            sum += v;
                            count++;
                            if (at < 0 || v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                            {
                                (best, at) = (v, index);
                            }
                        }
                    }

                    Assert.That(yMax[o], Is.EqualTo(best), $"max at {o}");
                    Assert.That(yAvg[o], Is.EqualTo(sum / count), $"avg at {o}");
                    expectedDx[at] += o;
                }
            }
        }

        Assert.That(dx, Is.EqualTo(expectedDx), "the recorded positions are the first maxima");
        Assert.That(yMax.Count(float.IsNaN), Is.GreaterThan(0), "a NaN propagates");
    }
}
