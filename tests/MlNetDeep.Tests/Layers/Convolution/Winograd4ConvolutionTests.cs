using System.Runtime.Intrinsics.X86;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>
/// Winograd's F(4x4, 3x3) for inference passes: which convolutions take it, agreement with a direct double-precision
/// convolution on whole and partial tiles, channel counts that are not multiples of 16 and uneven padding, the same bits
/// for a sample alone as in any batch on any core count, and new weights seen at the next call.
/// </summary>
public class Winograd4ConvolutionTests
{
    /// <summary>(input channels, output channels, side): whether the inference passes take F(4x4, 3x3) (never without AVX-512).</summary>
    [TestCase(64, 64, 8, ExpectedResult = true)]      // ResNet's first stage on 32x32 images
    [TestCase(128, 128, 4, ExpectedResult = true)]
    [TestCase(64, 64, 16, ExpectedResult = true)]     // DeepLab's atrous convolutions on their phases
    [TestCase(32, 16, 11, ExpectedResult = true)]
    [TestCase(128, 128, 28, ExpectedResult = true)]   // ResNet at 224x224: from 128 channels, outputs up to 28x28
    [TestCase(256, 256, 14, ExpectedResult = true)]
    [TestCase(512, 512, 7, ExpectedResult = true)]
    [TestCase(64, 64, 56, ExpectedResult = false)]    // large outputs: F(2x2, 3x3)
    [TestCase(64, 64, 28, ExpectedResult = false)]
    [TestCase(128, 128, 29, ExpectedResult = false)]
    [TestCase(16, 32, 16, ExpectedResult = false)]    // too few input channels: the direct kernels
    [TestCase(640, 512, 7, ExpectedResult = false)]   // too many: U read by every block
    [TestCase(512, 640, 7, ExpectedResult = false)]
    [TestCase(64, 64, 3, ExpectedResult = false)]     // less than one tile
    public bool TakenFor(int channelsIn, int channelsOut, int side)
    {
        var conv = new Conv2D(channelsOut, 3, padding: 1);
        conv.Build([channelsIn, side, side], new RandomSource(1));
        var taken = conv.InferenceByWinograd4;
        if (!Avx512F.IsSupported)
        {
            Assert.That(taken, Is.False, "F(4x4, 3x3) needs AVX-512");
            Assert.Ignore("Without AVX-512 no convolution takes F(4x4, 3x3) (checked); which would is decided with it only.");
        }

        return taken;
    }

    /// <summary>The inference pass equals a direct convolution in double precision within the transforms' rounding.</summary>
    [TestCase(64, 64, 8, 8, 1, 1, 1, 1, 5)]       // whole tiles
    [TestCase(128, 128, 4, 4, 1, 1, 1, 1, 3)]
    [TestCase(64, 64, 13, 13, 1, 1, 1, 1, 2)]     // partial tiles at the bottom and the right
    [TestCase(40, 20, 9, 11, 1, 1, 1, 1, 2)]      // channels that are not multiples of 16
    [TestCase(33, 48, 10, 7, 0, 2, 1, 1, 3)]      // uneven padding
    [TestCase(32, 32, 12, 12, 0, 0, 0, 0, 2)]     // no padding
    [TestCase(64, 16, 16, 16, 1, 1, 1, 1, 70)]    // several blocks, spanning samples
    [TestCase(264, 512, 7, 7, 1, 1, 1, 1, 2)]     // many channels (blocks of 56 tiles), not a multiple of 16 in
    [TestCase(512, 48, 5, 6, 1, 1, 1, 1, 31)]     // 512 channels in, three blocks
    public void AgreesWithADirectConvolution(int channelsIn, int channelsOut, int height, int width, int top, int bottom, int left, int right, int batch)
    {
        IgnoreWithoutAvx512();
        var conv = new Conv2D(channelsOut, 3, padding: Padding.Explicit(top, bottom, left, right));
        conv.Build([channelsIn, height, width], new RandomSource(1));
        Assert.That(conv.InferenceByWinograd4, Is.True, "the shape takes F(4x4, 3x3)");
        var bias = conv.Bias!.Value.Span;
        for (var i = 0; i < bias.Length; i++)
        {
            bias[i] = 0.1f * (i % 7) - 0.3f;
        }

        var x = TestData.Random(5, batch, channelsIn, height, width);
        var y = conv.Forward(x, false);
        var naive = new NaiveConvolution(3, 3, 1, 1, top, left);
        var expected = naive.Forward(x, conv.Weight.Value, conv.Bias!.Value, conv.OutputShape[1], conv.OutputShape[2]);
        var scale = expected.Span.ToArray().Max(Math.Abs);
        Assert.That(NaiveConvolution.MaxDifference(y, expected), Is.LessThan(1e-5 * scale * Math.Sqrt(channelsIn * 9)));

        // The training pass (F(2x2, 3x3) or the direct kernels) agrees as closely.
        var training = conv.Forward(x, true);
        Assert.That(NaiveConvolution.MaxDifference(training, expected), Is.LessThan(1e-5 * scale * Math.Sqrt(channelsIn * 9)));
    }

    /// <summary>A sample scored alone gets the bits it gets inside a batch of several blocks, at 1, 2 and 3 threads.</summary>
    [TestCase(64, 8)]
    [TestCase(128, 4)]
    [TestCase(48, 13)]
    [TestCase(32, 16)]
    [TestCase(256, 7)]
    [NonParallelizable]
    public void ALoneSampleGetsTheBitsItGetsInAnyBatchOnAnyCoreCount(int channels, int side)
    {
        IgnoreWithoutAvx512();
        const int Batch = 45;
        var conv = new Conv2D(channels, 3, padding: 1);
        conv.Build([channels, side, side], new RandomSource(1));
        Assert.That(conv.InferenceByWinograd4, Is.True);
        var x = TestData.Random(2, Batch, channels, side, side);
        var size = channels * side * side;
        float[]? reference = null;
        foreach (var degree in ThreadCounts.Degrees)
        {
            var batch = ThreadCounts.With(degree, () => conv.Forward(x, false).Span.ToArray());
            reference ??= batch;
            Assert.That(batch, Is.EqualTo(reference), $"{degree} threads");
        }

        var one = new Tensor(1, channels, side, side);
        for (var n = 0; n < Batch; n += 11)
        {
            x.Span.Slice(n * size, size).CopyTo(one.Span);
            Assert.That(conv.Forward(one, false).Span.ToArray(), Is.EqualTo(reference![(n * size)..((n + 1) * size)]), $"sample {n}");
        }
    }

    /// <summary>U made from old weights is not reused: a change of the first or the last weight alone is seen.</summary>
    [TestCase(0)]
    [TestCase(-1)]
    public void NewWeightsAreUsedAtTheNextCall(int which)
    {
        IgnoreWithoutAvx512();
        var conv = new Conv2D(48, 3, padding: 1);
        conv.Build([40, 6, 6], new RandomSource(1));
        var x = TestData.Random(2, 3, 40, 6, 6);
        var naive = new NaiveConvolution(3, 3, 1, 1, 1, 1);
        conv.Forward(x, false);
        var w = conv.Weight.Value.Span;
        w[which < 0 ? w.Length + which : which] += 0.75f;
        var y = conv.Forward(x, false);
        Assert.That(NaiveConvolution.MaxDifference(y, naive.Forward(x, conv.Weight.Value, conv.Bias?.Value, 6, 6)), Is.LessThan(1e-4));
    }

    private static void IgnoreWithoutAvx512()
    {
        if (!Avx512F.IsSupported)
        {
            Assert.Ignore("F(4x4, 3x3) runs with AVX-512 only.");
        }
    }
}
