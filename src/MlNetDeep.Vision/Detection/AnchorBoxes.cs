namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Anchor boxes (the seed's "Anchor Boxes": several box shapes per grid cell so one cell can hold several objects),
/// fitted as YOLOv2 does: k-means over the training boxes' (width, height) with distance 1 − IoU of the shapes placed on
/// one centre, so large and small boxes weigh alike (Euclidean distance would let large boxes dominate).
/// </summary>
public static class AnchorBoxes
{
    /// <summary>
    /// Fits <paramref name="count"/> anchors to the box shapes by k-means with distance 1 − <see cref="Boxes.ShapeIoU"/>,
    /// seeded by k-means++ (each next centre drawn with probability ∝ distance²) and updated with the members' mean shape
    /// until no assignment changes. Deterministic for a seed.
    /// </summary>
    /// <param name="shapes">The training boxes' (width, height), all &gt; 0.</param>
    /// <param name="count">The number of anchors k; at most the number of shapes.</param>
    /// <param name="seed">The seed of the k-means++ draws.</param>
    /// <param name="maxIterations">The most Lloyd iterations.</param>
    /// <returns>The anchors' (width, height), sorted by area.</returns>
    public static (float Width, float Height)[] Fit(
        IReadOnlyList<(float Width, float Height)> shapes, int count, ulong seed = 0, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (shapes.Count < count)
        {
            throw new ArgumentException($"{count} anchors need at least {count} box shapes; got {shapes.Count}.", nameof(shapes));
        }

        for (var i = 0; i < shapes.Count; i++)
        {
            if (!(shapes[i].Width > 0 && shapes[i].Height > 0 && float.IsFinite(shapes[i].Width) && float.IsFinite(shapes[i].Height)))
            {
                throw new ArgumentException($"Box shape {i} is ({shapes[i].Width}, {shapes[i].Height}); expected a finite width and height > 0.", nameof(shapes));
            }
        }

        var random = new RandomSource(seed);
        var centres = new (float Width, float Height)[count];
        centres[0] = shapes[random.NextInt(shapes.Count)];
        var distance = new double[shapes.Count];
        for (var c = 1; c < count; c++)
        {
            double total = 0;
            for (var i = 0; i < shapes.Count; i++)
            {
                var d = double.MaxValue;
                for (var j = 0; j < c; j++)
                {
                    d = Math.Min(d, 1 - Boxes.ShapeIoU(shapes[i], centres[j]));
                }

                distance[i] = d * d;
                total += distance[i];
            }

            var pick = 0;
            if (total > 0)
            {
                var u = random.NextDouble() * total;
                for (pick = 0; pick < shapes.Count - 1 && (u -= distance[pick]) > 0; pick++)
                {
                }
            }

            centres[c] = shapes[pick];
        }

        var assignment = new int[shapes.Count];
        Array.Fill(assignment, -1);
        var sums = new double[count, 3];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var changed = false;
            for (var i = 0; i < shapes.Count; i++)
            {
                var best = 0;
                var bestIoU = -1f;
                for (var c = 0; c < count; c++)
                {
                    var iou = Boxes.ShapeIoU(shapes[i], centres[c]);
                    if (iou > bestIoU)
                    {
                        (best, bestIoU) = (c, iou);
                    }
                }

                changed |= assignment[i] != best;
                assignment[i] = best;
            }

            if (!changed)
            {
                break;
            }

            Array.Clear(sums);
            for (var i = 0; i < shapes.Count; i++)
            {
                sums[assignment[i], 0] += shapes[i].Width;
                sums[assignment[i], 1] += shapes[i].Height;
                sums[assignment[i], 2]++;
            }

            for (var c = 0; c < count; c++)
            {
                // An emptied cluster keeps its centre; it may win members back next iteration.
                if (sums[c, 2] > 0)
                {
                    centres[c] = ((float)(sums[c, 0] / sums[c, 2]), (float)(sums[c, 1] / sums[c, 2]));
                }
            }
        }

        Array.Sort(centres, (a, b) => (a.Width * a.Height).CompareTo(b.Width * b.Height));
        return centres;
    }

    /// <summary>The mean over the shapes of the best IoU with any anchor (YOLOv2's "Avg IoU" of an anchor set).</summary>
    /// <param name="shapes">The box shapes.</param>
    /// <param name="anchors">The anchors.</param>
    public static double MeanBestIoU(IReadOnlyList<(float Width, float Height)> shapes, IReadOnlyList<(float Width, float Height)> anchors)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(anchors);
        double sum = 0;
        foreach (var s in shapes)
        {
            var best = 0f;
            foreach (var a in anchors)
            {
                best = Math.Max(best, Boxes.ShapeIoU(s, a));
            }

            sum += best;
        }

        return shapes.Count == 0 ? 0 : sum / shapes.Count;
    }
}
