using System.Runtime.Intrinsics.X86;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>
/// The Winograd F(2x2, 3x3) forward path (<see cref="WinogradConvolution"/>): where it is taken, that it agrees with the
/// im2col path and with direct loops, bit for bit between a lone sample and any batch at any core count, and after the
/// weights change. (ConvolutionReferenceTests' Winograd shapes check forward and backward against direct loops.)
/// </summary>
public class WinogradConvolutionTests
{
    /// <summary>(channels in, out, side, kernel, stride, padding, groups) → taken or not.</summary>
    [TestCase(64, 64, 8, 3, 1, 1, 1, ExpectedResult = true)]      // ResNet's first stage on 32x32 images
    [TestCase(128, 128, 4, 3, 1, 1, 1, ExpectedResult = true)]
    [TestCase(512, 512, 7, 3, 1, 1, 1, ExpectedResult = true)]     // ResNet-18's last stage at 224x224
    [TestCase(16, 16, 6, 3, 1, 0, 1, ExpectedResult = true)]       // no padding
    [TestCase(8, 64, 8, 3, 1, 1, 1, ExpectedResult = false)]       // too few input channels
    [TestCase(64, 8, 8, 3, 1, 1, 1, ExpectedResult = false)]       // too few output channels
    [TestCase(64, 64, 8, 3, 2, 1, 1, ExpectedResult = false)]      // strided
    [TestCase(64, 64, 8, 5, 1, 2, 1, ExpectedResult = false)]      // 5x5
    [TestCase(64, 64, 8, 3, 1, 1, 2, ExpectedResult = false)]      // groups
    [TestCase(128, 128, 28, 3, 1, 1, 1, ExpectedResult = true)]   // 784 positions, rows of two vectors
    public bool TakenFor3x3Stride1OnSmallImagesWithManyChannels(int ci, int co, int side, int kernel, int stride, int padding, int groups)
    {
        var o = ((side + (2 * padding) - kernel) / stride) + 1;
        var g = new ConvolutionGeometry(ci, side, side, co, o, o, kernel, kernel, stride, stride, padding, padding, 1, 1, groups);
        return WinogradConvolution.TryCreate(g) is not null;
    }

    /// <summary>(channels, side, padding, stride) → the input gradient taken or not (it is a convolution padded by 2 − p).</summary>
    [TestCase(64, 8, 1, 1, ExpectedResult = true)]
    [TestCase(64, 8, 0, 1, ExpectedResult = true)]
    [TestCase(64, 8, 2, 1, ExpectedResult = true)]
    [TestCase(64, 8, 3, 1, ExpectedResult = false)]
    [TestCase(64, 8, 1, 2, ExpectedResult = false)]
    [TestCase(8, 8, 1, 1, ExpectedResult = false)]
    public bool InputGradientTakenFor3x3Stride1(int channels, int side, int padding, int stride)
    {
        var o = ((side + (2 * padding) - 3) / stride) + 1;
        var g = new ConvolutionGeometry(channels, side, side, channels, o, o, 3, 3, stride, stride, padding, padding, 1, 1, 1);
        return WinogradConvolution.TryCreateInputGradient(g) is not null;
    }

    [Test]
    public void WideOutputsFromMaxScalarPositionsOnAreTakenOnlyWithAvx512()
    {
        // 16x40 = 640 positions: rows of 42 bordered values, more than two vectors (strips with AVX-512, else scalar).
        var g = new ConvolutionGeometry(64, 16, 40, 64, 16, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.That(WinogradConvolution.TryCreate(g) is not null, Is.EqualTo(Avx512F.IsSupported));
        var narrow = new ConvolutionGeometry(64, 40, 16, 64, 40, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.That(WinogradConvolution.TryCreate(narrow), Is.Not.Null, "40x16: rows of 18 values");
    }

    /// <summary>From 1,024 output positions on (ResNet's 56x56 and 32x32 stages, the U-Net's decoder), only with AVX-512.</summary>
    [TestCase(64, 32)]
    [TestCase(64, 56)]
    [TestCase(16, 128)]
    public void LargeOutputsAreTakenWithAvx512(int channels, int side)
    {
        var g = new ConvolutionGeometry(channels, side, side, channels, side, side, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.That(WinogradConvolution.TryCreate(g) is not null, Is.EqualTo(Avx512F.IsSupported));
    }

    /// <summary>
    /// The forward pass of a convolution the direct kernels take runs by Winograd from 32 input channels on (with
    /// AVX-512); its backward passes stay on the direct kernels.
    /// </summary>
    [TestCase(32, 16, true)]
    [TestCase(48, 48, true)]
    [TestCase(16, 32, false)]
    public void TakenOverTheDirectKernelsFrom32InputChannels(int channelsIn, int channelsOut, bool taken)
    {
        var conv = new Conv2D(channelsOut, 3, padding: 1);
        conv.Build([channelsIn, 64, 64], new RandomSource(1));
        Assert.That(conv.InputGradientByWinograd, Is.False, "the input gradient stays on the direct kernels");
        Assert.That(conv.ForwardByWinograd, Is.EqualTo(taken && Avx512F.IsSupported));
    }

    [Test]
    public void DilationIsNotTaken()
    {
        var g = new ConvolutionGeometry(32, 8, 8, 32, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2, 1);
        Assert.That(WinogradConvolution.TryCreate(g), Is.Null);
    }

    /// <summary>The forward pass equals im2col + GEMM's within rounding (the transforms add, subtract and halve).</summary>
    [TestCase(64, 8, 70)]
    [TestCase(128, 4, 33)]
    [TestCase(64, 7, 5)]
    [TestCase(64, 14, 3)]
    [TestCase(64, 28, 2)]
    [TestCase(64, 56, 2)]
    [TestCase(64, 33, 3)]
    [TestCase(256, 4, 5)]     // a bank of 1M filter values whose tiles fit one block: elements shared by the cores
    [NonParallelizable]
    public void AgreesWithIm2Col(int channels, int side, int batch)
    {
        var x = TestData.Random(5, batch, channels, side, side);
        var winograd = Layer(channels, side, out var viaWinograd);
        IgnoreLargeWithoutAvx512(side);
        Assert.That(viaWinograd, Is.True, "the shape takes the Winograd path");
        var y = winograd.Forward(x, false).Clone();

        WinogradConvolution.Enabled = false;
        try
        {
            var im2col = Layer(channels, side, out viaWinograd);
            Assert.That(viaWinograd, Is.False);
            var expected = im2col.Forward(x, false);
            var scale = expected.Span.ToArray().Max(Math.Abs);
            Assert.That(NaiveConvolution.MaxDifference(y, expected), Is.LessThan(2e-6 * scale * Math.Sqrt(channels * 9)));
        }
        finally
        {
            WinogradConvolution.Enabled = true;
        }
    }

    /// <summary>The input gradient equals im2col + GEMM's within rounding, with 64 channels in and 80 out.</summary>
    [TestCase(8, 21)]
    [TestCase(4, 9)]
    [TestCase(7, 3)]
    [NonParallelizable]
    public void InputGradientAgreesWithIm2Col(int side, int batch)
    {
        var x = TestData.Random(5, batch, 64, side, side);
        var dy = TestData.Random(6, batch, 80, side, side);
        var dx = InputGradient(x, dy, side, out var viaWinograd);
        Assert.That(viaWinograd, Is.True, "the shape takes the Winograd path");

        WinogradConvolution.Enabled = false;
        try
        {
            var expected = InputGradient(x, dy, side, out viaWinograd);
            Assert.That(viaWinograd, Is.False);
            var scale = expected.Max(Math.Abs);
            var difference = dx.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.That(difference, Is.LessThan(2e-6 * scale * Math.Sqrt(80 * 9)));
        }
        finally
        {
            WinogradConvolution.Enabled = true;
        }
    }

    /// <summary>A sample's input gradient alone has the bits it has inside a batch of several blocks, at 1, 2 and 3 threads.</summary>
    [Test]
    [NonParallelizable]
    public void ALoneSampleGetsTheInputGradientItGetsInAnyBatch()
    {
        const int Batch = 40;
        var conv = new Conv2D(64, 3, padding: 1, useBias: false);
        conv.Build([64, 8, 8], new RandomSource(1));
        Assert.That(conv.InputGradientByWinograd, Is.True);
        var x = TestData.Random(2, Batch, 64, 8, 8);
        var dy = TestData.Random(3, Batch, 64, 8, 8);
        float[]? reference = null;
        foreach (var degree in ThreadCounts.Degrees)
        {
            var dx = ThreadCounts.With(degree, () =>
            {
                conv.Forward(x, true);
                return conv.Backward(dy).Span.ToArray();
            });
            reference ??= dx;
            Assert.That(dx, Is.EqualTo(reference), $"{degree} threads");
        }

        var one = new Tensor(1, 64, 8, 8);
        var dOne = new Tensor(1, 64, 8, 8);
        for (var n = 0; n < Batch; n += 13)
        {
            x.Span.Slice(n * 4096, 4096).CopyTo(one.Span);
            dy.Span.Slice(n * 4096, 4096).CopyTo(dOne.Span);
            conv.Forward(one, true);
            Assert.That(conv.Backward(dOne).Span.ToArray(), Is.EqualTo(reference![(n * 4096)..((n + 1) * 4096)]), $"sample {n}");
        }
    }

    /// <summary>∂C/∂x of a 64 → 80 "same" 3x3 convolution; tells whether it took the Winograd path.</summary>
    private static float[] InputGradient(Tensor x, Tensor dy, int side, out bool viaWinograd)
    {
        var conv = new Conv2D(80, 3, padding: 1);
        conv.Build([64, side, side], new RandomSource(1));
        viaWinograd = conv.InputGradientByWinograd;
        conv.Forward(x, true);
        return conv.Backward(dy).Span.ToArray();
    }

    /// <summary>
    /// A sample scored alone gets the bits it gets inside a batch of several blocks, at 1, 2 and 3 threads
    /// (PredictionEngine against Transform's blocks and cursor sets).
    /// </summary>
    [TestCase(64, 8)]
    [TestCase(128, 4)]
    [TestCase(64, 18)]
    [TestCase(64, 27)]
    [TestCase(64, 36)]
    [TestCase(32, 33)]
    [TestCase(256, 3)]
    [NonParallelizable]
    public void ALoneSampleGetsTheBitsItGetsInAnyBatchOnAnyCoreCount(int channels, int side)
    {
        const int Batch = 45;
        var conv = Layer(channels, side, out var viaWinograd);
        IgnoreLargeWithoutAvx512(side);
        Assert.That(viaWinograd, Is.True);
        var x = TestData.Random(2, Batch, channels, side, side);
        var size = channels * side * side;
        float[]? reference = null;
        foreach (var degree in ThreadCounts.Degrees)
        {
            var batch = ThreadCounts.With(degree, () => conv.Forward(x, false).Span.ToArray());
            if (reference is null)
            {
                reference = batch;
            }
            else
            {
                Assert.That(batch, Is.EqualTo(reference), $"{degree} threads");
            }
        }

        var one = new Tensor(1, channels, side, side);
        for (var n = 0; n < Batch; n += 11)
        {
            x.Span.Slice(n * size, size).CopyTo(one.Span);
            var alone = conv.Forward(one, false);
            Assert.That(alone.Span.ToArray(), Is.EqualTo(reference![(n * size)..((n + 1) * size)]), $"sample {n}");
        }
    }

    [Test]
    public void NewWeightsAreUsedAtTheNextCall()
    {
        var conv = Layer(64, 6, out var viaWinograd);
        Assert.That(viaWinograd, Is.True);
        var x = TestData.Random(2, 9, 64, 6, 6);
        var naive = new NaiveConvolution(3, 3, 1, 1, 1, 1, 1, 1, 1);
        conv.Forward(x, false);

        // An optimiser step changes the weights in place; the filter transform made from the old ones must not be reused.
        var w = conv.Weight.Value.Span;
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (w[i] * 0.5f) + 0.01f;
        }

        var y = conv.Forward(x, false);
        Assert.That(NaiveConvolution.MaxDifference(y, naive.Forward(x, conv.Weight.Value, conv.Bias?.Value, 6, 6)), Is.LessThan(1e-5));
    }

    /// <summary>
    /// A large bank's weights are compared with those its transform came from in two halves on two cores: a change in
    /// either half alone is seen, on any thread count.
    /// </summary>
    [TestCase(0)]
    [TestCase(-1)]
    [NonParallelizable]
    public void AChangeOfOneWeightOfALargeBankIsSeen(int which)
    {
        var conv = Layer(256, 3, out var viaWinograd);
        Assert.That(viaWinograd, Is.True);
        var x = TestData.Random(2, 4, 256, 3, 3);
        var naive = new NaiveConvolution(3, 3, 1, 1, 1, 1, 1, 1, 1);
        var w = conv.Weight.Value.Span;
        var index = which < 0 ? w.Length + which : which;
        foreach (var degree in ThreadCounts.Degrees)
        {
            ThreadCounts.With(degree, () => conv.Forward(x, false));
            conv.Weight.Value.Span[index] += 0.75f;
            var y = ThreadCounts.With(degree, () => conv.Forward(x, false));
            Assert.That(NaiveConvolution.MaxDifference(y, naive.Forward(x, conv.Weight.Value, conv.Bias?.Value, 3, 3)), Is.LessThan(1e-4), $"{degree} threads");
        }
    }

    /// <summary>Without AVX-512 (scalar transforms) images past 30 wide and 1,024 positions, and those the direct kernels take, are not Winograd's.</summary>
    private static void IgnoreLargeWithoutAvx512(int side)
    {
        if (!Avx512F.IsSupported && side > 28)
        {
            Assert.Ignore("Without AVX-512 this size runs on other paths.");
        }
    }

    /// <summary>A 3x3 "same" convolution with bias and random weights; tells whether its engine took the Winograd path.</summary>
    private static Conv2D Layer(int channels, int side, out bool viaWinograd)
    {
        var conv = new Conv2D(channels, 3, padding: 1);
        conv.Build([channels, side, side], new RandomSource(1));
        var bias = conv.Bias!.Value.Span;
        for (var i = 0; i < bias.Length; i++)
        {
            bias[i] = 0.1f * (i % 7);
        }

        viaWinograd = conv.ForwardByWinograd;
        return conv;
    }
}
