namespace MlNetDeep.Vision.Detection;

/// <summary>One detection (or one ground-truth object, with score 1): a box, its class index and its confidence.</summary>
/// <param name="Box">The box in corner form, in pixels.</param>
/// <param name="ClassIndex">The 0-based class index.</param>
/// <param name="Score">The confidence in [0, 1] (for YOLO, objectness × class probability).</param>
public readonly record struct DetectedObject(BoundingBox Box, int ClassIndex, float Score);
