using System.Text.Json.Nodes;
using MlNetDeep.Layers;
using MlNetDeep.Losses;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Faster R-CNN in miniature as a <see cref="Detector"/>: the <see cref="TwoStageNetwork"/> (backbone, region proposal
/// network over the <see cref="AnchorGrid"/>, RoI pooling of the proposals, class and box heads), the
/// <see cref="TwoStageLoss"/>, and at scoring <see cref="TwoStageSettings.Decode"/> (the head's boxes and class scores,
/// the confidence threshold, per-class non-max suppression).
/// </summary>
public sealed class TwoStageDetector : Detector
{
    /// <summary>The kind a saved two-stage detector records.</summary>
    public const string KindName = "two-stage";

    /// <summary>Creates the detector.</summary>
    /// <param name="channels">The image channels.</param>
    /// <param name="settings">The network's shape: anchor grid (image size, stride, anchors), K, proposals, pooling, width.</param>
    /// <param name="classNames">The K class names.</param>
    /// <param name="thresholds">The scoring thresholds.</param>
    public TwoStageDetector(int channels, TwoStageSettings settings, IReadOnlyList<string> classNames, DetectionThresholds thresholds)
        : base(channels, (settings ?? throw new ArgumentNullException(nameof(settings))).Grid.ImageHeight, settings.Grid.ImageWidth, classNames, thresholds)
    {
        if (settings.ClassCount != ClassCount)
        {
            throw new ArgumentException($"The settings have {settings.ClassCount} classes but {ClassCount} class names were given.", nameof(classNames));
        }

        Settings = settings;
    }

    /// <summary>Reads a saved two-stage detector.</summary>
    internal TwoStageDetector(JsonObject saved)
        : base(saved)
    {
        var stride = Int(saved, "stride", 1, 8);
        if (saved["anchors"] is not JsonArray anchors || anchors.Count == 0 || anchors.Count > 64)
        {
            throw new InvalidDataException("The saved two-stage detector's 'anchors' must be an array of 1 to 64 [width, height] pairs.");
        }

        var shapes = new (float Width, float Height)[anchors.Count];
        for (var i = 0; i < shapes.Length; i++)
        {
            if (anchors[i] is not JsonArray { Count: 2 } pair
                || pair[0] is not JsonValue w || !w.TryGetValue<float>(out var aw) || !(aw > 0 && float.IsFinite(aw))
                || pair[1] is not JsonValue h || !h.TryGetValue<float>(out var ah) || !(ah > 0 && float.IsFinite(ah)))
            {
                throw new InvalidDataException($"The saved two-stage detector's anchor {i} is not a [width, height] pair of finite values > 0.");
            }

            shapes[i] = (aw, ah);
        }

        Settings = new TwoStageSettings(
            new AnchorGrid(ImageHeight, ImageWidth, stride, shapes),
            ClassCount,
            Int(saved, "regionsPerImage", 1, 4096),
            Int(saved, "poolSize", 1, 64),
            Int(saved, "width", 1, 4096),
            Float(saved, "proposalIoU"));
    }

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>The network's shape and output layout.</summary>
    public TwoStageSettings Settings { get; }

    /// <inheritdoc />
    public override int[] OutputShape => [Settings.OutputLength];

    /// <inheritdoc />
    public override Layer CreateNetwork() => new TwoStageNetwork(Settings);

    /// <inheritdoc />
    public override Loss CreateLoss() => new TwoStageLoss(Settings);

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<float> output, List<DetectedObject> detections) =>
        Settings.Decode(output, Thresholds.Score, Thresholds.IoU, Thresholds.MaxDetections, detections);

    /// <inheritdoc />
    protected override void SaveSettings(JsonObject saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var s = Settings;
        saved["stride"] = s.Grid.Stride;
        saved["anchors"] = new JsonArray([.. s.Grid.Anchors.Select(a => (JsonNode)new JsonArray(a.Width, a.Height))]);
        saved["regionsPerImage"] = s.RegionsPerImage;
        saved["poolSize"] = s.PoolSize;
        saved["width"] = s.Width;
        saved["proposalIoU"] = s.ProposalIoU;
    }
}
