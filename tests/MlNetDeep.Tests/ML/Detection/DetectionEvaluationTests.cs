using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>The generated scenes' boxes and our detections in ML.NET's detection columns, scored by ML.NET's own evaluator.</summary>
public class DetectionEvaluationTests
{
    [Test]
    public void TheTrueBoxesScorePerfectlyAndShiftedBoxesLoseTheStrictThresholds()
    {
        var scenes = DetectionScenes.Generate(40, 3);
        var truths = Enumerable.Range(0, scenes.Count).Select(i => (IReadOnlyList<DetectedObject>)scenes.Objects(i)).ToList();

        var perfect = MlNetDetectionEvaluation.Evaluate(truths, truths, scenes.ClassNames);

        // Every box moved right by 15 % of its width: IoU 0.85/1.15 ≈ 0.74 — counts at 0.5…0.7, not at 0.75…0.95.
        var shifted = truths.Select(t => (IReadOnlyList<DetectedObject>)t.Select(o =>
            o with { Box = new BoundingBox(o.Box.XMin + (0.15f * o.Box.Width), o.Box.YMin, o.Box.XMax + (0.15f * o.Box.Width), o.Box.YMax), Score = 0.9f }).ToList()).ToList();
        var moved = MlNetDetectionEvaluation.Evaluate(shifted, truths, scenes.ClassNames);
        var ours = DetectionMetrics.MeanAveragePrecision50To95(shifted, truths, 3);

        Assert.That(perfect.Map50, Is.EqualTo(1f).Within(1e-6));
        Assert.That(perfect.Map5095, Is.EqualTo(1f).Within(1e-6));
        Assert.That(moved.Map50, Is.EqualTo(1f).Within(1e-6));
        Assert.That(moved.Map5095, Is.InRange(0.45f, 0.6f), "about five of the ten thresholds");
        Assert.That(ours, Is.InRange(0.45, 0.6), $"the engine's mAP50-95 ({ours}) against ML.NET's ({moved.Map5095})");
    }
}
