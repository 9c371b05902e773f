namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The seed's scoring steps after a detector's forward pass: drop the boxes whose confidence is below
/// <paramref name="Score"/>, then non-max suppression per class at <paramref name="IoU"/>, then keep the
/// <paramref name="MaxDetections"/> highest-scoring boxes.
/// </summary>
/// <param name="Score">The confidence below which a box is dropped, in [0, 1].</param>
/// <param name="IoU">Non-max suppression's IoU threshold, in [0, 1].</param>
/// <param name="MaxDetections">The most boxes an image gets; at least 1.</param>
public readonly record struct DetectionThresholds(float Score, float IoU, int MaxDetections)
{
    /// <summary>YOLO's usual values: confidence 0.25, IoU 0.45, at most 100 boxes.</summary>
    public static DetectionThresholds Default => new(0.25f, 0.45f, 100);

    /// <summary>Throws unless the thresholds are in [0, 1] and <see cref="MaxDetections"/> ≥ 1.</summary>
    public DetectionThresholds Checked()
    {
        if (!(Score >= 0 && Score <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Score), Score, "The confidence threshold must be in [0, 1].");
        }

        if (!(IoU >= 0 && IoU <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(IoU), IoU, "The NMS IoU threshold must be in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDetections, 1, nameof(MaxDetections));
        return this;
    }
}
