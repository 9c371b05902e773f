namespace MlNetDeep.Training;

/// <summary>
/// Object boxes as a target: per row <c>[maxObjects, 5]</c>, each object (class index, xmin, ymin, xmax, ymax) in pixels
/// of the input image (edges: a box over the whole w × h image is 0, 0, w, h); unused slots have class −1 and zeros,
/// after the objects. Moving a box maps its four corners, takes their bounding box (for a rotation, the box of the
/// rotated box, as detection augmentation libraries do) and clips it to the output image; an object of which less than
/// <see cref="MinVisibility"/> stays inside, or that is left less than one pixel wide or high, is dropped, and the kept
/// objects are packed first.
/// </summary>
public sealed class BoxTargets : SpatialTargets
{
    /// <summary>The values that describe one object.</summary>
    public const int ValuesPerObject = 5;

    /// <summary>Creates the target kind.</summary>
    /// <param name="minVisibility">The smallest fraction of a moved box's area that must stay inside the output for the object to be kept, in [0, 1].</param>
    public BoxTargets(double minVisibility = 0.25)
    {
        if (!(minVisibility is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minVisibility), minVisibility, "The visible fraction must lie in [0, 1].");
        }

        MinVisibility = minVisibility;
    }

    /// <summary>The smallest visible fraction of a moved box for its object to be kept.</summary>
    public double MinVisibility { get; }

    /// <summary>
    /// Checks every row of a batch of box targets for a loss over <paramref name="classCount"/> classes: a multiple of five
    /// values, each object's class −1 (empty) or a whole index below the count, and a finite box with xmin &lt; xmax and
    /// ymin &lt; ymax. Returns what is wrong (naming the row and object), or null.
    /// </summary>
    /// <param name="target">The targets, one row per image.</param>
    /// <param name="classCount">The number of classes.</param>
    public static string? CheckRows(Tensors.Tensor target, int classCount)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.RowSize % ValuesPerObject != 0)
        {
            return $"targets have {target.RowSize} values a row; expected [maxObjects, 5] of (class, xmin, ymin, xmax, ymax)";
        }

        for (var r = 0; r < target.Rows; r++)
        {
            var row = target.Row(r);
            for (var o = 0; o < row.Length / ValuesPerObject; o++)
            {
                var v = row.Slice(o * ValuesPerObject, ValuesPerObject);
                if (v[0] == -1)
                {
                    continue;
                }

                if (v[0] != MathF.Floor(v[0]) || !(v[0] >= 0 && v[0] < classCount))
                {
                    return $"object {o} of row {r} has class {v[0]}; expected −1 (empty) or a class index in 0..{classCount - 1}";
                }

                if (!(v[1] < v[3] && v[2] < v[4]) || !float.IsFinite(v[1] + v[2] + v[3] + v[4]))
                {
                    return $"object {o} of row {r} has box ({v[1]}, {v[2]}, {v[3]}, {v[4]}); expected xmin < xmax and ymin < ymax";
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> targetShape, int outputHeight, int outputWidth) => targetShape.ToArray();

    /// <inheritdoc />
    public override string? CheckShape(ReadOnlySpan<int> targetShape, int imageHeight, int imageWidth) =>
        targetShape.Length == 2 && targetShape[1] == ValuesPerObject && targetShape[0] >= 1
            ? null
            : $"box targets must have shape [maxObjects, {ValuesPerObject}] (class, xmin, ymin, xmax, ymax); they have [{string.Join(", ", targetShape.ToArray())}]";

    /// <inheritdoc />
    public override void Move(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, Span<float> destination, in PixelMap map)
    {
        var objects = targetShape[0];
        if (target.Length != objects * ValuesPerObject || destination.Length != target.Length)
        {
            throw new ArgumentException($"Box targets of {objects} objects need {objects * ValuesPerObject} values; got {target.Length} and a destination of {destination.Length}.");
        }

        destination.Clear();
        var kept = 0;
        for (var k = 0; k < objects; k++)
        {
            var box = target.Slice(k * ValuesPerObject, ValuesPerObject);
            if (box[0] < 0)
            {
                continue;
            }

            // Edges to centre coordinates (−½), map the corners, back to edges (+½).
            var (x0, y0, x1, y1) = (box[1] - 0.5, box[2] - 0.5, box[3] - 0.5, box[4] - 0.5);
            var (ax, ay) = map.Apply(x0, y0);
            var (bx, by) = map.Apply(x1, y0);
            var (cx, cy) = map.Apply(x0, y1);
            var (dx, dy) = map.Apply(x1, y1);
            var left = Math.Min(Math.Min(ax, bx), Math.Min(cx, dx)) + 0.5;
            var right = Math.Max(Math.Max(ax, bx), Math.Max(cx, dx)) + 0.5;
            var top = Math.Min(Math.Min(ay, by), Math.Min(cy, dy)) + 0.5;
            var bottom = Math.Max(Math.Max(ay, by), Math.Max(cy, dy)) + 0.5;
            var area = (right - left) * (bottom - top);
            var (cl, cr) = (Math.Clamp(left, 0, map.OutputWidth), Math.Clamp(right, 0, map.OutputWidth));
            var (ct, cb) = (Math.Clamp(top, 0, map.OutputHeight), Math.Clamp(bottom, 0, map.OutputHeight));
            var visible = (cr - cl) * (cb - ct);
            if (cr - cl < 1 || cb - ct < 1 || !(area > 0) || visible < MinVisibility * area)
            {
                continue;
            }

            var to = destination.Slice(kept * ValuesPerObject, ValuesPerObject);
            (to[0], to[1], to[2], to[3], to[4]) = (box[0], (float)cl, (float)ct, (float)cr, (float)cb);
            kept++;
        }

        for (var k = kept; k < objects; k++)
        {
            destination[k * ValuesPerObject] = -1;
        }
    }
}
