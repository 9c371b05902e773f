using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>
/// The vectorised and fused kernels give exactly the floats of the scalar, step-by-step ones (copies, permutations and
/// one addition an element are exact; the blur keeps each sum's order).
/// </summary>
public sealed class KernelEquivalenceTests
{
    private static readonly ImageShape[] Shapes = [new(3, 7, 9), new(3, 37, 45), new(2, 19, 53), new(1, 5, 16), new(3, 24, 224)];

    [Test]
    public void ReverseCopyMatchesReverseForEveryLength([Values(false, true)] bool add)
    {
        for (var n = 0; n < 70; n++)
        {
            var source = VisionTestData.RandomImage(new ImageShape(1, 1, Math.Max(n, 1)), (ulong)n)[..n];
            var expected = source.Reverse().Select(v => add ? v + 0.3f : v).ToArray();
            var actual = new float[n];
            if (add)
            {
                ImageKernels.ReverseCopyAdd(source, 0.3f, actual);
            }
            else
            {
                ImageKernels.ReverseCopy(source, actual);
            }

            BatchPathTests.AssertBitwiseEqual(actual, expected, $"length {n}");
        }
    }

    [Test]
    public void MirrorMatchesTheScalarKernel([Values(false, true)] bool horizontal, [Values(false, true)] bool vertical)
    {
        foreach (var shape in Shapes)
        {
            var image = VisionTestData.RandomImage(shape, 1);
            var expected = new float[shape.Length];
            var actual = new float[shape.Length];
            ScalarReference.Mirror(image, expected, shape, horizontal, vertical);
            RandomMirror.Mirror(image, actual, shape, horizontal, vertical);
            BatchPathTests.AssertBitwiseEqual(actual, expected, $"{shape}");
        }
    }

    [Test]
    public void PcaShiftAndBrightnessAddTheirOffsetsExactly()
    {
        var pca = PcaColorShift.ImageNet(sigma: 1);
        var brightness = new Brightness(0.5f);
        foreach (var shape in Shapes.Where(s => s.Channels == 3))
        {
            var image = VisionTestData.RandomImage(shape, 2);
            for (var row = 0; row < 5; row++)
            {
                var context = new AugmentationContext(4, 1, row);
                var expected = new float[shape.Length];
                ScalarReference.AddPerChannel(image, expected, shape, pca.Offset(context, training: true));
                BatchPathTests.AssertBitwiseEqual(pca.Apply(image, shape, context, training: true), expected, $"PCA {shape}");
                var delta = brightness.Delta(context, training: true);
                ScalarReference.AddPerChannel(image, expected, shape, [delta, delta, delta]);
                BatchPathTests.AssertBitwiseEqual(brightness.Apply(image, shape, context, training: true), expected, $"brightness {shape}");
            }
        }
    }

    [Test]
    public void TranslationMatchesBilinearSamplingOnTheGrid()
    {
        var translation = new RandomTranslation(100, 100, fill: -2);
        foreach (var shape in Shapes)
        {
            var image = VisionTestData.RandomImage(shape, 3);
            var expected = new float[shape.Length];
            var actual = new float[shape.Length];
            foreach (var dy in new[] { -shape.Height - 1, -shape.Height, -3, -1, 0, 1, 2, shape.Height - 1, shape.Height + 5 })
            {
                foreach (var dx in new[] { -shape.Width - 2, -shape.Width, -5, -1, 0, 1, 4, shape.Width - 1, shape.Width })
                {
                    AffineSampler.Warp(image, expected, shape, 1, 0, 0, 1, -dx, -dy, -2);
                    translation.Translate(image, actual, shape, dx, dy);
                    BatchPathTests.AssertBitwiseEqual(actual, expected, $"{shape} shifted by ({dx}, {dy})");
                }
            }
        }
    }

    [Test]
    public void BlurMatchesTheScalarKernel([Values(0.0005, 0.4, 1, 2.5, 7)] double sigma)
    {
        foreach (var shape in Shapes.Append(new ImageShape(1, 64, 64)))
        {
            var image = VisionTestData.RandomImage(shape, 4);
            var expected = new float[shape.Length];
            var actual = new float[shape.Length];
            ScalarReference.Blur(image, expected, shape, sigma);
            GaussianBlur.Blur(image, actual, shape, sigma);
            BatchPathTests.AssertBitwiseEqual(actual, expected, $"{shape}, σ {sigma}");
        }
    }

    [Test]
    public void ChannelNormalizerMatchesTheScalarKernel()
    {
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var normalizer = new ChannelNormalizer(mean, std);
        foreach (var shape in Shapes.Where(s => s.Channels == 3))
        {
            var image = VisionTestData.RandomImage(shape, 6);
            var expected = new float[shape.Length];
            ScalarReference.Normalize(image, expected, shape, mean, std);
            BatchPathTests.AssertBitwiseEqual(normalizer.Apply(image, shape, default, training: true), expected, $"{shape}");
        }
    }

    [Test]
    public void ThreadScratchReusesTheSmallestFittingArrayAndNestsSafely()
    {
        // On a fresh thread: the scratch arrays are per thread, and the test runner's thread already holds some.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var big = ThreadScratch.Rent(1000);
                var small = ThreadScratch.Rent(10);
                ThreadScratch.Return(big);
                ThreadScratch.Return(small);
                var again = ThreadScratch.Rent(8);
                var nested = ThreadScratch.Rent(900);
                var third = ThreadScratch.Rent(900);   // both kept arrays are out: a new one
                Assert.That(again, Is.SameAs(small));
                Assert.That(nested, Is.SameAs(big));
                Assert.That(third, Is.Not.SameAs(big).And.Not.SameAs(small));
                ThreadScratch.Return(third);
                ThreadScratch.Return(nested);
                ThreadScratch.Return(again);
                Assert.That(ThreadScratch.Rent(950), Is.SameAs(big).Or.SameAs(third));
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.That(failure, Is.Null, failure?.Message);
    }

    private static IEnumerable<TestCaseData> FusablePipelines()
    {
        TestCaseData Case(string name, ImageShape shape, Func<ImageAugmentation[]> steps) => new TestCaseData(shape, steps).SetArgDisplayNames(name);
        yield return Case("AlexNet crop 224 + mirror + PCA", new ImageShape(3, 256, 256),
            () => [RandomCrop.AlexNet(), new RandomMirror(), PcaColorShift.ImageNet()]);
        yield return Case("crop + both mirrors + PCA + brightness", new ImageShape(3, 37, 45),
            () => [new RandomCrop(29, 31), new RandomMirror(0.5, 0.5), PcaColorShift.ImageNet(sigma: 1), new Brightness(0.3f)]);
        yield return Case("mirror, crop, PCA, mirror, crop", new ImageShape(3, 37, 45),
            () => [new RandomMirror(0.5, 0.5), new RandomCrop(33, 40), PcaColorShift.ImageNet(sigma: 2), new RandomMirror(0.5, 0.5), new RandomCrop(20, 17)]);
        yield return Case("crop + mirror, no offsets", new ImageShape(2, 19, 53), () => [new RandomCrop(11, 35), new RandomMirror(0.5, 0.5)]);
        yield return Case("brightness twice, one channel", new ImageShape(1, 5, 16), () => [new Brightness(0.5f), new RandomMirror(), new Brightness(0.25f)]);
        yield return Case("always-random mirror + PCA", new ImageShape(3, 24, 224),
            () => [new RandomCrop(20, 200), new RandomMirror { AlwaysRandom = true }, PcaColorShift.ImageNet(sigma: 1)]);
    }

    [TestCaseSource(nameof(FusablePipelines))]
    public void OnePassPipelineEqualsItsStepsOneByOne(ImageShape shape, Func<ImageAugmentation[]> steps)
    {
        var fused = new AugmentationPipeline(steps());
        var stepwise = new AugmentationPipeline(steps()) { Fuse = false };
        Assert.That(fused.RunsFused(shape), Is.True);
        Assert.That(stepwise.RunsFused(shape), Is.False);
        var image = VisionTestData.RandomImage(shape, 5);
        foreach (var training in new[] { true, false })
        {
            for (var row = 0; row < 12; row++)
            {
                var context = new AugmentationContext(21, 2, row);
                BatchPathTests.AssertBitwiseEqual(
                    fused.Apply(image, shape, context, training), stepwise.Apply(image, shape, context, training), $"row {row}, training {training}");
            }
        }
    }

    [Test]
    public void PipelinesWithOtherStepsOrManyChannelsRunStepByStep()
    {
        Assert.That(new AugmentationPipeline(new RandomCrop(4, 4), new RandomRotation(5)).RunsFused(new ImageShape(3, 8, 8)), Is.False);
        Assert.That(new AugmentationPipeline(new RandomCrop(4, 4)).RunsFused(new ImageShape(3, 8, 8)), Is.False);
        var brightness = new AugmentationPipeline(new RandomMirror(), new Brightness(0.1f));
        Assert.That(brightness.RunsFused(new ImageShape(4, 8, 8)), Is.True);
        Assert.That(brightness.RunsFused(new ImageShape(5, 8, 8)), Is.False);
    }
}
