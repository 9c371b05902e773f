using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>The rows the detection trainer tests feed ML.NET (in TorchSharp's column convention) and read back.</summary>
internal static class DetectionRows
{
    /// <summary>The predicted boxes, scores and labels of every scored row.</summary>
    public static (List<float[]> Boxes, List<float[]> Scores, List<string[]> Labels) Columns(IDataView scored) =>
        (scored.GetColumn<float[]>("PredictedBoundingBoxes").ToList(),
         scored.GetColumn<float[]>("Score").ToList(),
         scored.GetColumn<string[]>("PredictedLabel").ToList());

    /// <summary>A generated 64×64 scene: pixels, class names, boxes.</summary>
    public sealed class Scene
    {
        [VectorType(3, 64, 64)]
        public float[] Features { get; set; } = [];

        [VectorType]
        public string[] Label { get; set; } = [];

        [VectorType]
        public float[] Box { get; set; } = [];
    }

    /// <summary>A 16×16 image for the input-error cases.</summary>
    public sealed class SmallScene
    {
        [VectorType(3, 16, 16)]
        public float[] Features { get; set; } = [];

        [VectorType]
        public string[] Label { get; set; } = [];

        [VectorType]
        public float[] Box { get; set; } = [];
    }

    /// <summary>A detector's output row.</summary>
    public sealed class Prediction
    {
        public float[] PredictedBoundingBoxes { get; set; } = [];

        public float[] Score { get; set; } = [];

        public string[] PredictedLabel { get; set; } = [];
    }
}
