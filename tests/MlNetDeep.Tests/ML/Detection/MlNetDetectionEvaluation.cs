using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>
/// Scores detections with ML.NET's own EvaluateObjectDetection (Microsoft.ML.TorchSharp 0.23.1) on the column
/// conventions of its ObjectDetection trainer: Label (text vector, one class name per object), Box (Single vector, xmin,
/// ymin, xmax, ymax per object, pixels), PredictedLabel (text vector), Score (Single vector), PredictedBoundingBoxes.
/// </summary>
internal static class MlNetDetectionEvaluation
{
    public static (float Map50, float Map5095) Evaluate(
        IReadOnlyList<IReadOnlyList<DetectedObject>> predictions, IReadOnlyList<IReadOnlyList<DetectedObject>> truths, IReadOnlyList<string> classNames)
    {
        var rows = new List<Row>();
        for (var i = 0; i < truths.Count; i++)
        {
            rows.Add(new Row
            {
                Label = [.. truths[i].Select(t => classNames[t.ClassIndex])],
                Box = [.. truths[i].SelectMany(t => new[] { t.Box.XMin, t.Box.YMin, t.Box.XMax, t.Box.YMax })],
                PredictedLabel = [.. predictions[i].Select(p => classNames[p.ClassIndex])],
                Score = [.. predictions[i].Select(p => p.Score)],
                PredictedBoundingBoxes = [.. predictions[i].SelectMany(p => new[] { p.Box.XMin, p.Box.YMin, p.Box.XMax, p.Box.YMax })],
            });
        }

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(rows);
        var s = data.Schema;
        var metrics = ml.MulticlassClassification.EvaluateObjectDetection(data, s["Label"], s["Box"], s["PredictedLabel"], s["PredictedBoundingBoxes"], s["Score"]);
        return (metrics.MAP50, metrics.MAP50_95);
    }

    private sealed class Row
    {
        [VectorType]
        public string[] Label { get; set; } = [];

        [VectorType]
        public float[] Box { get; set; } = [];

        [VectorType]
        public string[] PredictedLabel { get; set; } = [];

        [VectorType]
        public float[] Score { get; set; } = [];

        [VectorType]
        public float[] PredictedBoundingBoxes { get; set; } = [];
    }
}
