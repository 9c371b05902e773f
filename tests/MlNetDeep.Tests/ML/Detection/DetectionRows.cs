using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using MlNetDeep.ML;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>The rows the detection trainer tests feed ML.NET (in TorchSharp's column convention) and read back.</summary>
internal static class DetectionRows
{
    /// <summary>The predicted boxes, scores and labels of every scored row.</summary>
    public static (List<float[]> Boxes, List<float[]> Scores, List<string[]> Labels) Columns(IDataView scored) =>
        (scored.GetColumn<float[]>("PredictedBoundingBoxes").ToList(),
         scored.GetColumn<float[]>("Score").ToList(),
         scored.GetColumn<string[]>("PredictedLabel").ToList());

    /// <summary>ML.NET's own EvaluateObjectDetection on the TorchSharp columns of a scored view.</summary>
    public static Microsoft.ML.TorchSharp.AutoFormerV2.ObjectDetectionMetrics Evaluate(MLContext ml, IDataView scored)
    {
        var s = scored.Schema;
        return ml.MulticlassClassification.EvaluateObjectDetection(scored, s["Label"], s["Box"], s["PredictedLabel"], s["PredictedBoundingBoxes"], s["Score"]);
    }

    /// <summary>The output columns have the types of ML.NET's TorchSharp ObjectDetection.</summary>
    public static void AssertDetectionColumnTypes(DataViewSchema s)
    {
        Assert.That(s["PredictedLabel"].Type, Is.EqualTo(new VectorDataViewType(TextDataViewType.Instance)));
        Assert.That(s["Score"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single)));
        Assert.That(s["PredictedBoundingBoxes"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single)));
    }

    /// <summary>Saves the model with its networks, loads it, and asserts the loaded one gives the same boxes, scores and labels; returns the original's columns.</summary>
    public static (List<float[]> Boxes, List<float[]> Scores, List<string[]> Labels) AssertSavedAndLoadedGiveTheSameBoxes(
        MLContext ml, ITransformer model, IDataView test, IDataView scored, string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{name}-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveWithNetworks(model, test.Schema, path);
            var loaded = ml.Model.LoadWithNetworks(path, out _);

            var before = Columns(scored);
            var after = Columns(loaded.Transform(test));
            Assert.That(after.Boxes, Is.EqualTo(before.Boxes));
            Assert.That(after.Scores, Is.EqualTo(before.Scores));
            Assert.That(after.Labels, Is.EqualTo(before.Labels));
            return before;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A PredictionEngine gives the first five test scenes the boxes, labels and scores Transform gave them.</summary>
    public static void AssertPredictionEngineGivesTheBoxesOfTransform(MLContext ml, ITransformer model, IDataView scored, DetectionData testData)
    {
        using var engine = ml.Model.CreatePredictionEngine<Scene, Prediction>(model);
        var transformed = Columns(scored);
        for (var i = 0; i < 5; i++)
        {
            var p = engine.Predict(new Scene { Features = testData.Images.Row(i).ToArray() });

            Assert.That(p.PredictedBoundingBoxes, Is.EqualTo(transformed.Boxes[i]), $"row {i}");
            Assert.That(p.PredictedLabel, Is.EqualTo(transformed.Labels[i]), $"row {i}");
            Assert.That(p.Score, Is.EqualTo(transformed.Scores[i]), $"row {i}");
        }
    }

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
