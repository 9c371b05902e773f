using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

public sealed class SemanticsTests
{
    private static readonly ImageShape Shape = new(3, 16, 16);

    private static IEnumerable<RandomImageAugmentation> RandomSteps() =>
    [
        new RandomMirror(1, 1),
        new RandomTranslation(3, 3),
        new RandomRotation(30),
        new RandomScaling(0.8, 1.2),
        new Brightness(0.3f),
        new GaussianBlur(2),
        PcaColorShift.ImageNet(sigma: 1),
    ];

    [TestCaseSource(nameof(RandomSteps))]
    public void ScoringIsTheIdentityAndTrainingIsNot(RandomImageAugmentation step)
    {
        var image = VisionTestData.RandomImage(Shape, 11);
        var context = new AugmentationContext(7, 3, 5);
        Assert.That(step.Apply(image, Shape, context, training: false), Is.EqualTo(image));
        Assert.That(step.Apply(image, Shape, context, training: true), Is.Not.EqualTo(image));
    }

    [Test]
    public void AlwaysRandomMakesAStepRandomWhenScoring()
    {
        var image = VisionTestData.RandomImage(Shape, 12);
        var mirror = new RandomMirror(1) { AlwaysRandom = true };
        Assert.That(mirror.Apply(image, Shape, default, training: false), Is.Not.EqualTo(image));
    }

    [Test]
    public void SameSeedEpochAndRowGiveTheSameOutputAndOtherEpochsDiffer()
    {
        var image = VisionTestData.RandomImage(Shape, 13);
        var pipeline = new AugmentationPipeline(
            new RandomCrop(12, 12), new RandomMirror(), new RandomRotation(10), new Brightness(0.1f), PcaColorShift.ImageNet());
        Assert.That(pipeline.OutputShape(Shape), Is.EqualTo(new ImageShape(3, 12, 12)));
        var a = pipeline.Apply(image, Shape, new AugmentationContext(100, 4, 9), training: true);
        var b = pipeline.Apply(image, Shape, new AugmentationContext(100, 4, 9), training: true);
        var otherEpoch = pipeline.Apply(image, Shape, new AugmentationContext(100, 5, 9), training: true);
        var otherRow = pipeline.Apply(image, Shape, new AugmentationContext(100, 4, 10), training: true);
        var otherSeed = pipeline.Apply(image, Shape, new AugmentationContext(101, 4, 9), training: true);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(otherEpoch, Is.Not.EqualTo(a));
        Assert.That(otherRow, Is.Not.EqualTo(a));
        Assert.That(otherSeed, Is.Not.EqualTo(a));
    }

    [Test]
    public void ContextDrawsAreReproducibleAndEpochsIndependent()
    {
        var first = new AugmentationContext(1, 0, 0).CreateRandom().NextUInt();
        Assert.That(new AugmentationContext(1, 0, 0).CreateRandom().NextUInt(), Is.EqualTo(first));
        var draws = new HashSet<uint>();
        for (var epoch = 0; epoch < 100; epoch++)
        {
            draws.Add(new AugmentationContext(1, epoch, 0).CreateRandom().NextUInt());
        }

        Assert.That(draws, Has.Count.EqualTo(100));
    }

    [Test]
    public void PipelineWhenScoringIsCentreCropOnly()
    {
        var image = VisionTestData.RandomImage(Shape, 14);
        var pipeline = new AugmentationPipeline(new RandomCrop(10, 10), new RandomMirror(), new GaussianBlur(1), PcaColorShift.ImageNet());
        var scored = pipeline.Apply(image, Shape, new AugmentationContext(1, 2, 3), training: false);
        var centre = new RandomCrop(10, 10).Apply(image, Shape, default, training: false);
        Assert.That(scored, Is.EqualTo(centre));
    }

    [Test]
    public void TensorApplyUsesOneContextPerRow()
    {
        var images = new Tensor(4, 3, 16, 16);
        for (var r = 0; r < 4; r++)
        {
            VisionTestData.RandomImage(Shape, 20).CopyTo(images.Row(r));
        }

        var brightness = new Brightness(0.5f);
        var output = brightness.Apply(images, seed: 6, epoch: 1, training: true);
        for (var r = 0; r < 4; r++)
        {
            var delta = brightness.Delta(new AugmentationContext(6, 1, r), training: true);
            Assert.That(output.Row(r)[0], Is.EqualTo(images.Row(r)[0] + delta).Within(1e-6));
        }
    }

    [Test]
    public void OverlappingBuffersAndWrongSizesAreRejected()
    {
        var buffer = new float[Shape.Length];
        var mirror = new RandomMirror();
        Assert.Throws<ArgumentException>(() => mirror.Apply(buffer, buffer, Shape, default, training: true));
        Assert.Throws<ArgumentException>(() => mirror.Apply(buffer, new float[3], Shape, default, training: true));
    }
}
