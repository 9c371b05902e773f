using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>Boxes, IoU (交并比), per-class non-max suppression (非极大值抑制) and k-means anchors on hand-computed cases.</summary>
public class BoxGeometryTests
{
    [TestCase(0, 0, 2, 2, 1, 1, 3, 3, 1f / 7)]
    [TestCase(0, 0, 2, 2, 0, 0, 2, 2, 1f)]
    [TestCase(0, 0, 4, 4, 1, 1, 3, 3, 0.25f)]
    [TestCase(0, 0, 2, 2, 2, 0, 4, 2, 0f)]
    [TestCase(0, 0, 2, 2, 5, 5, 6, 6, 0f)]
    [TestCase(0, 0, 4, 2, 2, 0, 6, 2, 1f / 3)]
    public void IoUIsIntersectionOverUnion(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3, float expected)
    {
        var a = new BoundingBox(a0, a1, a2, a3);
        var b = new BoundingBox(b0, b1, b2, b3);

        Assert.That(Boxes.IoU(a, b), Is.EqualTo(expected).Within(1e-6));
        Assert.That(Boxes.IoU(b, a), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void CornerAndCentreFormsConvert()
    {
        var box = BoundingBox.FromCentre(5, 5, 4, 2);

        Assert.That(box, Is.EqualTo(new BoundingBox(3, 4, 7, 6)));
        Assert.That(box.ToCentre(), Is.EqualTo(new CentreBox(5, 5, 4, 2)));
        Assert.That(box.ToCentre().ToCorners(), Is.EqualTo(box));
        Assert.That(box.Area, Is.EqualTo(8));
        Assert.That(new BoundingBox(3, 4, 2, 6).IsValid, Is.False);
    }

    [Test]
    public void ShapeIoUPlacesBothShapesOnOneCentre()
    {
        // 2×6 and 6×2 on one centre: intersection 2×2 = 4, union 12 + 12 − 4 = 20.
        Assert.That(Boxes.ShapeIoU((2, 6), (6, 2)), Is.EqualTo(0.2f).Within(1e-6));
        Assert.That(Boxes.ShapeIoU((3, 3), (3, 3)), Is.EqualTo(1f));
    }

    [Test]
    public void NonMaxSuppressionKeepsTheBestBoxPerClassAndDropsLowScores()
    {
        var detections = new[]
        {
            new DetectedObject(new BoundingBox(1, 1, 11, 11), 0, 0.8f),    // IoU 81/119 = 0.68 with the next: suppressed
            new DetectedObject(new BoundingBox(0, 0, 10, 10), 0, 0.9f),
            new DetectedObject(new BoundingBox(0, 0, 10, 10), 1, 0.85f),   // another class: kept
            new DetectedObject(new BoundingBox(20, 20, 30, 30), 0, 0.7f),  // no overlap: kept
            new DetectedObject(new BoundingBox(5, 0, 15, 10), 0, 0.75f),   // IoU 50/150 = 0.33 with the first: kept
            new DetectedObject(new BoundingBox(40, 40, 50, 50), 2, 0.1f),  // below the score threshold
        };

        var kept = Boxes.NonMaxSuppression(detections, iouThreshold: 0.5f, scoreThreshold: 0.2f);

        Assert.That(kept.Select(d => d.Score), Is.EqualTo(new[] { 0.9f, 0.85f, 0.75f, 0.7f }));
        Assert.That(kept[0].ClassIndex, Is.EqualTo(0));
        Assert.That(kept[1].ClassIndex, Is.EqualTo(1));

        // A lower IoU threshold suppresses the 0.33-overlap box too.
        var strict = Boxes.NonMaxSuppression(detections, iouThreshold: 0.3f, scoreThreshold: 0.2f);
        Assert.That(strict.Select(d => d.Score), Is.EqualTo(new[] { 0.9f, 0.85f, 0.7f }));
    }

    [Test]
    public void NonMaxSuppressionMatchesTheSlowDefinitionOnRandomBoxes()
    {
        var random = new RandomSource(5);
        var detections = new List<DetectedObject>();
        for (var i = 0; i < 200; i++)
        {
            var x = random.NextFloat() * 50;
            var y = random.NextFloat() * 50;
            detections.Add(new DetectedObject(new BoundingBox(x, y, x + 5 + (10 * random.NextFloat()), y + 5 + (10 * random.NextFloat())), random.NextInt(3), random.NextFloat()));
        }

        var kept = Boxes.NonMaxSuppression(detections, 0.4f, 0.3f);

        // Definition: a box survives iff it scores ≥ 0.3 and no SURVIVING box of its class with a higher score overlaps it > 0.4.
        var survivors = new List<DetectedObject>();
        foreach (var d in detections.Where(d => d.Score >= 0.3f).OrderByDescending(d => d.Score))
        {
            if (!survivors.Any(s => s.ClassIndex == d.ClassIndex && Boxes.IoU(s.Box, d.Box) > 0.4f))
            {
                survivors.Add(d);
            }
        }

        Assert.That(kept, Is.EqualTo(survivors));
        Assert.That(kept.Count, Is.LessThan(detections.Count(d => d.Score >= 0.3f)), "the random boxes overlap: something must be suppressed");
    }

    [Test]
    public void KMeansWithOneMinusIoURecoversPlantedAnchors()
    {
        var planted = new (float Width, float Height)[] { (8, 24), (24, 8), (40, 40) };
        var random = new RandomSource(9);
        var shapes = new List<(float Width, float Height)>();
        for (var i = 0; i < 300; i++)
        {
            var (w, h) = planted[i % 3];
            shapes.Add((w * (0.9f + (0.2f * random.NextFloat())), h * (0.9f + (0.2f * random.NextFloat()))));
        }

        var anchors = AnchorBoxes.Fit(shapes, 3, seed: 1);

        foreach (var p in planted)
        {
            var nearest = anchors.MaxBy(a => Boxes.ShapeIoU(a, p));
            Assert.That(Boxes.ShapeIoU(nearest, p), Is.GreaterThan(0.95), $"planted {p}, anchors {string.Join(", ", anchors)}");
        }

        Assert.That(anchors[0].Width * anchors[0].Height, Is.LessThanOrEqualTo(anchors[2].Width * anchors[2].Height), "sorted by area");
        Assert.That(AnchorBoxes.MeanBestIoU(shapes, anchors), Is.GreaterThan(0.9));
    }

    [Test]
    public void MeanAveragePrecisionOnAHandComputedCase()
    {
        var truth = new List<IReadOnlyList<DetectedObject>>
        {
            new[] { new DetectedObject(new BoundingBox(0, 0, 10, 10), 0, 1) },
            new[] { new DetectedObject(new BoundingBox(0, 0, 10, 10), 0, 1) },
        };

        // Ranked: a false positive (0.9), then a hit (0.8), then the other hit (0.7): precisions 0, 1/2, 2/3 at recalls 0, ½, 1.
        // Monotone precision: 2/3 at both recall steps, so AP = ½·2/3 + ½·2/3 = 2/3.
        var predictions = new List<IReadOnlyList<DetectedObject>>
        {
            new[] { new DetectedObject(new BoundingBox(30, 30, 40, 40), 0, 0.9f), new DetectedObject(new BoundingBox(0, 0, 10, 10), 0, 0.8f) },
            new[] { new DetectedObject(new BoundingBox(0, 0, 10, 9), 0, 0.7f) },
        };

        Assert.That(DetectionMetrics.MeanAveragePrecision(predictions, truth, 1, 0.5f), Is.EqualTo(2.0 / 3).Within(1e-12));

        // At IoU 0.95 the 10×9 box (IoU 0.9) no longer counts: recall reaches ½ at rank 2, AP = ½·½.
        Assert.That(DetectionMetrics.MeanAveragePrecision(predictions, truth, 1, 0.95f), Is.EqualTo(0.25).Within(1e-12));
    }
}
