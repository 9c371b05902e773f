using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Losses;

/// <summary>
/// Landmark detection (seed 001, course 4 week 3, "特征点检测"): the network has 2k outputs, the k points as fractions
/// of the image, (x1/W, y1/H, …, xk/W, yk/H) — the seed's convention for b_x, b_y, which keeps the outputs near 1
/// whatever the image size; the target is the k points in pixels, [k, 3] of (visible, x, y) (<see cref="PointTargets"/>
/// layout). The cost of a row is the squared error over the points that are present,
/// Σ_visible (ŷ_x − x/W)² + (ŷ_y − y/H)² — an absent point (the visibility mask) adds nothing and gets no gradient —
/// averaged over the rows.
/// </summary>
public sealed class LandmarkLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="imageHeight">H, the image height in pixels (the unit of the outputs' y).</param>
    /// <param name="imageWidth">W, the image width in pixels (the unit of the outputs' x).</param>
    /// <param name="points">The target kind (mirror partners); null for points without partners.</param>
    public LandmarkLoss(int imageHeight, int imageWidth, PointTargets? points = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        SpatialTargets = points ?? new PointTargets();
    }

    /// <summary>H, the image height in pixels.</summary>
    public int ImageHeight { get; }

    /// <summary>W, the image width in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>Point targets: an augmentation that moves pixels moves the points with them.</summary>
    public override SpatialTargets? SpatialTargets { get; }

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        const int v = PointTargets.ValuesPerPoint;
        if (outputs % 2 != 0 || target.RowSize != outputs / 2 * v || (target.Rank > 2 && target.Shape[^1] != v))
        {
            return $"the network has {outputs} outputs and the targets {target.RowSize} values a row; k landmarks need 2k outputs and [k, {v}] targets (visible, x, y)";
        }

        for (var r = 0; r < target.Rows; r++)
        {
            var row = target.Row(r);
            for (var k = 0; k < row.Length / v; k++)
            {
                if (row[k * v] is not (0 or 1))
                {
                    return $"point {k} of row {r} has visibility {row[k * v]}; expected 1 (present) or 0 (absent)";
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        const int v = PointTargets.ValuesPerPoint;
        var n = prediction.Rows;
        var points = prediction.RowSize / 2;
        if (prediction.RowSize % 2 != 0 || target.RowSize != points * v || target.Rows != n)
        {
            throw new ArgumentException(
                $"{nameof(LandmarkLoss)}: predictions {Tensor.Format(prediction.Shape)} need targets [N, {points}, {v}]; got {Tensor.Format(target.Shape)}.", nameof(target));
        }

        var (sx, sy) = (1f / ImageWidth, 1f / ImageHeight);
        double sum = 0;
        for (var r = 0; r < n; r++)
        {
            var z = prediction.Row(r);
            var t = target.Row(r);
            var g = gradient is null ? default : gradient.Row(r);
            for (var k = 0; k < points; k++)
            {
                var visible = t[k * v] != 0;
                var dx = visible ? z[2 * k] - (t[(k * v) + 1] * sx) : 0;
                var dy = visible ? z[(2 * k) + 1] - (t[(k * v) + 2] * sy) : 0;
                sum += ((double)dx * dx) + ((double)dy * dy);
                if (!g.IsEmpty)
                {
                    (g[2 * k], g[(2 * k) + 1]) = (2 * dx / n, 2 * dy / n);
                }
            }
        }

        return sum / n;
    }
}
