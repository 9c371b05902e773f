namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Small box operations of the seed's object-detection week: intersection over union (交并比) and non-max suppression
/// (非极大值抑制), per class as YOLO's scoring does. Boxes are in corner form (<see cref="BoundingBox"/>).
/// </summary>
public static class Boxes
{
    /// <summary>
    /// Intersection over union, area(a ∩ b) / area(a ∪ b), in [0, 1]; 0 when the union is empty. The seed's rule of
    /// thumb counts a localisation as correct when IoU ≥ 0.5.
    /// </summary>
    /// <param name="a">One box.</param>
    /// <param name="b">The other box.</param>
    public static float IoU(BoundingBox a, BoundingBox b)
    {
        var w = Math.Min(a.XMax, b.XMax) - Math.Max(a.XMin, b.XMin);
        var h = Math.Min(a.YMax, b.YMax) - Math.Max(a.YMin, b.YMin);
        if (w <= 0 || h <= 0)
        {
            return 0f;
        }

        // In double: the union of two large boxes minus a large intersection loses float bits.
        var intersection = (double)w * h;
        var union = (double)a.Area + b.Area - intersection;
        return union <= 0 ? 0f : (float)(intersection / union);
    }

    /// <summary>
    /// The IoU of two box shapes placed on the same centre, min(w)·min(h) / (wa·ha + wb·hb − min(w)·min(h)): how YOLO picks
    /// the anchor box of an object and the distance (1 − IoU) of YOLOv2's k-means over box sizes.
    /// </summary>
    /// <param name="a">The first shape (width, height).</param>
    /// <param name="b">The second shape (width, height).</param>
    public static float ShapeIoU((float Width, float Height) a, (float Width, float Height) b)
    {
        var intersection = (double)Math.Min(a.Width, b.Width) * Math.Min(a.Height, b.Height);
        var union = ((double)a.Width * a.Height) + ((double)b.Width * b.Height) - intersection;
        return union <= 0 ? 0f : (float)(intersection / union);
    }

    /// <summary>
    /// Non-max suppression per class (the seed: drop low scores, then for each class keep the highest-scoring box and
    /// suppress the boxes that overlap it by more than <paramref name="iouThreshold"/>, and repeat). Boxes of different
    /// classes never suppress each other.
    /// </summary>
    /// <param name="detections">The candidates.</param>
    /// <param name="iouThreshold">A box whose IoU with a kept box of its class exceeds this is suppressed.</param>
    /// <param name="scoreThreshold">Candidates scoring below this are dropped first.</param>
    /// <param name="maxDetections">At most this many boxes are returned, the highest-scoring first.</param>
    /// <returns>The kept detections, by decreasing score (ties in input order).</returns>
    public static List<DetectedObject> NonMaxSuppression(
        IReadOnlyList<DetectedObject> detections, float iouThreshold = 0.5f, float scoreThreshold = 0f, int maxDetections = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(detections);
        if (!(iouThreshold >= 0 && iouThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must be in [0, 1].");
        }

        var order = new List<int>(detections.Count);
        for (var i = 0; i < detections.Count; i++)
        {
            if (detections[i].Score >= scoreThreshold)
            {
                order.Add(i);
            }
        }

        // A stable sort by decreasing score, so equal scores keep their input order on every run.
        order.Sort((i, j) =>
        {
            var c = detections[j].Score.CompareTo(detections[i].Score);
            return c != 0 ? c : i.CompareTo(j);
        });

        var kept = new List<DetectedObject>();
        foreach (var i in order)
        {
            if (kept.Count >= maxDetections)
            {
                break;
            }

            var candidate = detections[i];
            var suppressed = false;
            foreach (var k in kept)
            {
                if (k.ClassIndex == candidate.ClassIndex && IoU(k.Box, candidate.Box) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(candidate);
            }
        }

        return kept;
    }
}
