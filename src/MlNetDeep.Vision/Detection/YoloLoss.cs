using MlNetDeep.Losses;
using MlNetDeep.Training;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The YOLO loss over a <see cref="YoloGrid"/>. Each row's target is the image's objects in the BoxTargets layout,
/// [maxObjects, 5] of (class index, xmin, ymin, xmax, ymax) in input pixels with class −1 for empty slots; the loss
/// encodes them into the grid itself (<see cref="YoloGrid.Encode"/>). The prediction is the network's raw output,
/// [B·(5 + K), S, S]. For every cell and anchor, with the decoding of <see cref="YoloGrid"/>:
/// <list type="bullet">
/// <item>an anchor that holds an object: −ln σ(t_o) (objectness) + λ_coord·s·[(σ(t_x) − bx)² + (σ(t_y) − by)² +
/// (t_h − ln(h / anchor_h))² + (t_w − ln(w / anchor_w))²] + softmax log-loss on the classes, where s = 2 − wh/(WH)
/// weighs small boxes more (YOLOv2/v3);</item>
/// <item>an anchor without object: λ_noobj·(−ln(1 − σ(t_o))) (the no-object weight).</item>
/// </list>
/// The cost is the sum over cells and anchors, averaged over the rows.
/// </summary>
public sealed class YoloLoss : Loss
{
    [ThreadStatic]
    private static float[]? t_encoded;

    /// <summary>Creates the loss.</summary>
    /// <param name="grid">The grid, anchors and classes.</param>
    /// <param name="coordinateWeight">λ_coord, the weight of the box terms.</param>
    /// <param name="noObjectWeight">λ_noobj, the weight of the objectness term of anchors without object.</param>
    public YoloLoss(YoloGrid grid, float coordinateWeight = 5f, float noObjectWeight = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (!(coordinateWeight >= 0 && float.IsFinite(coordinateWeight)))
        {
            throw new ArgumentOutOfRangeException(nameof(coordinateWeight), coordinateWeight, "λ_coord must be a finite value ≥ 0.");
        }

        if (!(noObjectWeight >= 0 && float.IsFinite(noObjectWeight)))
        {
            throw new ArgumentOutOfRangeException(nameof(noObjectWeight), noObjectWeight, "λ_noobj must be a finite value ≥ 0.");
        }

        Grid = grid;
        CoordinateWeight = coordinateWeight;
        NoObjectWeight = noObjectWeight;
    }

    /// <summary>The grid, anchors and classes.</summary>
    public YoloGrid Grid { get; }

    /// <summary>λ_coord, the weight of the box terms.</summary>
    public float CoordinateWeight { get; }

    /// <summary>λ_noobj, the weight of the objectness term of anchors without object.</summary>
    public float NoObjectWeight { get; }

    /// <summary>Box targets (BoxTargets layout): an augmentation that moves pixels moves the boxes with them.</summary>
    public override SpatialTargets? SpatialTargets { get; } = new BoxTargets();

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        var expected = Grid.AnchorCount * Grid.ValuesPerAnchor * Grid.GridSize * Grid.GridSize;
        if (outputs != expected)
        {
            return $"the network has {outputs} outputs; the YOLO grid expects {expected} = {Tensor.Format(Grid.OutputShape)}";
        }

        return BoxTargets.CheckRows(target, Grid.ClassCount);
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        var grid = Grid;
        var s = grid.GridSize;
        var plane = s * s;
        var values = grid.ValuesPerAnchor;
        var classes = grid.ClassCount;
        var width = grid.AnchorCount * values * plane;
        if (prediction.RowSize != width)
        {
            throw new ArgumentException(
                $"{nameof(YoloLoss)}: predictions have {prediction.RowSize} values a row; expected {width} = {Tensor.Format(grid.OutputShape)}.", nameof(prediction));
        }

        var n = prediction.Rows;
        var encoded = t_encoded is { } e && e.Length >= grid.TargetLength ? e : (t_encoded = new float[grid.TargetLength]);
        var y = encoded.AsSpan(0, grid.TargetLength);
        Span<float> probabilities = classes <= 256 ? stackalloc float[classes] : new float[classes];
        Span<float> logits = classes <= 256 ? stackalloc float[classes] : new float[classes];
        var scale = 1f / n;
        var imageArea = (float)grid.ImageWidth * grid.ImageHeight;
        double sum = 0;
        for (var r = 0; r < n; r++)
        {
            grid.Encode(target.Row(r), y);
            var z = prediction.Data.AsSpan(r * width, width);
            var g = gradient is null ? default : gradient.Data.AsSpan(r * width, width);
            for (var a = 0; a < grid.AnchorCount; a++)
            {
                var channel = a * values;
                var (anchorWidth, anchorHeight) = grid.Anchors[a];
                for (var cell = 0; cell < plane; cell++)
                {
                    var t = y.Slice(grid.TargetOffset(cell / s, cell % s, a), values);
                    var to = z[(channel * plane) + cell];
                    if (t[0] == 0)
                    {
                        sum += NoObjectWeight * Softplus(to);
                        if (gradient is not null)
                        {
                            g[(channel * plane) + cell] = NoObjectWeight * YoloGrid.Sigmoid(to) * scale;
                            for (var f = 1; f < values; f++)
                            {
                                g[((channel + f) * plane) + cell] = 0;
                            }
                        }

                        continue;
                    }

                    sum += Softplus(-to);
                    var boxWeight = CoordinateWeight * (2 - (t[3] * grid.CellHeight * t[4] * grid.CellWidth / imageArea));
                    var sx = YoloGrid.Sigmoid(z[((channel + 1) * plane) + cell]);
                    var sy = YoloGrid.Sigmoid(z[((channel + 2) * plane) + cell]);
                    var th = z[((channel + 3) * plane) + cell];
                    var tw = z[((channel + 4) * plane) + cell];
                    var dx = sx - t[1];
                    var dy = sy - t[2];
                    var dh = th - MathF.Log(t[3] * grid.CellHeight / anchorHeight);
                    var dw = tw - MathF.Log(t[4] * grid.CellWidth / anchorWidth);
                    sum += boxWeight * (((double)dx * dx) + ((double)dy * dy) + ((double)dh * dh) + ((double)dw * dw));
                    for (var c = 0; c < classes; c++)
                    {
                        logits[c] = z[((channel + YoloGrid.BoxValues + c) * plane) + cell];
                    }

                    var (max, logSum) = MlNetDeep.Layers.Activations.Softmax.ComputeWithLogSum(logits, probabilities);
                    var label = t[YoloGrid.BoxValues..].IndexOf(1f);
                    sum += ((double)max - logits[label]) + logSum;
                    if (gradient is not null)
                    {
                        g[(channel * plane) + cell] = (YoloGrid.Sigmoid(to) - 1) * scale;
                        g[((channel + 1) * plane) + cell] = boxWeight * 2 * dx * sx * (1 - sx) * scale;
                        g[((channel + 2) * plane) + cell] = boxWeight * 2 * dy * sy * (1 - sy) * scale;
                        g[((channel + 3) * plane) + cell] = boxWeight * 2 * dh * scale;
                        g[((channel + 4) * plane) + cell] = boxWeight * 2 * dw * scale;
                        for (var c = 0; c < classes; c++)
                        {
                            g[((channel + YoloGrid.BoxValues + c) * plane) + cell] = (probabilities[c] - (c == label ? 1 : 0)) * scale;
                        }
                    }
                }
            }
        }

        return sum / n;
    }


    private static double Softplus(float z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
}
