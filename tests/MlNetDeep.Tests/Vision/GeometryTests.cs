using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

public sealed class GeometryTests
{
    private static readonly ImageShape Small = new(3, 7, 9);

    [Test]
    public void MirrorTwiceWithProbabilityOneIsTheIdentity()
    {
        var image = VisionTestData.RandomImage(Small, 1);
        var mirror = new RandomMirror(1, 1);
        var context = new AugmentationContext(5, 2, 17);
        var once = mirror.Apply(image, Small, context, training: true);
        var twice = mirror.Apply(once, Small, context, training: true);
        Assert.That(once, Is.Not.EqualTo(image));
        Assert.That(twice, Is.EqualTo(image));
    }

    [Test]
    public void HorizontalMirrorReversesEachRow()
    {
        var image = VisionTestData.IndexImage(Small);
        var flipped = new RandomMirror(1).Apply(image, Small, default, training: true);
        for (var c = 0; c < Small.Channels; c++)
        {
            for (var y = 0; y < Small.Height; y++)
            {
                for (var x = 0; x < Small.Width; x++)
                {
                    var at = (((c * Small.Height) + y) * Small.Width) + x;
                    var mirrored = (((c * Small.Height) + y) * Small.Width) + (Small.Width - 1 - x);
                    Assert.That(flipped[at], Is.EqualTo(image[mirrored]));
                }
            }
        }
    }

    [Test]
    public void AlexNetCropsStayInBoundsAndCoverAll33By33Offsets()
    {
        var input = new ImageShape(3, 256, 256);
        var crop = RandomCrop.AlexNet();
        Assert.That(crop.OutputShape(input), Is.EqualTo(new ImageShape(3, 224, 224)));
        var seen = new bool[33, 33];
        for (var row = 0; row < 30_000; row++)
        {
            var (top, left) = crop.Offset(input, new AugmentationContext(42, 0, row), training: true);
            Assert.That(top, Is.InRange(0, 32));
            Assert.That(left, Is.InRange(0, 32));
            seen[top, left] = true;
        }

        Assert.That(seen.Cast<bool>().Count(s => s), Is.EqualTo(33 * 33));
    }

    [Test]
    public void CropCopiesTheWindowAtTheDrawnOffset()
    {
        var input = new ImageShape(2, 12, 10);
        var image = VisionTestData.IndexImage(input);
        var crop = new RandomCrop(5, 4);
        for (var row = 0; row < 20; row++)
        {
            var context = new AugmentationContext(3, 1, row);
            var (top, left) = crop.Offset(input, context, training: true);
            var output = crop.Apply(image, input, context, training: true);
            for (var c = 0; c < 2; c++)
            {
                for (var y = 0; y < 5; y++)
                {
                    for (var x = 0; x < 4; x++)
                    {
                        Assert.That(output[(((c * 5) + y) * 4) + x], Is.EqualTo(image[(((c * 12) + top + y) * 10) + left + x]));
                    }
                }
            }
        }
    }

    [Test]
    public void ScoringCropIsTheCentreCrop()
    {
        var input = new ImageShape(3, 256, 256);
        var image = VisionTestData.IndexImage(input);
        var crop = RandomCrop.AlexNet();
        for (var row = 0; row < 5; row++)
        {
            var context = new AugmentationContext(9, row, row);
            Assert.That(crop.Offset(input, context, training: false), Is.EqualTo((16, 16)));
            var output = crop.Apply(image, input, context, training: false);
            Assert.That(output[0], Is.EqualTo(image[(16 * 256) + 16]));
        }
    }

    [Test]
    public void AlwaysRandomCropIsRandomWhenScoring()
    {
        var input = new ImageShape(1, 256, 256);
        var crop = new RandomCrop(224, 224) { AlwaysRandom = true };
        var offsets = Enumerable.Range(0, 50).Select(r => crop.Offset(input, new AugmentationContext(1, 0, r), training: false)).Distinct().Count();
        Assert.That(offsets, Is.GreaterThan(40));
    }

    [Test]
    public void CropLargerThanTheImageIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new RandomCrop(30, 30).OutputShape(new ImageShape(3, 20, 40)));
    }

    [Test]
    public void RotationByZeroAndScalingByOneAreIdentities()
    {
        var image = VisionTestData.RandomImage(Small, 2);
        var context = new AugmentationContext(1, 1, 1);
        Assert.That(new RandomRotation(0).Apply(image, Small, context, training: true), Is.EqualTo(image));
        Assert.That(new RandomScaling(1, 1).Apply(image, Small, context, training: true), Is.EqualTo(image));
        Assert.That(new RandomTranslation(0, 0).Apply(image, Small, context, training: true), Is.EqualTo(image));
    }

    [Test]
    public void RotationByNinetyDegreesMovesPixelsAroundTheCentre()
    {
        var shape = new ImageShape(1, 5, 5);
        var image = VisionTestData.RandomImage(shape, 3);
        var output = new float[shape.Length];
        new RandomRotation(90).Rotate(image, output, shape, 90);
        for (var y = 0; y < 5; y++)
        {
            for (var x = 0; x < 5; x++)
            {
                // Output (x, y) reads input (cx − dy, cy + dx) with cx = cy = 2.
                var (sx, sy) = (2 - (y - 2), 2 + (x - 2));
                Assert.That(output[(y * 5) + x], Is.EqualTo(image[(sy * 5) + sx]).Within(1e-5));
            }
        }
    }

    [Test]
    public void ScalingByTwoKeepsTheCentreAndSpreadsNeighbours()
    {
        var shape = new ImageShape(1, 5, 5);
        var image = VisionTestData.RandomImage(shape, 4);
        var output = new float[shape.Length];
        new RandomScaling(2, 2).Scale(image, output, shape, 2);
        Assert.That(output[12], Is.EqualTo(image[12]));
        Assert.That(output[13], Is.EqualTo((image[12] + image[13]) / 2).Within(1e-6));
        Assert.That(output[14], Is.EqualTo(image[13]));
    }

    [Test]
    public void TranslationShiftsContentAndFills()
    {
        var shape = new ImageShape(1, 3, 4);
        var image = VisionTestData.IndexImage(shape);
        var output = new float[shape.Length];
        new RandomTranslation(2, 2, fill: -1).Translate(image, output, shape, 1, 0);
        Assert.That(output, Is.EqualTo(new float[] { -1, 0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10 }));
        for (var row = 0; row < 50; row++)
        {
            var shifted = new RandomTranslation(1, 1, fill: -1).Apply(image, shape, new AugmentationContext(8, 0, row), training: true);
            Assert.That(shifted.Count(v => v == -1), Is.AnyOf(0, 3, 4, 6));
        }
    }
}
