using MlNetDeep.Data;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>Segmentation and detection sets share one check of their images, targets and class labels.</summary>
public class ImageSetChecksTests
{
    [Test]
    public void ASegmentationSetNamesAMaskOfTheWrongSizeAndALabelOutOfRange()
    {
        var e = Assert.Throws<ArgumentException>(() => new SegmentationData(new Tensor(2, 3, 4, 4), new Tensor(2, 4, 5), ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("[2, 4, 5]").And.Contain("[N, H, W]"));

        var masks = new Tensor(2, 4, 4);
        masks[16 + 3] = 2;
        e = Assert.Throws<ArgumentException>(() => new SegmentationData(new Tensor(2, 3, 4, 4), masks, ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("Label 2 at row 1").And.Contain("0..1"));
        Assert.Throws<ArgumentException>(() => new SegmentationData(new Tensor(2, 3, 4, 4), new Tensor(2, 4, 4), ["a"]));
    }

    [Test]
    public void ADetectionSetNamesTargetsOfAnotherLayoutAndAClassOutOfRange()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionData(new Tensor(2, 3, 8, 8), new Tensor(2, 3, 4), ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("[N, maxObjects, 5]"));

        var targets = new Tensor(2, 3, 5);
        targets.Span.Fill(-1);
        targets[15 + 5] = 1;
        Assert.That(new DetectionData(new Tensor(2, 3, 8, 8), targets, ["a", "b"]).Objects(1), Has.Count.EqualTo(1));
        targets[15 + 10] = 2;
        e = Assert.Throws<ArgumentException>(() => new DetectionData(new Tensor(2, 3, 8, 8), targets, ["a", "b"]));
        Assert.That(e!.Message, Does.Contain("Label 2 at row 1").And.Contain("or -1 for an empty entry"));
    }
}
