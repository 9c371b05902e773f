using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>Pixel accuracy, IoU, mean IoU, Dice and the confusion matrix, by hand.</summary>
public class SegmentationMetricsTests
{
    [Test]
    public void MeasuresFromAHandCountedConfusionMatrix()
    {
        // Ten pixels, three classes (class 2 never occurs), one ignored pixel.
        float[] truth = [0, 0, 0, 0, 1, 1, 1, 1, 1, 255];
        int[] predicted = [0, 0, 0, 1, 1, 1, 1, 0, 0, 2];
        var m = new SegmentationMetrics(3, ignoreLabel: 255);

        m.Add(truth, predicted);

        Assert.That(m.Pixels, Is.EqualTo(9));
        Assert.That((m[0, 0], m[0, 1], m[1, 0], m[1, 1]), Is.EqualTo((3L, 1L, 2L, 3L)));
        Assert.That(m.PixelAccuracy, Is.EqualTo(6.0 / 9).Within(1e-12));

        // Class 0: TP 3, FP 2, FN 1 → IoU 3/6, Dice 6/9. Class 1: TP 3, FP 1, FN 2 → IoU 3/6, Dice 6/9.
        Assert.That(m.IoU[0], Is.EqualTo(0.5).Within(1e-12));
        Assert.That(m.IoU[1], Is.EqualTo(0.5).Within(1e-12));
        Assert.That(m.IoU[2], Is.NaN);
        Assert.That(m.Dice[0], Is.EqualTo(6.0 / 9).Within(1e-12));
        Assert.That(m.MeanIoU, Is.EqualTo(0.5).Within(1e-12));
        Assert.That(m.MeanDice, Is.EqualTo(6.0 / 9).Within(1e-12));
        Assert.That(m.ToString(), Does.Contain("mIoU 0.5000 pixel accuracy 0.6667"));
    }

    [Test]
    public void ScoresAreReadByArgMaxPerPixel()
    {
        // One 1×3 image, 2 classes: pixel scores (0.1, 0.9), (0.8, 0.2), (0.5, 0.5) → labels 1, 0, 0 (ties go to the first).
        var scores = new Tensor([0.1f, 0.8f, 0.5f, 0.9f, 0.2f, 0.5f], 1, 2, 1, 3);
        var targets = new Tensor([1, 1, 0], 1, 1, 3);
        var m = new SegmentationMetrics(2);

        m.Add(scores, targets);

        Assert.That((m[1, 1], m[1, 0], m[0, 0]), Is.EqualTo((1L, 1L, 1L)));
        Assert.That(() => m.Add([0, 3], [0, 1]), Throws.ArgumentException.With.Message.Contains("Pixel 1"));
    }
}
