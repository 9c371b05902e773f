using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>The seeds' worked convolution examples: seed 000 §2.1, seed 001 week 1, seed 002's filters.</summary>
public class ConvolutionSeedTests
{
    // Seed 000 图 2.1: the 5×5 input and the 3×3 kernel.
    private static readonly float[,] SeedInput =
    {
        { 1, 1, 1, 0, 0 },
        { 0, 1, 1, 1, 0 },
        { 0, 0, 1, 1, 1 },
        { 0, 0, 1, 1, 0 },
        { 0, 1, 1, 0, 0 },
    };

    private static readonly float[,] SeedKernel =
    {
        { 1, 0, 1 },
        { 0, 1, 0 },
        { 1, 0, 1 },
    };

    // Seed 002: the 6×6 black-and-white picture and its two filters.
    private static readonly float[,] Picture =
    {
        { 1, 0, 0, 0, 0, 1 },
        { 0, 1, 0, 0, 1, 0 },
        { 0, 0, 1, 1, 0, 0 },
        { 1, 0, 0, 0, 1, 0 },
        { 0, 1, 0, 0, 1, 0 },
        { 0, 0, 1, 0, 1, 0 },
    };

    internal static Tensor Image(float[,] values)
    {
        var t = new Tensor(1, 1, values.GetLength(0), values.GetLength(1));
        for (var i = 0; i < values.GetLength(0); i++)
        {
            for (var j = 0; j < values.GetLength(1); j++)
            {
                t[(i * values.GetLength(1)) + j] = values[i, j];
            }
        }

        return t;
    }

    internal static float[,] Plane(Tensor t, int sample = 0, int channel = 0)
    {
        int h = t.Dim(2), w = t.Dim(3);
        var result = new float[h, w];
        for (var i = 0; i < h; i++)
        {
            for (var j = 0; j < w; j++)
            {
                result[i, j] = t[NaiveConvolution.Index(t, sample, channel, i, j)];
            }
        }

        return result;
    }

    /// <summary>A single-filter, bias-free convolution with the given kernel applied to a one-channel image.</summary>
    private static float[,] Convolve(float[,] image, float[,] kernel, int stride = 1, Padding padding = default)
    {
        var conv = new Conv2D(1, (kernel.GetLength(0), kernel.GetLength(1)), (stride, stride), padding, useBias: false);
        conv.Build([1, image.GetLength(0), image.GetLength(1)], new RandomSource(1));
        Image(kernel).Span.CopyTo(conv.Weight.Value.Span);
        return Plane(conv.Forward(Image(image), false));
    }

    [Test]
    public void ValidStride1GivesTheSeedsThreeByThree()
    {
        Assert.That(Convolve(SeedInput, SeedKernel), Is.EqualTo(new float[,] { { 4, 3, 4 }, { 2, 4, 3 }, { 2, 3, 4 } }));
    }

    [Test]
    public void SamePaddingStride1GivesTheSeedsFiveByFive()
    {
        // 图 2.2: p = (f − 1)/2 = 1 zero row and column on every side.
        var expected = new float[,]
        {
            { 2, 2, 3, 1, 1 },
            { 1, 4, 3, 4, 1 },
            { 1, 2, 4, 3, 3 },
            { 1, 2, 3, 4, 1 },
            { 0, 2, 2, 1, 1 },
        };

        Assert.That(Convolve(SeedInput, SeedKernel, padding: 1), Is.EqualTo(expected));
        Assert.That(Convolve(SeedInput, SeedKernel, padding: Padding.Same), Is.EqualTo(expected));
    }

    [Test]
    public void ValidStride2GivesTheSeedsTwoByTwo()
    {
        Assert.That(Convolve(SeedInput, SeedKernel, stride: 2), Is.EqualTo(new float[,] { { 4, 4 }, { 2, 4 } }));
    }

    [Test]
    public void SamePaddingStride2GivesThreeByThree()
    {
        // 图 2.4: pad the 5×5 input to 7×7, step 2: ⌊(5 + 2 − 3)/2 + 1⌋ = 3, the even positions of the stride-1 result.
        var expected = new float[,] { { 2, 3, 1 }, { 1, 4, 3 }, { 0, 2, 1 } };

        Assert.That(Convolve(SeedInput, SeedKernel, stride: 2, padding: 1), Is.EqualTo(expected));
        Assert.That(Convolve(SeedInput, SeedKernel, stride: 2, padding: Padding.Same), Is.EqualTo(expected));
    }

    [Test]
    public void ValidStride2DropsTheLastColumnOfAFiveBySixInput()
    {
        // 图 2.3's note: with a sixth column, stride 2 leaves only 2 columns for the last step, which are dropped.
        var wide = new float[5, 6];
        for (var i = 0; i < 5; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                wide[i, j] = SeedInput[i, j];
            }

            wide[i, 5] = 100;
        }

        Assert.That(Convolve(wide, SeedKernel, stride: 2), Is.EqualTo(new float[,] { { 4, 4 }, { 2, 4 } }));
    }

    [TestCase(5, 3, 0, 1, 1, 3)] // seed 000 图 2.1: n − f + 1
    [TestCase(5, 3, 1, 1, 1, 5)] // 图 2.2: n + 2p − f + 1 = n when p = (f − 1)/2
    [TestCase(5, 3, 0, 2, 1, 2)] // 图 2.3: ⌊(n − f)/s + 1⌋
    [TestCase(5, 3, 1, 2, 1, 3)] // 图 2.4
    [TestCase(6, 3, 0, 2, 1, 2)] // the 5×6 note: ⌊1.5⌋ + 1
    [TestCase(32, 5, 0, 1, 1, 28)] // LeNet-5 C1
    [TestCase(227, 11, 0, 4, 1, 55)] // AlexNet conv1
    [TestCase(224, 3, 1, 1, 1, 224)] // VGG same
    [TestCase(7, 3, 0, 1, 2, 3)] // dilation 2: effective kernel 5
    [TestCase(9, 3, 2, 1, 2, 9)] // atrous "same": p = d(f − 1)/2
    [TestCase(4, 5, 0, 1, 1, 0)] // kernel larger than the input
    public void OutputSizeFollowsTheFormula(int n, int f, int p, int s, int d, int expected)
    {
        Assert.That(Conv2D.OutputSize(n, f, p, s, d), Is.EqualTo(expected));
    }

    [TestCase(2, 3, 0, 2, 0, 1, 5)] // stride 2 undoes a 5 → 2 convolution
    [TestCase(2, 3, 0, 2, 1, 1, 6)] // and with output padding a 6 → 2 one
    [TestCase(14, 4, 1, 2, 0, 1, 28)] // DCGAN-style doubling
    [TestCase(3, 3, 1, 1, 0, 1, 3)]
    [TestCase(3, 3, 0, 1, 0, 2, 7)]
    public void TransposedOutputSizeFollowsTheFormula(int n, int f, int p, int s, int outputPadding, int d, int expected)
    {
        Assert.That(ConvTranspose2D.OutputSize(n, f, p, s, outputPadding, d), Is.EqualTo(expected));
        var layer = new ConvTranspose2D(1, f, s, p, outputPadding, d);
        Assert.That(layer.Build([1, n, n], new RandomSource(1)), Is.EqualTo(new[] { 1, expected, expected }));
    }

    [Test]
    public void SeedTwoFilterOneGivesTheSeedsFeatureMap()
    {
        var filter1 = new float[,] { { 1, -1, -1 }, { -1, 1, -1 }, { -1, -1, 1 } };

        Assert.That(
            Convolve(Picture, filter1),
            Is.EqualTo(new float[,] { { 3, -1, -3, -1 }, { -3, 1, 0, -3 }, { -3, -3, 0, 1 }, { 3, -2, -2, -1 } }));
    }

    [Test]
    public void SeedTwoFilterTwoFindsTheVerticalLines()
    {
        var filter2 = new float[,] { { -1, 1, -1 }, { -1, 1, -1 }, { -1, 1, -1 } };

        Assert.That(
            Convolve(Picture, filter2),
            Is.EqualTo(new float[,] { { -1, -1, -1, -1 }, { -1, -1, -2, 1 }, { -1, -1, -2, 1 }, { -1, 0, -4, 3 } }));
    }

    [Test]
    public void VerticalEdgeDetectorMarksTheStepBetweenBrightAndDark()
    {
        // Seed 001 week 1 ("垂直边缘特征检测器"): bright left half, dark right half.
        var step = new float[6, 6];
        for (var i = 0; i < 6; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                step[i, j] = 10;
            }
        }

        var vertical = new float[,] { { 1, 0, -1 }, { 1, 0, -1 }, { 1, 0, -1 } };
        var horizontal = new float[,] { { 1, 1, 1 }, { 0, 0, 0 }, { -1, -1, -1 } };

        Assert.That(Convolve(step, vertical), Is.EqualTo(new float[,] { { 0, 30, 30, 0 }, { 0, 30, 30, 0 }, { 0, 30, 30, 0 }, { 0, 30, 30, 0 } }));
        Assert.That(Convolve(step, horizontal), Is.EqualTo(new float[4, 4]), "no horizontal edge");

        // Transposing the picture turns the vertical edge into a horizontal one.
        var transposed = new float[6, 6];
        for (var i = 0; i < 6; i++)
        {
            for (var j = 0; j < 6; j++)
            {
                transposed[i, j] = step[j, i];
            }
        }

        Assert.That(Convolve(transposed, horizontal), Is.EqualTo(new float[,] { { 0, 0, 0, 0 }, { 30, 30, 30, 30 }, { 30, 30, 30, 30 }, { 0, 0, 0, 0 } }));
        Assert.That(Convolve(transposed, vertical), Is.EqualTo(new float[4, 4]));
    }

    [Test]
    public void MultiChannelConvolutionSumsOverChannelsAndAddsTheBias()
    {
        // Seed 000 §2.1.5 / seed 002 "3*3*3 filter": a filter has one 3×3 slice per input channel; the output is the
        // sum of the three per-channel convolutions plus the bias, one output channel per filter.
        var conv = new Conv2D(2, 3);
        conv.Build([3, 5, 5], new RandomSource(1));
        var x = new Tensor(1, 3, 5, 5);
        var w = conv.Weight.Value;
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 5; i++)
            {
                for (var j = 0; j < 5; j++)
                {
                    x[NaiveConvolution.Index(x, 0, c, i, j)] = SeedInput[i, j] * (c + 1);
                }
            }

            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 3; j++)
                {
                    w[NaiveConvolution.Index(w, 0, c, i, j)] = SeedKernel[i, j];
                    w[NaiveConvolution.Index(w, 1, c, i, j)] = c == 1 ? SeedKernel[i, j] : 0;
                }
            }
        }

        conv.Bias!.Value[0] = 0.5f;
        conv.Bias.Value[1] = -1f;

        var y = conv.Forward(x, false);

        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 3 }));
        var valid = new float[,] { { 4, 3, 4 }, { 2, 4, 3 }, { 2, 3, 4 } };
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                // Channels scaled by 1, 2 and 3 with the same kernel: (1 + 2 + 3)·valid + b.
                Assert.That(Plane(y, 0, 0)[i, j], Is.EqualTo((6 * valid[i, j]) + 0.5f));
                Assert.That(Plane(y, 0, 1)[i, j], Is.EqualTo((2 * valid[i, j]) - 1f));
            }
        }
    }

    [Test]
    public void TransposedConvolutionScattersScaledKernels()
    {
        var x = Image(new float[,] { { 1, 2 }, { 3, 4 } });

        var overlap = new ConvTranspose2D(1, 2, useBias: false);
        overlap.Build([1, 2, 2], new RandomSource(1));
        overlap.Weight.Value.Fill(1);
        Assert.That(Plane(overlap.Forward(x, false)), Is.EqualTo(new float[,] { { 1, 3, 2 }, { 4, 10, 6 }, { 3, 7, 4 } }));

        var upsample = new ConvTranspose2D(1, 2, stride: 2);
        upsample.Build([1, 2, 2], new RandomSource(1));
        upsample.Weight.Value.Fill(1);
        upsample.Bias!.Value[0] = 0.5f;
        Assert.That(
            Plane(upsample.Forward(x, false)),
            Is.EqualTo(new float[,] { { 1.5f, 1.5f, 2.5f, 2.5f }, { 1.5f, 1.5f, 2.5f, 2.5f }, { 3.5f, 3.5f, 4.5f, 4.5f }, { 3.5f, 3.5f, 4.5f, 4.5f } }));
    }
}
