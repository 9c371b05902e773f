namespace MlNetDeep.Training;

/// <summary>
/// Landmarks as a target (the seed's landmark detection: 2k outputs for k points): per row k points, [k, 3] of
/// (visible, x, y) with x, y in pixels of the input image (edges: the image spans 0..w, 0..h; pixel centres sit at +½)
/// and visible 1 for a point that is present, 0 (and zeros) for one that is absent (the visibility mask; targets stay
/// finite, as the trainer requires). Moving a point maps it with the pixels; a point that lands outside the output
/// image becomes absent. A map that mirrors (negative determinant) swaps each point with its
/// mirror partner (<see cref="MirrorPartners"/>): a mirrored face's left eye is where the right eye was.
/// </summary>
public sealed class PointTargets : SpatialTargets
{
    private readonly int[] _partners;

    /// <summary>Creates the target kind.</summary>
    /// <param name="mirrorPartners">For each point, the point it becomes under a mirror (a permutation that is its own
    /// inverse, such as [0, 2, 1] for an apex and a left and a right corner); null or empty when no point has a partner.</param>
    public PointTargets(IReadOnlyList<int>? mirrorPartners = null)
    {
        _partners = mirrorPartners is null ? [] : [.. mirrorPartners];
        for (var i = 0; i < _partners.Length; i++)
        {
            if ((uint)_partners[i] >= (uint)_partners.Length || _partners[_partners[i]] != i)
            {
                throw new ArgumentException(
                    $"Mirror partners must be a permutation that is its own inverse; point {i} has partner {_partners[i]} of [{string.Join(", ", _partners)}].",
                    nameof(mirrorPartners));
            }
        }
    }

    /// <summary>The values that describe one point: visible, x, y.</summary>
    public const int ValuesPerPoint = 3;

    /// <summary>For each point, the point it becomes under a mirror; empty when none has a partner.</summary>
    public IReadOnlyList<int> MirrorPartners => _partners;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> targetShape, int outputHeight, int outputWidth) => targetShape.ToArray();

    /// <inheritdoc />
    public override string? CheckShape(ReadOnlySpan<int> targetShape, int imageHeight, int imageWidth)
    {
        if (targetShape.Length != 2 || targetShape[1] != ValuesPerPoint || targetShape[0] < 1)
        {
            return $"point targets must have shape [k, {ValuesPerPoint}] (visible, x, y); they have [{string.Join(", ", targetShape.ToArray())}]";
        }

        var points = targetShape[0];

        return _partners.Length != 0 && _partners.Length != points
            ? $"point targets have {points} points but {_partners.Length} mirror partners"
            : null;
    }

    /// <inheritdoc />
    public override void Move(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, Span<float> destination, in PixelMap map)
    {
        if (target.Length % ValuesPerPoint != 0 || destination.Length != target.Length)
        {
            throw new ArgumentException($"Point targets need (visible, x, y) triples; got {target.Length} values and a destination of {destination.Length}.");
        }

        var points = target.Length / ValuesPerPoint;
        var mirrored = _partners.Length == points && ((map.M11 * map.M22) - (map.M12 * map.M21)) < 0;
        for (var k = 0; k < points; k++)
        {
            var to = destination.Slice(ValuesPerPoint * (mirrored ? _partners[k] : k), ValuesPerPoint);
            var from = target.Slice(ValuesPerPoint * k, ValuesPerPoint);
            to.Clear();
            if (from[0] == 0)
            {
                continue;
            }

            // Edges to centre coordinates (−½), map, back to edges (+½).
            var (mx, my) = map.Apply(from[1] - 0.5, from[2] - 0.5);
            (mx, my) = (mx + 0.5, my + 0.5);
            if (mx >= 0 && mx <= map.OutputWidth && my >= 0 && my <= map.OutputHeight)
            {
                (to[0], to[1], to[2]) = (1, (float)mx, (float)my);
            }
        }
    }
}
