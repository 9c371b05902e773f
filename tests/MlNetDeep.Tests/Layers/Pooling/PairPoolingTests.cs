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
    [TestCase(1400, 16, 10, 10, true)]
    [TestCase(512, 6, 28, 28, false)]
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

    /// <summary>
    /// The kernels store whole vectors past a short row's end where a later store of the same call writes: a call over
    /// the row pairs [first, end) must still write nothing outside them (another core may be writing the neighbours),
    /// whatever the row width, and give the reference values inside them.
    /// </summary>
    [Test]
    public unsafe void AKernelCallWritesOnlyItsOwnRowPairs([Values(1, 3, 5, 8, 9, 12, 14, 16, 17, 20, 31)] int outputWidth)
    {
        const float Untouched = 12345.5f;
        const int Pairs = 9, First = 2, End = 6;
        var width = 2 * outputWidth;
        var x = Awkward(51, Pairs * 2 * width).Span.ToArray();
        var dy = TestData.Random(52, Pairs * outputWidth).Span.ToArray();
        foreach (var avx2 in new[] { false, true })
        {
            PairPooling.Avx512Enabled = !avx2;
            var y = Enumerable.Repeat(Untouched, Pairs * outputWidth).ToArray();
            var dx = Enumerable.Repeat(Untouched, Pairs * 2 * width).ToArray();
            var codes = new byte[Pairs * PairPooling.CodeBytes(outputWidth)];
            fixed (float* px = x, py = y, pdy = dy, pdx = dx)
            fixed (byte* pc = codes)
            {
                PairPooling.Forward(px, py, pc, outputWidth, First, End, rectify: false);
                PairPooling.Backward(pdy, py, pc, pdx, outputWidth, First, End, rectify: false);
            }

            var kernels = avx2 ? "AVX2" : "default kernels";
            for (var p = 0; p < Pairs; p++)
            {
                var inside = p >= First && p < End;
                for (var j = 0; j < outputWidth; j++)
                {
                    var o = (p * outputWidth) + j;
                    var window = new[] { 0, 1, width, width + 1 }.Select(d => (p * 2 * width) + (2 * j) + d).ToArray();
                    var at = window[0];
                    foreach (var i in window.Skip(1))
                    {
                        at = x[i] > x[at] || (float.IsNaN(x[i]) && !float.IsNaN(x[at])) ? i : at;
                    }

                    Assert.That(BitConverter.SingleToInt32Bits(y[o]), Is.EqualTo(BitConverter.SingleToInt32Bits(inside ? x[at] : Untouched)), $"{kernels}: y of pair {p}, window {j}");
                    foreach (var i in window)
                    {
                        var expected = !inside ? Untouched : i == at ? dy[o] : 0f;
                        Assert.That(dx[i], Is.EqualTo(expected), $"{kernels}: dx of pair {p}, window {j}, value {i}");
                    }
                }
            }
        }
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
