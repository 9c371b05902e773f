namespace MlNetDeep.Training;

/// <summary>
/// A per-pixel class mask as a target: per row <c>[H, W]</c> (or <c>[1, H, W]</c>) class labels stored as floats, H × W
/// the image's size. Moving a mask resamples it by nearest neighbour through the inverse map (labels are not blended);
/// output pixels whose source lies outside the input image get <see cref="OutsideLabel"/> — the loss's ignore label, so
/// that padding a rotation or scaling brings in is not learnt as a class.
/// </summary>
public sealed class MaskTargets : SpatialTargets
{
    /// <summary>Creates the target kind.</summary>
    /// <param name="outsideLabel">The label of output pixels that come from outside the input image.</param>
    public MaskTargets(float outsideLabel)
    {
        if (!float.IsFinite(outsideLabel))
        {
            throw new ArgumentOutOfRangeException(nameof(outsideLabel), outsideLabel, "The outside label must be finite.");
        }

        OutsideLabel = outsideLabel;
    }

    /// <summary>The label of output pixels that come from outside the input image.</summary>
    public float OutsideLabel { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> targetShape, int outputHeight, int outputWidth) =>
        targetShape.Length == 3 ? [targetShape[0], outputHeight, outputWidth] : [outputHeight, outputWidth];

    /// <inheritdoc />
    public override string? CheckShape(ReadOnlySpan<int> targetShape, int imageHeight, int imageWidth)
    {
        var ok = targetShape.Length switch
        {
            2 => targetShape[0] == imageHeight && targetShape[1] == imageWidth,
            3 => targetShape[0] == 1 && targetShape[1] == imageHeight && targetShape[2] == imageWidth,
            _ => false,
        };
        return ok ? null : $"mask targets must have the image's size [{imageHeight}, {imageWidth}]; they have [{string.Join(", ", targetShape.ToArray())}]";
    }

    /// <inheritdoc />
    public override void Move(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, Span<float> destination, in PixelMap map)
    {
        var (h, w) = (map.InputHeight, map.InputWidth);
        var (oh, ow) = (map.OutputHeight, map.OutputWidth);
        if (target.Length != h * w || destination.Length != oh * ow)
        {
            throw new ArgumentException(
                $"A mask moved from {h} × {w} to {oh} × {ow} needs {h * w} values and a destination of {oh * ow}; got {target.Length} and {destination.Length}.");
        }

        var back = map.Inverse();
        for (var y = 0; y < oh; y++)
        {
            var row = destination.Slice(y * ow, ow);
            for (var x = 0; x < ow; x++)
            {
                var (sx, sy) = back.Apply(x, y);
                // Nearest source pixel; a half-way point goes up/left's neighbour consistently (floor of x + ½).
                var ix = (int)Math.Floor(sx + 0.5);
                var iy = (int)Math.Floor(sy + 0.5);
                row[x] = (uint)ix < (uint)w && (uint)iy < (uint)h ? target[(iy * w) + ix] : OutsideLabel;
            }
        }
    }
}
