using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

public sealed class PhotometricTests
{
    private static readonly ImageShape Shape = new(3, 10, 12);

    [Test]
    public void BrightnessShiftsTheMeanByTheDrawnDelta()
    {
        var image = VisionTestData.RandomImage(Shape, 1);
        var brightness = new Brightness(0.25f);
        for (var row = 0; row < 20; row++)
        {
            var context = new AugmentationContext(3, 1, row);
            var delta = brightness.Delta(context, training: true);
            Assert.That(Math.Abs(delta), Is.LessThanOrEqualTo(0.25f));
            var output = brightness.Apply(image, Shape, context, training: true);
            Assert.That(VisionTestData.Mean(output) - VisionTestData.Mean(image), Is.EqualTo(delta).Within(1e-5));
        }

        Assert.That(brightness.Delta(new AugmentationContext(3, 1, 0), training: false), Is.Zero);
    }

    [Test]
    public void BlurPreservesAConstantImage()
    {
        var image = Enumerable.Repeat(0.7f, Shape.Length).ToArray();
        var blur = new GaussianBlur(3);
        for (var row = 0; row < 5; row++)
        {
            var output = blur.Apply(image, Shape, new AugmentationContext(1, 0, row), training: true);
            Assert.That(output, Is.All.EqualTo(0.7f).Within(1e-5));
        }
    }

    [Test]
    public void BlurSmoothsNoiseAndKeepsItsMeanClose()
    {
        var shape = new ImageShape(1, 64, 64);
        var image = VisionTestData.RandomImage(shape, 2);
        var output = new float[shape.Length];
        GaussianBlur.Blur(image, output, shape, 1.5);
        static double Variance(float[] v)
        {
            var m = VisionTestData.Mean(v);
            return v.Average(x => (x - m) * (x - m));
        }

        Assert.That(VisionTestData.Mean(output), Is.EqualTo(VisionTestData.Mean(image)).Within(0.01));
        Assert.That(Variance(output), Is.LessThan(Variance(image) / 5));
    }

    [Test]
    public void BlurWithProbabilityZeroIsTheIdentity()
    {
        var image = VisionTestData.RandomImage(Shape, 3);
        Assert.That(new GaussianBlur(2, probability: 0).Apply(image, Shape, default, training: true), Is.EqualTo(image));
    }
}
