using System.Runtime.Intrinsics.X86;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>Conv2D and ConvTranspose2D, forward and backward, against direct loops and against equivalent layers.</summary>
public class ConvolutionReferenceTests
{
    /// <summary>(batch, Cin, H, W, Cout, kh, kw, sh, sw, padding, dh, dw, groups, bias).</summary>
    private static IEnumerable<TestCaseData> Shapes()
    {
        object[][] cases =
        [
            [1, 1, 5, 5, 1, 3, 3, 1, 1, Padding.Valid, 1, 1, 1, true],
            [4, 3, 9, 7, 5, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],
            [3, 2, 8, 8, 4, 3, 3, 2, 2, Padding.Valid, 1, 1, 1, false],
            [5, 2, 8, 9, 3, 3, 3, 2, 2, Padding.Same, 1, 1, 1, true],
            [2, 3, 10, 10, 6, 5, 5, 1, 1, (Padding)2, 1, 1, 1, true],
            [2, 2, 7, 6, 3, 3, 2, 1, 2, Padding.Explicit(2, 0, 1, 3), 1, 1, 1, true],
            [3, 2, 11, 11, 2, 3, 3, 1, 1, Padding.Valid, 2, 2, 1, true],
            [2, 2, 9, 10, 2, 3, 3, 2, 1, Padding.Same, 2, 3, 1, true],
            [4, 4, 6, 6, 6, 3, 3, 1, 1, (Padding)1, 1, 1, 2, true],
            [3, 6, 7, 7, 6, 3, 3, 2, 2, Padding.Same, 1, 1, 6, true],
            [8, 5, 6, 6, 7, 1, 1, 1, 1, Padding.Valid, 1, 1, 1, true],
            [1, 8, 5, 5, 4, 1, 1, 1, 1, Padding.Valid, 1, 1, 2, false],
            [3, 3, 9, 9, 4, 1, 1, 2, 2, Padding.Valid, 1, 1, 1, true],
            [2, 2, 8, 8, 3, 2, 2, 3, 3, Padding.Valid, 1, 1, 1, true],
            [2, 1, 4, 4, 2, 2, 2, 1, 1, (Padding)3, 1, 1, 1, true],
            [1, 16, 12, 12, 32, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],
            [7, 1, 28, 28, 6, 5, 5, 1, 1, (Padding)2, 1, 1, 1, true],
            [5, 6, 14, 14, 16, 5, 5, 1, 1, Padding.Valid, 1, 1, 1, true],

            // Batch-folded GEMMs: several blocks per chunk (40 samples of 16x16 outputs), one chunk whose GEMMs use every
            // core (16 samples of 4x4), groups, 1x1 outputs and a strided 1x1 projection.
            [40, 2, 32, 32, 4, 3, 3, 2, 2, (Padding)1, 1, 1, 1, true],
            [16, 64, 4, 4, 24, 3, 3, 1, 1, Padding.Same, 1, 1, 1, false],
            [9, 8, 5, 5, 6, 3, 3, 2, 2, Padding.Same, 1, 1, 2, true],
            [64, 8, 2, 2, 16, 3, 3, 2, 2, (Padding)1, 1, 1, 1, false],
            [24, 16, 8, 8, 32, 1, 1, 2, 2, Padding.Valid, 1, 1, 1, false],

            // Taps that only ever see padding are trimmed: 3x3 on 1x1 images (the centre tap), dilated 3x3 on 2x1, and a
            // 5x4 kernel with stride 2 on 1x2 images padded 3 and 2 with two groups (rows 1 and 3 used, row 2 kept between them).
            [6, 16, 1, 1, 8, 3, 3, 1, 1, (Padding)1, 1, 1, 1, true],
            [5, 4, 2, 1, 6, 3, 3, 1, 1, (Padding)2, 2, 2, 1, false],
            [4, 4, 1, 2, 6, 5, 4, 2, 1, Padding.Explicit(3, 3, 2, 2), 1, 1, 2, true],

            // Small outputs cut into corners, edges and inside, each with only its taps: 3x3 padded by 1 on 4x4 (kept whole) and 2x2,
            // 5x5 padded by 2 on 3x4 with two groups, and 3x2 with dilation 2 on 4x3.
            [20, 32, 4, 4, 16, 3, 3, 1, 1, (Padding)1, 1, 1, 1, true],
            [40, 64, 2, 2, 24, 3, 3, 1, 1, (Padding)1, 1, 1, 1, false],
            [7, 4, 3, 4, 6, 5, 5, 1, 1, (Padding)2, 1, 1, 2, true],
            [9, 3, 4, 3, 5, 3, 2, 1, 1, Padding.Explicit(2, 2, 1, 1), 2, 2, 1, true],

            // Winograd F(2x2, 3x3) (3x3, stride 1, small images, more input channels than the direct kernels take): odd
            // outputs whose last tiles are cut (7x7), no padding (4x7 from 6x9), padding 2 (7x7 from 5x5), uneven padding,
            // three blocks of 8x8 samples, rows of two vectors (18x18; 11x24 with uneven padding) and rows too wide for two
            // (5x40: two strips of 10 tiles with AVX-512, else the scalar transforms); wide outputs in strips (AVX-512):
            // 46x61 with uneven padding (strips of 11, 11 and 9 tiles, the last cut), 33x34 from 40 channels (a forward
            // the direct kernels would take; blocks of 15 tile rows that span samples) and 64x64 from 32 channels.
            [3, 64, 7, 7, 16, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],
            [2, 64, 6, 9, 20, 3, 3, 1, 1, Padding.Valid, 1, 1, 1, true],
            [4, 72, 5, 5, 16, 3, 3, 1, 1, (Padding)2, 1, 1, 1, false],
            [3, 64, 6, 5, 17, 3, 3, 1, 1, Padding.Explicit(2, 0, 1, 2), 1, 1, 1, true],
            [37, 64, 8, 8, 16, 3, 3, 1, 1, (Padding)1, 1, 1, 1, true],
            [2, 64, 18, 18, 16, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],
            [3, 64, 11, 23, 16, 3, 3, 1, 1, Padding.Explicit(2, 0, 1, 2), 1, 1, 1, true],
            [2, 64, 5, 40, 24, 3, 3, 1, 1, Padding.Same, 1, 1, 1, false],
            [2, 64, 45, 61, 16, 3, 3, 1, 1, Padding.Explicit(1, 2, 0, 2), 1, 1, 1, true],
            [3, 40, 33, 34, 20, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],
            [2, 32, 64, 64, 16, 3, 3, 1, 1, (Padding)1, 1, 1, 1, false],

            // Column matrices whose rows would start 4 KiB apart (32x32 = 1,024 positions, 64x16) get a padded row stride:
            // dilated with two groups, many channels (Winograd with AVX-512; im2col in the test below), and 64x16 with a bias.
            [3, 8, 32, 32, 6, 3, 3, 1, 1, Padding.Same, 2, 2, 2, true],
            [2, 64, 32, 32, 8, 3, 3, 1, 1, Padding.Same, 1, 1, 1, false],
            [2, 5, 64, 16, 4, 3, 3, 1, 1, Padding.Same, 3, 1, 1, true],

            // Column matrices past 192k values are lowered and multiplied band by band of output rows (the 32x32 case above
            // in bands of 10 rows; here bands of 9, 9, 9 and 3 rows with a bias; both by Winograd with AVX-512, the bands in
            // the im2col test below).
            [2, 64, 30, 36, 10, 3, 3, 1, 1, Padding.Same, 1, 1, 1, true],

            // Dilated stride-1 convolutions run on their phases as ordinary ones (PhaseSplitConvolution): 32x32 at rate 2
            // (four 16x16 phases, Winograd), rate 3 on 31x32 (phases of 11 and 10 rows and columns), rate 4 with a bias,
            // rates 2 and 1 (phases of rows only), rates 2 and 3 on 14x19 (phases of 7 rows, 7 and 6 columns), and the direct
            // kernels on few channels (above: 5 channels at rates 3 and 1, and 11x11 at rate 2 without padding).
            [2, 64, 32, 32, 16, 3, 3, 1, 1, Padding.Same, 2, 2, 1, false],
            [2, 64, 31, 32, 16, 3, 3, 1, 1, Padding.Same, 3, 3, 1, false],
            [3, 32, 16, 16, 24, 3, 3, 1, 1, Padding.Same, 4, 4, 1, true],
            [2, 20, 13, 9, 16, 3, 3, 1, 1, Padding.Explicit(2, 2, 1, 1), 2, 1, 1, true],
            [3, 24, 14, 19, 16, 3, 3, 1, 1, Padding.Same, 2, 3, 1, true],

            // Strided convolutions on their phases stacked as channels (SpaceToDepthConvolution, with the direct kernels):
            // a ResNet stem (7x7/2 padded 3) on 32x32, the same with uneven padding on 23x25, AlexNet's 11x11/4 padded 2,
            // and strides 2 and 3 with a 5x5 kernel.
            [2, 3, 32, 32, 16, 7, 7, 2, 2, (Padding)3, 1, 1, 1, true],
            [2, 3, 23, 25, 8, 7, 7, 2, 2, Padding.Explicit(3, 2, 1, 3), 1, 1, 1, false],
            [2, 3, 39, 39, 8, 11, 11, 4, 4, (Padding)2, 1, 1, 1, true],
            [3, 2, 17, 15, 8, 5, 5, 2, 3, (Padding)1, 1, 1, 1, true],

            // Stride-2 rows of im2col by permutes (AVX-512): 35 outputs a row (two vectors and 3 values), a 1x1/2 projection
            // (32: one vector and a masked one of 16), and uneven padding with stride 2 across only (29, starting at 1).
            [2, 4, 66, 70, 8, 3, 3, 2, 2, (Padding)1, 1, 1, 1, true],
            [2, 6, 50, 64, 8, 1, 1, 2, 2, Padding.Valid, 1, 1, 1, false],
            [2, 3, 41, 57, 5, 5, 5, 1, 2, Padding.Explicit(1, 2, 3, 0), 1, 1, 1, true],
        ];
        foreach (var c in cases)
        {
            yield return new TestCaseData(c).SetArgDisplayNames(string.Join(" ", c.Select(v => v.ToString())));
        }
    }

    private static NaiveConvolution Reference(int kh, int kw, int sh, int sw, int padTop, int padLeft, int dh, int dw, int groups) =>
        new(kh, kw, sh, sw, padTop, padLeft, dh, dw, groups);

    private static void Randomise(Layer layer, ulong seed)
    {
        var r = new RandomSource(seed);
        foreach (var p in layer.Parameters)
        {
            var s = p.Value.Span;
            for (var i = 0; i < s.Length; i++)
            {
                s[i] = (float)r.NextGaussian();
            }

            p.Gradient.Clear();
        }
    }

    private static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        double scale = 1;
        for (var i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        Assert.That(NaiveConvolution.MaxDifference(actual, expected), Is.LessThan(2e-5 * scale * 10), what);
    }

    /// <summary>Which dilated convolutions run on their phases: stride 1 and padding a multiple of the rate, when the phases' convolution is fast.</summary>
    [TestCase(64, 32, 2, 2, 1, ExpectedResult = true)]
    [TestCase(64, 32, 3, 3, 1, ExpectedResult = true)]
    [TestCase(64, 32, 2, 1, 1, ExpectedResult = false)]
    [TestCase(64, 32, 2, 2, 2, ExpectedResult = false)]
    [TestCase(64, 32, 1, 1, 1, ExpectedResult = false)]
    public bool DilatedConvolutionsRunOnTheirPhases(int channels, int side, int rate, int padding, int stride)
    {
        var conv = new Conv2D(16, 3, stride: stride, padding: (Padding)padding, dilation: rate);
        conv.Build([channels, side, side], new RandomSource(1));
        return conv.ByPhases;
    }

    /// <summary>
    /// The phases are gathered and scattered back through tables (AVX2); the per-row loops they replace give the same bits,
    /// forward (inference, whose phase convolution may be Winograd's F(4x4, 3x3), and training) and backward: phases of
    /// uneven sizes (13x11 at rate 3), rates 2 and 3 across on a Winograd phase convolution, and DeepLab's rate 4 at 32x32.
    /// </summary>
    [TestCase(3, 8, 13, 11, 8, 3, 3)]
    [TestCase(2, 32, 19, 21, 32, 2, 3)]
    [TestCase(2, 64, 32, 32, 64, 4, 4)]
    [NonParallelizable]
    public void PhaseTablesGiveTheBitsOfThePerRowLoops(int n, int cin, int h, int w, int cout, int dh, int dw)
    {
        var conv = new Conv2D(cout, (3, 3), null, Padding.Same, (dh, dw));
        conv.Build([cin, h, w], new RandomSource(1));
        Assume.That(conv.ByPhases, "the phase form is taken where its phase convolution is fast");
        Randomise(conv, 2);
        var x = TestData.Random(3, n, cin, h, w);
        var dy = TestData.Random(4, n, cout, h, w);
        float[][] Run(bool tables)
        {
            PhaseSplitConvolution.ByTables = tables;
            try
            {
                var inference = conv.Forward(x, false).Span.ToArray();
                var training = conv.Forward(x, true).Span.ToArray();
                foreach (var p in conv.Parameters)
                {
                    p.Gradient.Clear();
                }

                var dx = conv.Backward(dy).Span.ToArray();
                return [inference, training, dx, conv.Weight.Gradient.Span.ToArray(), conv.Bias!.Gradient.Span.ToArray()];
            }
            finally
            {
                PhaseSplitConvolution.ByTables = true;
            }
        }

        var (byTables, byRows) = (Run(true), Run(false));
        string[] names = ["inference", "training forward", "input gradient", "weight gradient", "bias gradient"];
        for (var i = 0; i < names.Length; i++)
        {
            Assert.That(byTables[i], Is.EqualTo(byRows[i]), names[i]);
        }
    }

    /// <summary>Which strided convolutions run on their phases stacked as channels: where the direct kernels take the phase
    /// convolution (AVX-512, few channels) and its zero taps add at most half again.</summary>
    [TestCase(3, 224, 7, 2, 3, true)]     // ResNet's stem: 4x4 on 12 channels
    [TestCase(3, 224, 11, 4, 2, true)]    // AlexNet's first layer: 3x3 on 48 channels
    [TestCase(16, 32, 3, 2, 1, false)]    // 3x3/2: 16 taps for 9
    [TestCase(64, 56, 7, 2, 3, false)]    // too many channels for the direct kernels
    [TestCase(3, 32, 7, 1, 3, false)]     // stride 1
    public void StridedConvolutionsRunOnTheirPhasesAsChannels(int channels, int side, int kernel, int stride, int padding, bool taken)
    {
        var conv = new Conv2D(16, kernel, stride: stride, padding: (Padding)padding);
        conv.Build([channels, side, side], new RandomSource(1));
        Assert.That(conv.BySpaceToDepth, Is.EqualTo(taken && Avx512F.IsSupported));
    }

    /// <summary>
    /// The forward pass on the phases skips the phase kernels' zero taps; running them too gives the same bits (each adds a
    /// zero product in place): a ResNet stem, AlexNet's 11x11/4 and a 5x5 kernel with strides 2 and 3, inference and training.
    /// </summary>
    [TestCase(3, 33, 31, 7, 7, 2, 2, 3)]
    [TestCase(3, 47, 47, 11, 11, 4, 4, 2)]
    [TestCase(2, 17, 15, 5, 5, 2, 3, 1)]
    [NonParallelizable]
    public void SkippingThePhaseKernelsZeroTapsGivesTheSameBits(int channels, int h, int w, int kh, int kw, int sh, int sw, int padding)
    {
        Conv2D Make()
        {
            var conv = new Conv2D(24, (kh, kw), (sh, sw), (Padding)padding);
            conv.Build([channels, h, w], new RandomSource(1));
            Randomise(conv, 2);
            return conv;
        }

        var skipping = Make();
        SpaceToDepthConvolution.SkipZeroTaps = false;
        Conv2D whole;
        try
        {
            whole = Make();
        }
        finally
        {
            SpaceToDepthConvolution.SkipZeroTaps = true;
        }

        Assume.That(skipping.BySpaceToDepth, "the phase form is taken with the direct kernels (AVX-512)");
        var x = TestData.Random(3, 5, channels, h, w);
        Assert.That(skipping.Forward(x, false).Span.ToArray(), Is.EqualTo(whole.Forward(x, false).Span.ToArray()), "inference");
        Assert.That(skipping.Forward(x, true).Span.ToArray(), Is.EqualTo(whole.Forward(x, true).Span.ToArray()), "training");
    }

    /// <summary>
    /// A strided convolution that never reads its input's last row and column (6x6/2 on 11x11, unpadded): on its phases the
    /// input gradient is written everywhere, zero where no phase reaches, whatever the target held before.
    /// </summary>
    [Test]
    public void SpaceToDepthWritesTheWholeInputGradient()
    {
        var g = new ConvolutionGeometry(3, 11, 11, 8, 3, 3, 6, 6, 2, 2, 0, 0, 1, 1, 1);
        var engine = new ConvolutionEngine(g);
        Assert.That(engine.BySpaceToDepth, Is.EqualTo(Avx512F.IsSupported));
        var x = TestData.Random(1, 2, 3, 11, 11);
        var dy = TestData.Random(2, 2, 8, 3, 3);
        var w = TestData.Random(3, 8, 3, 6, 6);
        var dx = new Tensor(2, 3, 11, 11);
        dx.Span.Fill(float.NaN);
        engine.LowerBackward(x, dy, w, null, null, dx);
        Assert.That(dx.Span.ToArray().Count(float.IsNaN), Is.Zero, "every input position written");
        AssertClose(dx, Reference(6, 6, 2, 2, 0, 0, 1, 1, 1).Transposed(dy, w, null, 11, 11), "input gradient");
    }

    /// <summary>With few channels the phases run on the direct kernels, so only where those run (AVX-512).</summary>
    [Test]
    public void DilatedConvolutionsOnFewChannelsRunOnTheirPhasesWithTheDirectKernels()
    {
        var conv = new Conv2D(16, 3, padding: (Padding)3, dilation: 3);
        conv.Build([4, 17, 17], new RandomSource(1));
        Assert.That(conv.ByPhases, Is.EqualTo(Avx512F.IsSupported));
    }

    [TestCaseSource(nameof(Shapes))]
    public void Conv2DMatchesDirectLoops(
        int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, Padding padding, int dh, int dw, int groups, bool bias)
    {
        var conv = new Conv2D(cout, (kh, kw), (sh, sw), padding, (dh, dw), groups, bias);
        conv.Build([cin, h, w], new RandomSource(1));
        Randomise(conv, 2);
        var x = TestData.Random(3, n, cin, h, w);
        var naive = Reference(kh, kw, sh, sw, conv.ResolvedPadding.Top, conv.ResolvedPadding.Left, dh, dw, groups);
        int ho = conv.OutputShape[1], wo = conv.OutputShape[2];
        Assert.That(ho, Is.EqualTo(Conv2D.OutputSize(h + conv.ResolvedPadding.Top + conv.ResolvedPadding.Bottom, kh, 0, sh, dh)));
        if (padding.IsSame)
        {
            Assert.That((ho, wo), Is.EqualTo(((h + sh - 1) / sh, (w + sw - 1) / sw)), "same: ⌈n/s⌉");
        }

        // Twice, to check that reused buffers give the same result.
        for (var pass = 0; pass < 2; pass++)
        {
            var y = conv.Forward(x, true);
            AssertClose(y, naive.Forward(x, conv.Weight.Value, conv.Bias?.Value, ho, wo), "forward");

            var dy = TestData.Random(4, n, cout, ho, wo);
            foreach (var p in conv.Parameters)
            {
                p.Gradient.Clear();
            }

            var dx = conv.Backward(dy);
            AssertClose(dx, naive.Transposed(dy, conv.Weight.Value, null, h, w), "input gradient");
            AssertClose(conv.Weight.Gradient, naive.WeightGradient(x, dy, conv.Weight.Value.ShapeArray()), "weight gradient");
            if (bias)
            {
                AssertClose(conv.Bias!.Gradient, NaiveConvolution.ChannelSums(dy), "bias gradient");
            }
        }
    }

    /// <summary>
    /// The same checks with the direct AVX-512 kernels, the unrolled tiny-image path and Winograd switched off, so that
    /// im2col + GEMM is covered for every shape too.
    /// </summary>
    [TestCaseSource(nameof(Shapes))]
    [NonParallelizable]
    public void Conv2DThroughIm2ColMatchesDirectLoops(
        int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, Padding padding, int dh, int dw, int groups, bool bias)
    {
        DirectConvolution.Enabled = false;
        UnrolledConvolution.Enabled = false;
        WinogradConvolution.Enabled = false;
        try
        {
            Conv2DMatchesDirectLoops(n, cin, h, w, cout, kh, kw, sh, sw, padding, dh, dw, groups, bias);
        }
        finally
        {
            DirectConvolution.Enabled = true;
            UnrolledConvolution.Enabled = true;
            WinogradConvolution.Enabled = true;
        }
    }

    /// <summary>
    /// The same checks with batch folding switched off too, so that the per-sample GEMMs (which large images use) stay
    /// covered for the small shapes that are folded by default.
    /// </summary>
    [TestCaseSource(nameof(Shapes))]
    [NonParallelizable]
    public void Conv2DSampleBySampleMatchesDirectLoops(
        int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, Padding padding, int dh, int dw, int groups, bool bias)
    {
        ConvolutionEngine.BatchFolding = false;
        try
        {
            Conv2DThroughIm2ColMatchesDirectLoops(n, cin, h, w, cout, kh, kw, sh, sw, padding, dh, dw, groups, bias);
        }
        finally
        {
            ConvolutionEngine.BatchFolding = true;
        }
    }

    [TestCase(3, 3, 1, 1, 1, 1, 1, 1, ExpectedResult = "1x1 pad 0,0")]
    [TestCase(3, 3, 2, 1, 2, 2, 1, 1, ExpectedResult = "2x2 pad 0,0")]
    [TestCase(3, 3, 1, 1, 8, 8, 8, 8, ExpectedResult = "untrimmed")]
    [TestCase(7, 7, 2, 3, 2, 2, 1, 1, ExpectedResult = "2x2 pad 0,0")]
    [TestCase(5, 3, 1, 2, 1, 3, 1, 5, ExpectedResult = "1x3 pad 0,2")]
    [TestCase(5, 4, 2, 3, 1, 2, 2, 3, ExpectedResult = "3x4 pad 2,3")]
    public string TrimmingKeepsTheTapsThatReachTheImage(int kh, int kw, int stride, int pad, int h, int w, int ho, int wo)
    {
        var g = new ConvolutionGeometry(2, h, w, 3, ho, wo, kh, kw, stride, stride, pad, pad, 1, 1, 1);
        var (t, smaller) = ConvolutionEngine.Trim(g);
        return smaller ? $"{t.KernelHeight}x{t.KernelWidth} pad {t.PadTop},{t.PadLeft}" : "untrimmed";
    }

    [TestCase(4, 4, ExpectedResult = "1 parts: 4x4 3x3")]
    [TestCase(3, 2, ExpectedResult = "6 parts: 1x1 2x2, 1x1 2x2, 1x1 3x2, 1x1 3x2, 1x1 2x2, 1x1 2x2")]
    [TestCase(2, 2, ExpectedResult = "4 parts: 1x1 2x2, 1x1 2x2, 1x1 2x2, 1x1 2x2")]
    [TestCase(8, 8, ExpectedResult = "1 parts: 8x8 3x3")]
    [TestCase(1, 1, ExpectedResult = "1 parts: 1x1 1x1")]
    public string SmallOutputsAreCutIntoPartsThatUseTheSameTaps(int h, int w)
    {
        var g = new ConvolutionGeometry(2, h, w, 3, h, w, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var parts = ConvolutionEngine.Decompose(g);
        Assert.That(parts.Sum(p => p.Geometry.Positions), Is.EqualTo(h * w), "every output position in exactly one part");
        return $"{parts.Length} parts: " + string.Join(", ", parts.Select(p =>
            $"{p.Geometry.OutputHeight}x{p.Geometry.OutputWidth} {p.Geometry.KernelHeight}x{p.Geometry.KernelWidth}"));
    }

    [TestCaseSource(nameof(Shapes))]
    public void ConvTranspose2DMatchesDirectLoops(
        int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, Padding padding, int dh, int dw, int groups, bool bias)
    {
        var outputPadding = (Math.Max(sh, dh) > 1 && !padding.IsSame ? 1 : 0, 0);
        var layer = new ConvTranspose2D(cout, (kh, kw), (sh, sw), padding, outputPadding, (dh, dw), groups, bias);
        int top, left;
        if (!padding.IsSame && ConvTranspose2D.OutputSize(h, kh, padding.Top, sh, outputPadding.Item1, dh) <= 0)
        {
            var e = Assert.Throws<ArgumentException>(() => layer.Build([cin, h, w], new RandomSource(1)));
            Assert.That(e!.Message, Does.Contain("removes the whole output"));
            return;
        }

        var shape = layer.Build([cin, h, w], new RandomSource(1));
        var (ho, wo) = (shape[1], shape[2]);

        if (padding.IsSame)
        {
            Assert.That((ho, wo), Is.EqualTo((h * sh, w * sw)));
            top = padding.Resolve(true, h * sh, kh, sh, dh).Before;
            left = padding.Resolve(false, w * sw, kw, sw, dw).Before;
        }
        else
        {
            (top, left) = (padding.Top, padding.Left);
            Assert.That(ho, Is.EqualTo(((h - 1) * sh) - padding.Top - padding.Bottom + (dh * (kh - 1)) + outputPadding.Item1 + 1));
        }

        Randomise(layer, 2);
        var x = TestData.Random(3, n, cin, h, w);
        var naive = Reference(kh, kw, sh, sw, top, left, dh, dw, groups);

        for (var pass = 0; pass < 2; pass++)
        {
            var y = layer.Forward(x, true);
            AssertClose(y, naive.Transposed(x, layer.Weight.Value, layer.Bias?.Value, ho, wo), "forward");

            var dy = TestData.Random(4, n, cout, ho, wo);
            foreach (var p in layer.Parameters)
            {
                p.Gradient.Clear();
            }

            var dx = layer.Backward(dy);
            AssertClose(dx, naive.Forward(dy, layer.Weight.Value, null, h, w), "input gradient");
            AssertClose(layer.Weight.Gradient, naive.WeightGradient(dy, x, layer.Weight.Value.ShapeArray()), "weight gradient");
            if (bias)
            {
                AssertClose(layer.Bias!.Gradient, NaiveConvolution.ChannelSums(dy), "bias gradient");
            }
        }
    }

    [Test]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var conv = new Conv2D(3, 3, padding: 1);
        conv.Build([2, 5, 5], new RandomSource(1));
        var x = TestData.Random(2, 4, 2, 5, 5);
        var dy = TestData.Random(3, 4, 3, 5, 5);
        conv.Forward(x, true);
        conv.Backward(dy);
        var once = conv.Weight.Gradient.Clone();
        var bias = conv.Bias!.Gradient.Clone();

        conv.Forward(x, true);
        conv.Backward(dy);

        for (var i = 0; i < once.Length; i++)
        {
            Assert.That(conv.Weight.Gradient[i], Is.EqualTo(2 * once[i]).Within(1e-4));
        }

        Assert.That(conv.Bias.Gradient[0], Is.EqualTo(2 * bias[0]).Within(1e-4));
    }

    [Test]
    public void FrozenParametersAndSkippedInputGradientAreLeftAlone()
    {
        var conv = new Conv2D(3, 3, padding: 1) { ComputeInputGradient = false };
        conv.Build([2, 5, 5], new RandomSource(1));
        conv.Weight.Frozen = true;
        conv.Forward(TestData.Random(2, 4, 2, 5, 5), true);

        conv.Backward(TestData.Random(3, 4, 3, 5, 5));

        Assert.That(conv.Weight.Gradient.Span.ToArray(), Is.All.Zero);
        Assert.That(conv.Bias!.Gradient.Span.ToArray(), Has.Some.Not.Zero);
    }

    [Test]
    public void PointwiseConvolutionIsADenseLayerAppliedToEveryPixel()
    {
        // Seed 001: a 1x1 convolution mixes the channels of each pixel, like a fully connected layer over channels.
        const int n = 3, c = 4, h = 5, w = 6, filters = 7;
        var conv = new Conv2D(filters, 1);
        conv.Build([c, h, w], new RandomSource(1));
        var dense = new Dense(filters);
        dense.Build([c], new RandomSource(2));
        conv.Weight.Value.Span.CopyTo(dense.Weight.Value.Span);
        conv.Bias!.Value.Span.CopyTo(dense.Bias!.Value.Span);
        var x = TestData.Random(3, n, c, h, w);

        var pixels = new Tensor(n * h * w, c);
        for (var s = 0; s < n; s++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    pixels[(s * h * w) + p, ch] = x[(((s * c) + ch) * h * w) + p];
                }
            }
        }

        var y = conv.Forward(x, false);
        var expected = dense.Forward(pixels, false);

        for (var s = 0; s < n; s++)
        {
            for (var f = 0; f < filters; f++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    Assert.That(y[(((s * filters) + f) * h * w) + p], Is.EqualTo(expected[(s * h * w) + p, f]).Within(1e-5));
                }
            }
        }
    }

    [Test]
    public void DilationTwoEqualsAConvolutionWithAZeroDilatedKernel()
    {
        var dilated = new Conv2D(3, 3, dilation: 2, padding: 2);
        dilated.Build([2, 9, 8], new RandomSource(1));
        var wide = new Conv2D(3, 5, padding: 2);
        wide.Build([2, 9, 8], new RandomSource(2));
        var w3 = dilated.Weight.Value;
        var w5 = wide.Weight.Value;
        w5.Clear();
        for (var o = 0; o < 3; o++)
        {
            for (var c = 0; c < 2; c++)
            {
                for (var i = 0; i < 3; i++)
                {
                    for (var j = 0; j < 3; j++)
                    {
                        w5[NaiveConvolution.Index(w5, o, c, 2 * i, 2 * j)] = w3[NaiveConvolution.Index(w3, o, c, i, j)];
                    }
                }
            }
        }

        dilated.Bias!.Value.Span.CopyTo(wide.Bias!.Value.Span);
        var x = TestData.Random(3, 2, 2, 9, 8);

        Assert.That(NaiveConvolution.MaxDifference(dilated.Forward(x, false), wide.Forward(x, false)), Is.LessThan(1e-5));
        Assert.That(dilated.OutputShape.ToArray(), Is.EqualTo(new[] { 3, 9, 8 }));
    }

    [Test]
    public void DepthwiseConvolutionEqualsOneConvolutionPerChannel()
    {
        const int channels = 3;
        var depthwise = new Conv2D(channels, 3, stride: 2, padding: Padding.Same, groups: channels);
        depthwise.Build([channels, 7, 7], new RandomSource(1));
        Assert.That(depthwise.Weight.Value.Shape.ToArray(), Is.EqualTo(new[] { channels, 1, 3, 3 }));
        var x = TestData.Random(3, 2, channels, 7, 7);
        var y = depthwise.Forward(x, false).Clone();

        for (var c = 0; c < channels; c++)
        {
            var single = new Conv2D(1, 3, stride: 2, padding: Padding.Same);
            single.Build([1, 7, 7], new RandomSource(2));
            depthwise.Weight.Value.Span.Slice(c * 9, 9).CopyTo(single.Weight.Value.Span);
            single.Bias!.Value[0] = depthwise.Bias!.Value[c];
            var xc = new Tensor(2, 1, 7, 7);
            for (var s = 0; s < 2; s++)
            {
                x.Span.Slice(((s * channels) + c) * 49, 49).CopyTo(xc.Span.Slice(s * 49, 49));
            }

            var yc = single.Forward(xc, false);
            for (var s = 0; s < 2; s++)
            {
                for (var p = 0; p < 16; p++)
                {
                    Assert.That(y[(((s * channels) + c) * 16) + p], Is.EqualTo(yc[(s * 16) + p]).Within(1e-5));
                }
            }
        }
    }

    [Test]
    public void TransposedConvolutionIsTheAdjointOfTheConvolution()
    {
        // <conv(x), y> = <x, convT(y)> for the same weights, stride, padding and dilation.
        var conv = new Conv2D(4, 3, stride: 2, padding: 1, useBias: false);
        conv.Build([3, 8, 8], new RandomSource(1));
        var transposed = new ConvTranspose2D(3, 3, stride: 2, padding: 1, outputPadding: 1, useBias: false);
        transposed.Build([4, 4, 4], new RandomSource(2));
        conv.Weight.Value.Span.CopyTo(transposed.Weight.Value.Span);
        var x = TestData.Random(3, 2, 3, 8, 8);
        var y = TestData.Random(4, 2, 4, 4, 4);

        var cx = conv.Forward(x, false);
        var ty = transposed.Forward(y, false);

        Assert.That(ty.Shape.ToArray(), Is.EqualTo(x.Shape.ToArray()));
        double left = 0, right = 0;
        for (var i = 0; i < y.Length; i++)
        {
            left += (double)cx[i] * y[i];
        }

        for (var i = 0; i < x.Length; i++)
        {
            right += (double)x[i] * ty[i];
        }

        Assert.That(left, Is.EqualTo(right).Within(1e-3));
    }
}
