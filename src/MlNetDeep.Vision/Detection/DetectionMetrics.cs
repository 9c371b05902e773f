namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Mean average precision of detections against ground truth, engine-side (no ML.NET): per class, detections of all
/// images by decreasing score are matched greedily to the unmatched true box of best IoU ≥ the threshold; AP is the
/// area under the precision–recall curve with precision made monotone (all-point interpolation, PASCAL VOC 2010+);
/// mAP is the mean over the classes that have true boxes. mAP50-95 averages mAP over IoU 0.50, 0.55, …, 0.95 (COCO).
/// </summary>
public static class DetectionMetrics
{
    /// <summary>mAP at one IoU threshold.</summary>
    /// <param name="predictions">Per image, the detections.</param>
    /// <param name="truths">Per image, the true objects (scores ignored).</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="iouThreshold">The IoU a detection needs with a true box of its class to count as correct.</param>
    public static double MeanAveragePrecision(
        IReadOnlyList<IReadOnlyList<DetectedObject>> predictions, IReadOnlyList<IReadOnlyList<DetectedObject>> truths, int classCount, float iouThreshold = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(truths);
        if (predictions.Count != truths.Count)
        {
            throw new ArgumentException($"{predictions.Count} images of predictions but {truths.Count} of truths.", nameof(truths));
        }

        double sum = 0;
        var counted = 0;
        for (var c = 0; c < classCount; c++)
        {
            var ap = AveragePrecision(predictions, truths, c, iouThreshold);
            if (ap is { } value)
            {
                sum += value;
                counted++;
            }
        }

        return counted == 0 ? 0 : sum / counted;
    }

    /// <summary>mAP averaged over the IoU thresholds 0.50, 0.55, …, 0.95 (COCO's mAP50-95).</summary>
    /// <param name="predictions">Per image, the detections.</param>
    /// <param name="truths">Per image, the true objects.</param>
    /// <param name="classCount">The number of classes.</param>
    public static double MeanAveragePrecision50To95(
        IReadOnlyList<IReadOnlyList<DetectedObject>> predictions, IReadOnlyList<IReadOnlyList<DetectedObject>> truths, int classCount)
    {
        double sum = 0;
        for (var i = 0; i < 10; i++)
        {
            sum += MeanAveragePrecision(predictions, truths, classCount, 0.5f + (0.05f * i));
        }

        return sum / 10;
    }

    /// <summary>The average precision of one class, or null when no image holds a true box of that class.</summary>
    /// <param name="predictions">Per image, the detections.</param>
    /// <param name="truths">Per image, the true objects.</param>
    /// <param name="classIndex">The class.</param>
    /// <param name="iouThreshold">The IoU a detection needs to count as correct.</param>
    public static double? AveragePrecision(
        IReadOnlyList<IReadOnlyList<DetectedObject>> predictions, IReadOnlyList<IReadOnlyList<DetectedObject>> truths, int classIndex, float iouThreshold)
    {
        var positives = 0;
        var candidates = new List<(float Score, int Image, BoundingBox Box)>();
        for (var i = 0; i < truths.Count; i++)
        {
            foreach (var t in truths[i])
            {
                positives += t.ClassIndex == classIndex ? 1 : 0;
            }

            foreach (var p in predictions[i])
            {
                if (p.ClassIndex == classIndex)
                {
                    candidates.Add((p.Score, i, p.Box));
                }
            }
        }

        if (positives == 0)
        {
            return null;
        }

        // Stable order: by score, then image, then position in the list.
        var order = Enumerable.Range(0, candidates.Count)
            .OrderByDescending(k => candidates[k].Score).ThenBy(k => k).ToArray();
        var matched = new HashSet<(int Image, int Truth)>();
        var recalls = new List<double>(order.Length);
        var precisions = new List<double>(order.Length);
        var truePositives = 0;
        for (var rank = 0; rank < order.Length; rank++)
        {
            var (_, image, box) = candidates[order[rank]];
            var best = -1;
            var bestIoU = iouThreshold;
            for (var t = 0; t < truths[image].Count; t++)
            {
                var truth = truths[image][t];
                if (truth.ClassIndex != classIndex || matched.Contains((image, t)))
                {
                    continue;
                }

                var iou = Boxes.IoU(box, truth.Box);
                if (iou >= bestIoU)
                {
                    (best, bestIoU) = (t, iou);
                }
            }

            if (best >= 0)
            {
                matched.Add((image, best));
                truePositives++;
            }

            recalls.Add((double)truePositives / positives);
            precisions.Add((double)truePositives / (rank + 1));
        }

        // Precision made monotone from the right, then the area under the step curve.
        for (var k = precisions.Count - 2; k >= 0; k--)
        {
            precisions[k] = Math.Max(precisions[k], precisions[k + 1]);
        }

        double ap = 0, previousRecall = 0;
        for (var k = 0; k < recalls.Count; k++)
        {
            ap += (recalls[k] - previousRecall) * precisions[k];
            previousRecall = recalls[k];
        }

        return ap;
    }
}
