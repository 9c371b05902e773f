using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>Turns the engine's detection data (such as <see cref="DetectionScenes"/>) into an ML.NET data view in ML.NET's detection columns.</summary>
public static class DetectionDataExtensions
{
    /// <summary>
    /// A data view with <c>Features</c> (the image, <c>Vector&lt;Single, C, H, W&gt;</c>), <c>Label</c> (a vector of text,
    /// one class name per object) and <c>Box</c> (a vector of Single, xmin, ymin, xmax, ymax per object, in pixels): the
    /// columns of ML.NET's TorchSharp ObjectDetection trainer and of <c>mlContext.MulticlassClassification.Trainers.Yolo</c>.
    /// </summary>
    /// <param name="data">The images and their objects.</param>
    /// <param name="mlContext">The context.</param>
    public static IDataView ToDataView(this DetectionData data, MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mlContext);
        var rows = new List<Row>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            var objects = data.Objects(i);
            rows.Add(new Row
            {
                Features = data.Images.Row(i).ToArray(),
                Label = [.. objects.Select(o => data.ClassNames[o.ClassIndex])],
                Box = [.. objects.SelectMany(o => new[] { o.Box.XMin, o.Box.YMin, o.Box.XMax, o.Box.YMax })],
            });
        }

        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Images.Shape[1..].ToArray());
        schema[nameof(Row.Label)].ColumnType = new VectorDataViewType(TextDataViewType.Instance);
        schema[nameof(Row.Box)].ColumnType = new VectorDataViewType(NumberDataViewType.Single);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>
    /// The detections of every row of a scored view, read from its detection columns (class names mapped back to indices
    /// of <paramref name="classNames"/>).
    /// </summary>
    /// <param name="scored">The output of a detection model's Transform.</param>
    /// <param name="classNames">The class names, indexed by class.</param>
    /// <param name="predictedLabelColumnName">The predicted class names column.</param>
    /// <param name="scoreColumnName">The confidences column.</param>
    /// <param name="predictedBoundingBoxesColumnName">The predicted boxes column.</param>
    public static List<List<DetectedObject>> ReadDetections(
        this IDataView scored, IReadOnlyList<string> classNames,
        string predictedLabelColumnName = "PredictedLabel", string scoreColumnName = "Score", string predictedBoundingBoxesColumnName = "PredictedBoundingBoxes")
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentNullException.ThrowIfNull(classNames);
        var index = classNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        var s = scored.Schema;
        var columns = new[] { s[predictedLabelColumnName], s[scoreColumnName], s[predictedBoundingBoxesColumnName] };
        var result = new List<List<DetectedObject>>();
        using var cursor = scored.GetRowCursor(columns);
        var labels = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[0]);
        var scores = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var boxes = cursor.GetGetter<VBuffer<float>>(columns[2]);
        VBuffer<ReadOnlyMemory<char>> l = default;
        VBuffer<float> sc = default, b = default;
        while (cursor.MoveNext())
        {
            labels(ref l);
            scores(ref sc);
            boxes(ref b);
            var names = l.DenseValues().ToArray();
            var conf = sc.DenseValues().ToArray();
            var corners = b.DenseValues().ToArray();
            var row = new List<DetectedObject>(names.Length);
            for (var k = 0; k < names.Length; k++)
            {
                row.Add(new DetectedObject(
                    new BoundingBox(corners[4 * k], corners[(4 * k) + 1], corners[(4 * k) + 2], corners[(4 * k) + 3]),
                    index.TryGetValue(names[k].ToString(), out var c) ? c : -1, conf[k]));
            }

            result.Add(row);
        }

        return result;
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public string[] Label { get; set; } = [];

        public float[] Box { get; set; } = [];
    }
}
