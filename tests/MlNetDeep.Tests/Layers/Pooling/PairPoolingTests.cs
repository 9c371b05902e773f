using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Pooling;

/// <summary>
/// The whole-batch 2×2 stride-2 max-pooling kernel (even planes) and its fusion with a preceding ReLU in
/// <see cref="Sequential"/>: same values, positions and gradients as the definition, bit for bit, with the AVX-512 kernels
/// and with the AVX2 ones (which hosts without AVX-512 run; on such a host both cases run the AVX2 kernels).
/// </summary>
[NonParallelizable]
public class PairPoolingTests
{
    [TearDown]
    public void RestoreKernels() => PairPooling.Avx512Enabled = true;

    private static T Built<T>(T layer, params int[] inputShape)
        where T : Layer
    {
        layer.Build(inputShape, new RandomSource(1));
        return layer;
    }

    /// <summary>Random values with ties, a few NaNs, signed zeros and negatives.</summary>
    private static Tensor Awkward(ulong seed, params int[] shape)
    {
        var x = TestData.Uniform(seed, -1, 1, shape);
        for (var i = 0; i < x.Length - 1; i += 7)
        {
            x[i] = x[i + 1]; // ties
        }

        for (var i = 3; i < x.Length; i += 53)
        {
            x[i] = float.NaN;
        }

        for (var i = 11; i < x.Length; i += 29)
        {
            x[i] = i % 2 == 0 ? -0f : 0f;
        }

        return x;
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];

    [TestCase(3, 2, 28, 28, true)]
    [TestCase(3, 2, 28, 28, false)]
    [TestCase(2, 3, 10, 10, true)]
    [TestCase(2, 1, 4, 40, true)]
    [TestCase(1, 2, 6, 64, false)]
    [TestCase(2, 2, 2, 2, true)]
    [TestCase(1, 1, 8, 34, true)]
    [TestCase(64, 6, 28, 28, true)]
    public void PairwiseKernelMatchesAPlainReference(int n, int c, int h, int w, bool training)
    {
        foreach (var avx2 in new[] { false, true })
        {
            PairPooling.Avx512Enabled = !avx2;
            PairwiseKernelMatchesAPlainReference(n, c, h, w, training, avx2 ? "AVX2" : "default kernels");
        }
    }

    private static void PairwiseKernelMatchesAPlainReference(int n, int c, int h, int w, bool training, string kernels)
    {
        var pool = Built(new MaxPool2D(2), c, h, w);
        Assert.That(pool.IsPairwise || !PairPooling.IsSupported, Is.True);
        var x = Awkward(31, n, c, h, w);

        var y = pool.Forward(x, training);
        var dy = TestData.Random(32, y.ShapeArray());
        var dx = pool.Backward(dy);

        var (oh, ow) = (h / 2, w / 2);
        var expected = new float[y.Length];
        var expectedDx = new float[x.Length];
        for (var plane = 0; plane < n * c; plane++)
        {
            for (var i = 0; i < oh; i++)
            {
                for (var j = 0; j < ow; j++)
                {
                    var o = (((plane * oh) + i) * ow) + j;
                    var at = -1;
                    var best = 0f;
                    for (var r = 2 * i; r < (2 * i) + 2; r++)
                    {
                        for (var s = 2 * j; s < (2 * j) + 2; s++)
                        {
                            var index = (((plane * h) + r) * w) + s;
                            var v = x[index];
                            if (at < 0 || v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                            {
                                (best, at) = (v, index);
                            }
                        }
                    }

                    expected[o] = best;
                    expectedDx[at] = dy[o];
                }
            }
        }

        Assert.That(Bits(y), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits).ToArray()), $"{kernels}: values, NaN and signed zeros included");
        Assert.That(Bits(dx), Is.EqualTo(expectedDx.Select(BitConverter.SingleToInt32Bits).ToArray()), $"{kernels}: each gradient at its window's first maximum");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ReluThenPoolInASequentialMatchesTheTwoLayersRunApart(bool training)
    {
        foreach (var avx2 in new[] { false, true })
        {
            PairPooling.Avx512Enabled = !avx2;
            ReluThenPoolInASequentialMatchesTheTwoLayersRunApart(training, avx2 ? "AVX2" : "default kernels");
        }
    }

    private static void ReluThenPoolInASequentialMatchesTheTwoLayersRunApart(bool training, string kernels)
    {
        var net = Built(new Sequential(new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(5)), 3, 12, 20);
        var relu = Built(new ReLU(), 3, 12, 20);
        var pool = Built(new MaxPool2D(2), 3, 12, 20);
        var flatten = Built(new Flatten(), 3, 6, 10);
        var dense = (Dense)net.Layers[3];
        var x = Awkward(41, 4, 3, 12, 20);
        var dy = TestData.Random(42, 4, 5);

        for (var round = 0; round < 2; round++)
        {
            var yNet = Bits(net.Forward(x, training));
            var pooled = pool.Forward(relu.Forward(x, training), training);
            var yApart = Bits(dense.Forward(flatten.Forward(pooled, training), training));
            Assert.That(yNet, Is.EqualTo(yApart));
            Assert.That(((MaxPool2D)net.Layers[1]).Rectified, Is.EqualTo(PairPooling.IsSupported));
            Assert.That(Bits(net.Layers[1].Forward(relu.Forward(x, training), training)), Is.EqualTo(Bits(pooled)), "the layer alone is unchanged");
            net.Forward(x, training);

            var dxNet = Bits(net.Backward(dy));
            var dxApart = Bits(relu.Backward(pool.Backward(flatten.Backward(dense.Backward(dy)))));
            Assert.That(dxNet, Is.EqualTo(dxApart), "∂C/∂input through the fused pair");
        }
    }

    [Test]
    public void ReluThenPoolPassesGradientCheck()
    {
        var net = new Sequential(new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4));
        net.Build([2, 6, 8], new RandomSource(3));
        var x = new Tensor(3, 2, 6, 8);
        var order = Enumerable.Range(0, x.Length).ToArray();
        new RandomSource(4).Shuffle(order);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = ((order[i] - (x.Length / 2f)) * 0.05f) + 0.025f; // distinct, 0.05 apart, none at the kink
        }

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, TestData.Labels(5, 3, 4));

        Assert.That(result.Passed, Is.True, result.ToString());
    }
}
