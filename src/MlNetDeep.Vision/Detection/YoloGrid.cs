namespace MlNetDeep.Vision.Detection;

/// <summary>
/// YOLO's output geometry (seed: the image cut into an S × S grid, B anchor boxes per cell, K classes): target encoding,
/// and decoding of targets and of network outputs.
/// </summary>
/// <remarks>
/// <para>The target y has shape [S, S, B, 5 + K] (the seed's 3 × 3 × 2 × 8 for S = 3, B = 2, K = 3): for each cell
/// (row, column) and anchor, [pc, bx, by, bh, bw, c1..cK]. An object belongs to the cell that holds its centre and, in
/// that cell, to the anchor whose shape has the best IoU with its box (the next best free anchor when that one is taken;
/// an object with no free anchor left is not encoded). (bx, by) is the centre's offset from the cell's top-left corner
/// and (bh, bw) the size, both in units of the cell, so bx, by ∈ [0, 1) and bh, bw may exceed 1.</para>
/// <para>The network's output has shape [B·(5 + K), S, S] (a convolution's channels): channel a·(5 + K) + f of anchor a
/// holds t_o (objectness logit), t_x, t_y, t_h, t_w, then K class logits, decoded as YOLOv2 does: pc = σ(t_o),
/// bx = σ(t_x), by = σ(t_y), bh = anchor_h·e^{t_h} / cell_h, bw = anchor_w·e^{t_w} / cell_w, class probabilities
/// softmax(logits).</para>
/// </remarks>
public sealed class YoloGrid
{
    /// <summary>The values per anchor before the classes: pc, bx, by, bh, bw.</summary>
    public const int BoxValues = 5;

    private readonly (float Width, float Height)[] _anchors;

    /// <summary>Creates the grid of an image size.</summary>
    /// <param name="imageHeight">The input image's height in pixels.</param>
    /// <param name="imageWidth">The input image's width in pixels.</param>
    /// <param name="gridSize">S, the cells per side.</param>
    /// <param name="anchors">The B anchor shapes (width, height) in pixels.</param>
    /// <param name="classCount">K, the number of classes.</param>
    public YoloGrid(int imageHeight, int imageWidth, int gridSize, IReadOnlyList<(float Width, float Height)> anchors, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentNullException.ThrowIfNull(anchors);
        if (anchors.Count == 0)
        {
            throw new ArgumentException("YOLO needs at least one anchor box.", nameof(anchors));
        }

        foreach (var a in anchors)
        {
            if (!(a.Width > 0 && a.Height > 0 && float.IsFinite(a.Width) && float.IsFinite(a.Height)))
            {
                throw new ArgumentException($"Anchor ({a.Width}, {a.Height}) is not a finite shape > 0.", nameof(anchors));
            }
        }

        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        GridSize = gridSize;
        ClassCount = classCount;
        _anchors = [.. anchors];
    }

    /// <summary>The input image's height in pixels.</summary>
    public int ImageHeight { get; }

    /// <summary>The input image's width in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>S, the cells per side.</summary>
    public int GridSize { get; }

    /// <summary>K, the number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The B anchor shapes (width, height) in pixels.</summary>
    public IReadOnlyList<(float Width, float Height)> Anchors => _anchors;

    /// <summary>B, the anchors per cell.</summary>
    public int AnchorCount => _anchors.Length;

    /// <summary>5 + K, the values per anchor.</summary>
    public int ValuesPerAnchor => BoxValues + ClassCount;

    /// <summary>A cell's width in pixels.</summary>
    public float CellWidth => (float)ImageWidth / GridSize;

    /// <summary>A cell's height in pixels.</summary>
    public float CellHeight => (float)ImageHeight / GridSize;

    /// <summary>The target's shape, [S, S, B, 5 + K].</summary>
    public int[] TargetShape => [GridSize, GridSize, AnchorCount, ValuesPerAnchor];

    /// <summary>The target's length, S·S·B·(5 + K).</summary>
    public int TargetLength => GridSize * GridSize * AnchorCount * ValuesPerAnchor;

    /// <summary>The network output's shape, [B·(5 + K), S, S].</summary>
    public int[] OutputShape => [AnchorCount * ValuesPerAnchor, GridSize, GridSize];

    /// <summary>The offset in a target of anchor <paramref name="anchor"/> of cell (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public int TargetOffset(int row, int column, int anchor) => (((row * GridSize) + column) * AnchorCount + anchor) * ValuesPerAnchor;

    /// <summary>
    /// Encodes the objects of one image into the target y, [S, S, B, 5 + K].
    /// </summary>
    /// <param name="objects">The objects in the BoxTargets layout: [maxObjects, 5] of (class index, xmin, ymin, xmax, ymax)
    /// in pixels; class −1 marks an empty slot.</param>
    /// <param name="target">Receives y; cleared first.</param>
    /// <returns>The number of objects encoded (fewer than given when a cell ran out of anchors).</returns>
    public int Encode(ReadOnlySpan<float> objects, Span<float> target)
    {
        if (objects.Length % 5 != 0)
        {
            throw new ArgumentException($"Box targets have {objects.Length} values; expected a multiple of 5 (class, xmin, ymin, xmax, ymax).", nameof(objects));
        }

        if (target.Length != TargetLength)
        {
            throw new ArgumentException($"The YOLO target has {target.Length} values; expected {TargetLength} = {Tensor.Format(TargetShape)}.", nameof(target));
        }

        target.Clear();
        Span<int> order = _anchors.Length <= 64 ? stackalloc int[_anchors.Length] : new int[_anchors.Length];
        Span<float> ious = _anchors.Length <= 64 ? stackalloc float[_anchors.Length] : new float[_anchors.Length];
        var encoded = 0;
        for (var o = 0; o < objects.Length / 5; o++)
        {
            var v = objects.Slice(o * 5, 5);
            if (v[0] == -1)
            {
                continue;
            }

            var cls = (int)v[0];
            if (cls != v[0] || (uint)cls >= (uint)ClassCount)
            {
                throw new ArgumentException($"Object {o} has class {v[0]}; expected −1 (empty) or a class index in [0, {ClassCount}).", nameof(objects));
            }

            var box = new BoundingBox(v[1], v[2], v[3], v[4]);
            if (!box.IsValid || box.Width <= 0 || box.Height <= 0)
            {
                throw new ArgumentException($"Object {o} has box {box}; expected finite corners with xmin < xmax and ymin < ymax.", nameof(objects));
            }

            var column = Math.Clamp((int)MathF.Floor(box.CentreX / CellWidth), 0, GridSize - 1);
            var row = Math.Clamp((int)MathF.Floor(box.CentreY / CellHeight), 0, GridSize - 1);
            for (var a = 0; a < _anchors.Length; a++)
            {
                order[a] = a;
                ious[a] = Boxes.ShapeIoU((box.Width, box.Height), _anchors[a]);
            }

            // Best IoU first; equal IoUs keep anchor order (insertion sort: B is tiny).
            for (var i = 1; i < order.Length; i++)
            {
                for (var j = i; j > 0 && ious[order[j]] > ious[order[j - 1]]; j--)
                {
                    (order[j], order[j - 1]) = (order[j - 1], order[j]);
                }
            }

            foreach (var a in order)
            {
                var y = target.Slice(TargetOffset(row, column, a), ValuesPerAnchor);
                if (y[0] != 0)
                {
                    continue;
                }

                y[0] = 1;
                y[1] = (box.CentreX / CellWidth) - column;
                y[2] = (box.CentreY / CellHeight) - row;
                y[3] = box.Height / CellHeight;
                y[4] = box.Width / CellWidth;
                y[BoxValues + cls] = 1;
                encoded++;
                break;
            }
        }

        return encoded;
    }

    /// <summary>Decodes a target y back to the boxes it encodes (score 1), in cell, then anchor order.</summary>
    /// <param name="target">y, [S, S, B, 5 + K].</param>
    public List<DetectedObject> DecodeTarget(ReadOnlySpan<float> target)
    {
        if (target.Length != TargetLength)
        {
            throw new ArgumentException($"The YOLO target has {target.Length} values; expected {TargetLength}.", nameof(target));
        }

        var result = new List<DetectedObject>();
        for (var row = 0; row < GridSize; row++)
        {
            for (var column = 0; column < GridSize; column++)
            {
                for (var a = 0; a < AnchorCount; a++)
                {
                    var y = target.Slice(TargetOffset(row, column, a), ValuesPerAnchor);
                    if (y[0] < 0.5f)
                    {
                        continue;
                    }

                    var cls = y[BoxValues..].IndexOf(1f);
                    var box = BoundingBox.FromCentre((column + y[1]) * CellWidth, (row + y[2]) * CellHeight, y[4] * CellWidth, y[3] * CellHeight);
                    result.Add(new DetectedObject(box, cls, y[0]));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Decodes one image's network output: every anchor's box and best class with score pc·P(class), then the seed's
    /// scoring steps — drop the boxes scoring below <paramref name="scoreThreshold"/>, then non-max suppression per class.
    /// Boxes are clipped to the image.
    /// </summary>
    /// <param name="output">The output, [B·(5 + K), S, S].</param>
    /// <param name="scoreThreshold">The confidence below which a box is dropped.</param>
    /// <param name="iouThreshold">Non-max suppression's IoU threshold.</param>
    /// <param name="maxDetections">The most boxes returned.</param>
    /// <returns>The detections by decreasing score.</returns>
    public List<DetectedObject> Decode(ReadOnlySpan<float> output, float scoreThreshold = 0.25f, float iouThreshold = 0.45f, int maxDetections = 100)
    {
        var candidates = new List<DetectedObject>();
        DecodeAll(output, scoreThreshold, candidates);
        return Boxes.NonMaxSuppression(candidates, iouThreshold, scoreThreshold, maxDetections);
    }

    /// <summary>Adds every anchor's decoded box scoring at least <paramref name="scoreThreshold"/> to <paramref name="detections"/> (no suppression).</summary>
    /// <param name="output">The output, [B·(5 + K), S, S].</param>
    /// <param name="scoreThreshold">The confidence below which a box is skipped.</param>
    /// <param name="detections">Receives the boxes.</param>
    public void DecodeAll(ReadOnlySpan<float> output, float scoreThreshold, List<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var plane = GridSize * GridSize;
        if (output.Length != AnchorCount * ValuesPerAnchor * plane)
        {
            throw new ArgumentException($"The YOLO output has {output.Length} values; expected {Tensor.Format(OutputShape)}.", nameof(output));
        }

        for (var a = 0; a < AnchorCount; a++)
        {
            var channel = a * ValuesPerAnchor;
            for (var row = 0; row < GridSize; row++)
            {
                for (var column = 0; column < GridSize; column++)
                {
                    var at = (row * GridSize) + column;
                    var objectness = Sigmoid(output[((channel + 0) * plane) + at]);
                    var best = 0;
                    var max = output[((channel + BoxValues) * plane) + at];
                    for (var c = 1; c < ClassCount; c++)
                    {
                        if (output[((channel + BoxValues + c) * plane) + at] > max)
                        {
                            (best, max) = (c, output[((channel + BoxValues + c) * plane) + at]);
                        }
                    }

                    double total = 0;
                    for (var c = 0; c < ClassCount; c++)
                    {
                        total += Math.Exp(output[((channel + BoxValues + c) * plane) + at] - max);
                    }

                    var score = objectness * (float)(1 / total);
                    if (!(score >= scoreThreshold))
                    {
                        continue;
                    }

                    var cx = (column + Sigmoid(output[((channel + 1) * plane) + at])) * CellWidth;
                    var cy = (row + Sigmoid(output[((channel + 2) * plane) + at])) * CellHeight;
                    var h = _anchors[a].Height * MathF.Exp(Math.Min(output[((channel + 3) * plane) + at], MaxLogScale));
                    var w = _anchors[a].Width * MathF.Exp(Math.Min(output[((channel + 4) * plane) + at], MaxLogScale));
                    var box = BoundingBox.FromCentre(cx, cy, w, h);
                    box = new BoundingBox(
                        Math.Clamp(box.XMin, 0, ImageWidth), Math.Clamp(box.YMin, 0, ImageHeight),
                        Math.Clamp(box.XMax, 0, ImageWidth), Math.Clamp(box.YMax, 0, ImageHeight));
                    detections.Add(new DetectedObject(box, best, score));
                }
            }
        }
    }

    // e^8 ≈ 3000 anchors wide: beyond any image; keeps an untrained output from overflowing to infinity.
    internal const float MaxLogScale = 8f;

    internal static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));
}
