using System.Text.Json.Nodes;
using MlNetDeep.Layers;
using MlNetDeep.Losses;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// YOLO as a <see cref="Detector"/>: the <see cref="YoloGrid"/> (S × S cells, B anchors, K classes), the
/// <see cref="YoloNetwork"/> backbone, the <see cref="YoloLoss"/> and the grid's decoding with confidence filtering and
/// per-class non-max suppression.
/// </summary>
public sealed class YoloDetector : Detector
{
    /// <summary>The kind a saved YOLO detector records.</summary>
    public const string KindName = "yolo";

    /// <summary>Creates the detector.</summary>
    /// <param name="channels">The image channels.</param>
    /// <param name="grid">The grid: image size, S, anchors and K.</param>
    /// <param name="classNames">The K class names.</param>
    /// <param name="thresholds">The scoring thresholds.</param>
    /// <param name="width">The backbone's first block's filters (<see cref="YoloNetwork.Create"/>).</param>
    /// <param name="coordinateWeight">λ_coord of the loss.</param>
    /// <param name="noObjectWeight">λ_noobj of the loss.</param>
    public YoloDetector(int channels, YoloGrid grid, IReadOnlyList<string> classNames, DetectionThresholds thresholds,
        int width = 16, float coordinateWeight = 5f, float noObjectWeight = 0.5f)
        : base(channels, (grid ?? throw new ArgumentNullException(nameof(grid))).ImageHeight, grid.ImageWidth, classNames, thresholds)
    {
        if (grid.ClassCount != ClassCount)
        {
            throw new ArgumentException($"The grid has {grid.ClassCount} classes but {ClassCount} class names were given.", nameof(classNames));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Grid = grid;
        Width = width;
        _ = new YoloLoss(grid, coordinateWeight, noObjectWeight);
        CoordinateWeight = coordinateWeight;
        NoObjectWeight = noObjectWeight;
    }

    /// <summary>Reads a saved YOLO detector.</summary>
    internal YoloDetector(JsonObject saved)
        : base(saved)
    {
        var gridSize = Int(saved, "gridSize", 1, Math.Min(ImageHeight, ImageWidth));
        if (saved["anchors"] is not JsonArray anchors || anchors.Count == 0 || anchors.Count > 64)
        {
            throw new InvalidDataException("The saved YOLO detector's 'anchors' must be an array of 1 to 64 [width, height] pairs.");
        }

        var shapes = new (float Width, float Height)[anchors.Count];
        for (var i = 0; i < shapes.Length; i++)
        {
            if (anchors[i] is not JsonArray { Count: 2 } pair
                || pair[0] is not JsonValue w || !w.TryGetValue<float>(out var aw) || !(aw > 0 && float.IsFinite(aw))
                || pair[1] is not JsonValue h || !h.TryGetValue<float>(out var ah) || !(ah > 0 && float.IsFinite(ah)))
            {
                throw new InvalidDataException($"The saved YOLO detector's anchor {i} is not a [width, height] pair of finite values > 0.");
            }

            shapes[i] = (aw, ah);
        }

        Grid = new YoloGrid(ImageHeight, ImageWidth, gridSize, shapes, ClassCount);
        Width = Int(saved, "width", 1, 4096);
        CoordinateWeight = Float(saved, "coordinateWeight");
        NoObjectWeight = Float(saved, "noObjectWeight");
    }

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The grid: image size, S, anchors and K.</summary>
    public YoloGrid Grid { get; }

    /// <summary>The backbone's first block's filters.</summary>
    public int Width { get; }

    /// <summary>λ_coord of the loss.</summary>
    public float CoordinateWeight { get; }

    /// <summary>λ_noobj of the loss.</summary>
    public float NoObjectWeight { get; }

    /// <inheritdoc />
    public override int[] OutputShape => Grid.OutputShape;

    /// <inheritdoc />
    public override Layer CreateNetwork() => YoloNetwork.Create(Grid, Width);

    /// <inheritdoc />
    public override Loss CreateLoss() => new YoloLoss(Grid, CoordinateWeight, NoObjectWeight);

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<float> output, List<DetectedObject> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        detections.Clear();
        Grid.DecodeAll(output, Thresholds.Score, detections);
        var kept = Boxes.NonMaxSuppression(detections, Thresholds.IoU, Thresholds.Score, Thresholds.MaxDetections);
        detections.Clear();
        detections.AddRange(kept);
    }

    /// <inheritdoc />
    protected override void SaveSettings(JsonObject saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        saved["gridSize"] = Grid.GridSize;
        saved["anchors"] = new JsonArray([.. Grid.Anchors.Select(a => (JsonNode)new JsonArray(a.Width, a.Height))]);
        saved["width"] = Width;
        saved["coordinateWeight"] = CoordinateWeight;
        saved["noObjectWeight"] = NoObjectWeight;
    }
}
