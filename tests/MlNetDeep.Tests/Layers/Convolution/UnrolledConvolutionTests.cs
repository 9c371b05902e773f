using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>
/// The unrolled path for tiny images (<see cref="UnrolledConvolution"/>): where it is taken, its tap map, and that it
/// agrees with the direct loops, bit for bit between a lone sample and a batch, and after the weights change.
/// (ConvolutionReferenceTests' shapes include 2x2 and 1x1 images, which take it by default.)
/// </summary>
public class UnrolledConvolutionTests
{
    /// <summary>(H, W, kernel, stride, padding, groups) → taken or not.</summary>
    [TestCase(2, 2, 3, 1, 1, 1, ExpectedResult = true)]       // every output sees every input: M is all taps
    [TestCase(1, 1, 3, 1, 1, 1, ExpectedResult = true)]       // the centre tap only
    [TestCase(2, 2, 3, 2, 1, 1, ExpectedResult = true)]       // 2x2 → 1x1, stride 2: the four inputs
    [TestCase(1, 1, 1, 1, 0, 1, ExpectedResult = true)]       // pointwise on 1x1
    [TestCase(4, 4, 3, 1, 1, 1, ExpectedResult = false)]      // 100 taps of 256 entries
    [TestCase(4, 4, 3, 2, 1, 1, ExpectedResult = false)]      // 25 of 64
    [TestCase(2, 2, 1, 2, 0, 1, ExpectedResult = false)]      // the 1x1/2 projection reads one input of four
    [TestCase(2, 2, 3, 1, 1, 2, ExpectedResult = false)]      // groups keep their own path
    [TestCase(16, 16, 3, 1, 1, 1, ExpectedResult = false)]    // too many positions
    public bool TakenOnlyWhereTheDenseMatrixIsMostlyTaps(int h, int w, int kernel, int stride, int padding, int groups)
    {
        var ho = ((h + (2 * padding) - kernel) / stride) + 1;
        var wo = ((w + (2 * padding) - kernel) / stride) + 1;
        var g = new ConvolutionGeometry(4, h, w, 4, ho, wo, kernel, kernel, stride, stride, padding, padding, 1, 1, groups);
        return UnrolledConvolution.TryCreate(g) is not null;
    }

    [Test]
    public void TheTapMapOfA3x3PaddedConvolutionOn2x2()
    {
        var g = new ConvolutionGeometry(1, 2, 2, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var taps = UnrolledConvolution.Taps(g);

        // Output (0,0) reads inputs (0,0), (0,1), (1,0), (1,1) through the kernel's centre, right, bottom and
        // bottom-right taps; output (1,1) through its top-left, top, left and centre taps.
        Assert.That(taps[..4], Is.EqualTo(new[] { 4, 5, 7, 8 }));
        Assert.That(taps[12..], Is.EqualTo(new[] { 0, 1, 3, 4 }));
    }

    [Test]
    public void ADilatedKernelThatSkipsInputsLeavesThemOut()
    {
        // 3x3 dilated by 2, padded by 2, on 2x2: output (0,0) reads input (0,0) only (its other taps fall on padding or
        // beyond the image), so 4 of 16 entries are taps and the path is not taken.
        var g = new ConvolutionGeometry(1, 2, 2, 1, 2, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1);
        var taps = UnrolledConvolution.Taps(g);
        Assert.That(taps[..4], Is.EqualTo(new[] { 4, -1, -1, -1 }));
        Assert.That(taps.Count(t => t >= 0), Is.EqualTo(4));
        Assert.That(UnrolledConvolution.TryCreate(g), Is.Null);
    }

    [Test]
    public void ALoneSampleGetsTheBitsItGetsInABatch()
    {
        var conv = new Conv2D(48, 3, padding: 1);
        conv.Build([32, 2, 2], new RandomSource(1));
        var x = TestData.Random(2, 37, 32, 2, 2);
        var batch = conv.Forward(x, false).Clone();
        var one = new Tensor(1, 32, 2, 2);
        for (var n = 0; n < 37; n += 9)
        {
            x.Span.Slice(n * 128, 128).CopyTo(one.Span);
            var alone = conv.Forward(one, false);
            Assert.That(alone.Span.ToArray(), Is.EqualTo(batch.Span.Slice(n * 192, 192).ToArray()), $"sample {n}");
        }
    }

    [Test]
    public void NewWeightsAreUsedAtTheNextCall()
    {
        var conv = new Conv2D(8, 3, padding: 1);
        conv.Build([6, 2, 2], new RandomSource(1));
        var x = TestData.Random(2, 5, 6, 2, 2);
        var naive = new NaiveConvolution(3, 3, 1, 1, 1, 1, 1, 1, 1);
        conv.Forward(x, true);

        // An optimiser step changes the weights in place; the matrix built from the old ones must not be reused.
        var w = conv.Weight.Value.Span;
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (w[i] * 0.5f) + 0.01f;
        }

        var y = conv.Forward(x, true);
        Assert.That(NaiveConvolution.MaxDifference(y, naive.Forward(x, conv.Weight.Value, conv.Bias?.Value, 2, 2)), Is.LessThan(1e-5));
        var dy = TestData.Random(3, 5, 8, 2, 2);
        var dx = conv.Backward(dy);
        Assert.That(NaiveConvolution.MaxDifference(dx, naive.Transposed(dy, conv.Weight.Value, null, 2, 2)), Is.LessThan(1e-5));
    }
}
