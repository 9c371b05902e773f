using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>Up-sampling (seed 004 §5.1 反卷积, §5.2 双线性插值), output sizes and receptive fields (感受野).</summary>
public class UpsamplingTests
{
    [Test]
    public void BilinearUpsamplingMatchesPyTorchsHalfPixelRule()
    {
        // torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False) of [[1, 2], [3, 4]].
        var layer = new BilinearUpsampling(2);
        layer.Build([1, 2, 2], new RandomSource(1));
        var y = layer.Forward(new Tensor([1, 2, 3, 4], 1, 1, 2, 2), training: false);

        float[] expected =
        [
            1.00f, 1.25f, 1.75f, 2.00f,
            1.50f, 1.75f, 2.25f, 2.50f,
            2.50f, 2.75f, 3.25f, 3.50f,
            3.00f, 3.25f, 3.75f, 4.00f,
        ];
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 4, 4 }));
        Assert.That(y.Span.ToArray(), Is.EqualTo(expected).Within(1e-6f));
    }

    [Test]
    public void BilinearUpsamplingOfOnePixelIsABroadcast()
    {
        var layer = new BilinearUpsampling(5);
        layer.Build([2, 1, 1], new RandomSource(1));
        var y = layer.Forward(new Tensor([3f, -2f], 1, 2, 1, 1), training: false);
        Assert.That(y.Span[..25].ToArray(), Is.All.EqualTo(3f));
        Assert.That(y.Span[25..].ToArray(), Is.All.EqualTo(-2f));
    }

    /// <summary>
    /// The forward interpolates each input row along the width once and blends pairs of those rows a vector at a time; every
    /// output pixel must still be, bit for bit, the four-tap formula of <see cref="BilinearUpsampling.Tap"/>, for planes
    /// cut across the cores, odd sizes (vector tails) and the 1×1 broadcast of ASPP's image branch.
    /// </summary>
    [TestCase(8, 4, 32, 32, 4)]
    [TestCase(3, 5, 7, 9, 3)]
    [TestCase(2, 64, 1, 1, 32)]
    [TestCase(1, 2, 5, 3, 1)]
    public void BilinearUpsamplingGivesEachPixelsFourTapFormula(int rows, int channels, int height, int width, int factor)
    {
        var layer = new BilinearUpsampling(factor);
        layer.Build([channels, height, width], new RandomSource(1));
        var x = TestData.Random(7, rows, channels, height, width);

        var y = layer.Forward(x, training: false);

        int outH = height * factor, outW = width * factor;
        for (var plane = 0; plane < rows * channels; plane++)
        {
            for (var i = 0; i < outH; i++)
            {
                var (r0, r1, wy) = BilinearUpsampling.Tap(i, height, factor);
                for (var j = 0; j < outW; j++)
                {
                    var (c0, c1, wx) = BilinearUpsampling.Tap(j, width, factor);
                    float At(int r, int c) => x[(plane * height * width) + (r * width) + c];
                    var upper = At(r0, c0) + (wx * (At(r0, c1) - At(r0, c0)));
                    var lower = At(r1, c0) + (wx * (At(r1, c1) - At(r1, c0)));
                    var expected = upper + (wy * (lower - upper));
                    var actual = y[(plane * outH * outW) + (i * outW) + j];
                    if (BitConverter.SingleToInt32Bits(actual) != BitConverter.SingleToInt32Bits(expected))
                    {
                        Assert.Fail($"plane {plane}, pixel ({i}, {j}): {actual:R}, the formula gives {expected:R}");
                    }
                }
            }
        }
    }

    [TestCase(2)]
    [TestCase(3)]
    public void BilinearUpsamplingPassesGradientCheck(int factor)
    {
        var net = new Sequential(new Conv2D(3, 3, padding: 1), new BilinearUpsampling(factor), new Conv2D(2, 1));
        net.Build([2, 3, 4], new RandomSource(5));
        var x = TestData.Random(6, 2, 2, 3, 4);
        var y = TestData.Random(7, 2, 2, 3 * factor, 4 * factor);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    public void TransposedConvolutionWithBilinearKernelEqualsBilinearUpsamplingAwayFromTheBorder(int factor)
    {
        const int channels = 3, size = 6;
        var transposed = new ConvTranspose2D(channels, 2 * factor, stride: factor, padding: factor / 2, useBias: false, weightInitializer: new BilinearKernel(2 * factor, channels));
        transposed.Build([channels, size, size], new RandomSource(1));
        var bilinear = new BilinearUpsampling(factor);
        bilinear.Build([channels, size, size], new RandomSource(1));
        var x = TestData.Random(3, 2, channels, size, size);

        var a = transposed.Forward(x, training: false).Clone();
        var b = bilinear.Forward(x, training: false);

        Assert.That(a.Shape.ToArray(), Is.EqualTo(b.Shape.ToArray()));
        var side = size * factor;
        var interior = 0;
        for (var plane = 0; plane < 2 * channels; plane++)
        {
            // Output pixels within half a step of the border read beyond the image: zeros for the transposed
            // convolution, the repeated edge for the fixed layer. Everywhere else the two agree.
            for (var i = factor / 2; i < side - (factor / 2); i++)
            {
                for (var j = factor / 2; j < side - (factor / 2); j++)
                {
                    var k = (plane * side * side) + (i * side) + j;
                    Assert.That(a[k], Is.EqualTo(b[k]).Within(1e-5f), $"plane {plane}, pixel ({i}, {j})");
                    interior++;
                }
            }
        }

        Assert.That(interior, Is.EqualTo(2 * channels * (side - (2 * (factor / 2))) * (side - (2 * (factor / 2)))));
    }

    [Test]
    public void BilinearKernelIsFcnsUpsampleFilter()
    {
        // FCN's upsample_filt(4) = [0.25, 0.75, 0.75, 0.25] per axis; upsample_filt(3) = [0.5, 1, 0.5].
        Assert.That(Enumerable.Range(0, 4).Select(t => BilinearKernel.Weight(t, 4)), Is.EqualTo(new[] { 0.25f, 0.75f, 0.75f, 0.25f }));
        Assert.That(Enumerable.Range(0, 3).Select(t => BilinearKernel.Weight(t, 3)), Is.EqualTo(new[] { 0.5f, 1f, 0.5f }));
        Assert.Throws<ArgumentException>(() => new BilinearKernel(4, 3).Fill(new float[2 * 3 * 16], 1, 1, new RandomSource(1)));
    }

    // Seed 004 图 10: a transposed convolution grows the map (a 2×2 input with a 3×3 kernel gives 4×4 at stride 1 and
    // 5×5 at stride 2), and "changing stride and padding" picks the size: stride 2, padding 1 gives 3×3, and the
    // FCN up-samplers (kernel 2f, stride f, padding f/2) multiply the size by f.
    [TestCase(2, 3, 1, 0, 0, 4)]
    [TestCase(2, 3, 2, 0, 0, 5)]
    [TestCase(2, 3, 2, 1, 0, 3)]
    [TestCase(2, 3, 2, 1, 1, 4)]
    [TestCase(1, 64, 32, 16, 0, 32)]
    [TestCase(2, 4, 2, 1, 0, 4)]
    [TestCase(4, 16, 8, 4, 0, 32)]
    public void TransposedConvolutionOutputSizes(int n, int f, int s, int p, int outputPadding, int expected)
    {
        Assert.That(ConvTranspose2D.OutputSize(n, f, p, s, outputPadding), Is.EqualTo(expected));
        var layer = new ConvTranspose2D(1, f, stride: s, padding: p, outputPadding: outputPadding);
        Assert.That(layer.Build([1, n, n], new RandomSource(1)), Is.EqualTo(new[] { 1, expected, expected }));
    }

    // Seed 004 §5.2 空洞卷积: a 3×3 kernel with rate d spans 2d + 1 pixels; padding d keeps the size (DeepLab keeps the
    // resolution), no padding shrinks it by 2d.
    [TestCase(7, 3, 0, 1, 1, 5)]
    [TestCase(7, 3, 0, 1, 2, 3)]
    [TestCase(7, 3, 2, 1, 2, 7)]
    [TestCase(32, 3, 4, 1, 4, 32)]
    [TestCase(9, 3, 0, 1, 4, 1)]
    [TestCase(16, 3, 2, 2, 2, 8)]
    public void DilatedConvolutionOutputSizes(int n, int f, int p, int s, int d, int expected)
    {
        Assert.That(Conv2D.OutputSize(n, f, p, s, d), Is.EqualTo(expected));
        var layer = new Conv2D(1, f, stride: s, padding: p, dilation: d);
        Assert.That(layer.Build([1, n, n], new RandomSource(1)), Is.EqualTo(new[] { 1, expected, expected }));
    }

    [Test]
    public void ReceptiveFieldOfADilatedStackGrowsExponentially()
    {
        // 3×3 convolutions with rates 1, 2, 4, 8 (Yu & Koltun's context module, DeepLab's atrous convolutions): 3, 7, 15, 31.
        int[] rates = [1, 2, 4, 8];
        var fields = rates.Select((_, i) => ReceptiveField.Of(rates.Take(i + 1).Select(d => (3, 1, d))).Size);
        Assert.That(fields, Is.EqualTo(new[] { 3, 7, 15, 31 }));

        // Undilated, four 3×3 layers see only 9 pixels.
        Assert.That(ReceptiveField.Of(Enumerable.Repeat((3, 1, 1), 4)).Size, Is.EqualTo(9));

        // The same from the layers themselves; element-wise layers do not change it; the map keeps its size.
        var stack = new Sequential(
            new Conv2D(2, 3, padding: Padding.Same), new MlNetDeep.Layers.Activations.ReLU(), new Conv2D(2, 3, padding: Padding.Same, dilation: 2),
            new Conv2D(2, 3, padding: Padding.Same, dilation: 4), new Conv2D(2, 3, padding: Padding.Same, dilation: 8));
        Assert.That(ReceptiveField.Of(stack.Layers), Is.EqualTo(new ReceptiveField(31, 1)));
        Assert.That(stack.Build([1, 40, 40], new RandomSource(1)), Is.EqualTo(new[] { 2, 40, 40 }));
    }

    [Test]
    public void ReceptiveFieldCountsTheStridesBeforeALayer()
    {
        // VGG's first two blocks: conv3, conv3, pool2, conv3, conv3, pool2 → 16 pixels, jump 4.
        var field = ReceptiveField.Of([(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (2, 2, 1)]);
        Assert.That(field, Is.EqualTo(new ReceptiveField(16, 4)));

        // A dilated 3×3 after that (DeepLab replaces the next pooling by rate 2) adds 2·2·4 = 16.
        Assert.That(field.Then(3, 1, 2), Is.EqualTo(new ReceptiveField(32, 4)));
        Assert.That(() => ReceptiveField.Of([new ConvTranspose2D(1, 2, stride: 2)]), Throws.TypeOf<NotSupportedException>());
    }
}
