using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>The detection task's cases of the trainer core: what the training data hold, and the detector made from it.</summary>
internal static class DetectionTask
{
    /// <summary>
    /// Reads the label and box columns once: the class names (ordinal order), the most objects in a row and every valid
    /// box's shape; then lets the options create the detector for images of <paramref name="imageShape"/> [C, H, W].
    /// A malformed row is left to <see cref="BoxTargetReader"/>, which names it when the rows are read.
    /// </summary>
    public static (Detector Detector, int MaxObjects) CreateDetector(NeuralNetworkDetectionTrainer.Options options, IDataView data, int[] imageShape, ulong seed)
    {
        if (imageShape.Length != 3)
        {
            throw new ArgumentException(
                $"Detection reads images [C, H, W] from column '{options.FeatureColumnName}'; its shape is [{string.Join(", ", imageShape)}]. Give {nameof(NeuralNetworkOptions.FeatureShape)} = [C, H, W].");
        }

        var reader = new BoxTargetReader(options.LabelColumnName, options.BoxColumnName, ["?"], 1);
        var columns = reader.Columns(data.Schema);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var shapes = new List<(float Width, float Height)>();
        var maxObjects = 1;
        using (var cursor = data.GetRowCursor(columns))
        {
            var labels = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[0]);
            var boxes = cursor.GetGetter<VBuffer<float>>(columns[1]);
            VBuffer<ReadOnlyMemory<char>> label = default;
            VBuffer<float> box = default;
            while (cursor.MoveNext())
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                labels(ref label);
                boxes(ref box);
                foreach (var name in label.DenseValues())
                {
                    names.Add(name.ToString());
                }

                maxObjects = Math.Max(maxObjects, Math.Max(label.Length, box.Length / 4));
                var values = box.DenseValues().ToArray();
                for (var k = 0; k + 3 < values.Length; k += 4)
                {
                    var (w, h) = (values[k + 2] - values[k], values[k + 3] - values[k + 1]);
                    if (w > 0 && h > 0 && float.IsFinite(w) && float.IsFinite(h))
                    {
                        shapes.Add((w, h));
                    }
                }
            }
        }

        if (names.Count == 0)
        {
            throw new ArgumentException($"Column '{options.LabelColumnName}' names no object in any row: a detector needs at least one class.");
        }

        var problem = new DetectionProblem(imageShape[0], imageShape[1], imageShape[2], [.. names], maxObjects, shapes, seed);
        var detector = options.CreateDetector(problem);
        if (detector.Channels != problem.Channels || detector.ImageHeight != problem.ImageHeight || detector.ImageWidth != problem.ImageWidth
            || !detector.ClassNames.SequenceEqual(problem.ClassNames, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"{options.GetType().Name}.CreateDetector made a detector of images [{detector.Channels}, {detector.ImageHeight}, {detector.ImageWidth}] and classes [{string.Join(", ", detector.ClassNames)}]; the data hold [{string.Join(", ", imageShape)}] and [{string.Join(", ", names)}].");
        }

        return (detector, maxObjects);
    }

    /// <summary>The target reader of the detection columns, for the detector's classes.</summary>
    public static BoxTargetReader TargetReader(NeuralNetworkDetectionTrainer.Options options, Detector detector, int maxObjects) =>
        new(options.LabelColumnName, options.BoxColumnName, detector.ClassNames, maxObjects);

    /// <summary>Null when the schema shape has the detection columns, else what is wrong.</summary>
    public static string? CheckColumns(SchemaShape input, NeuralNetworkDetectionTrainer.Options options, SchemaShape.Column label)
    {
        if (label.ItemType is not TextDataViewType || label.Kind == SchemaShape.Column.VectorKind.Scalar)
        {
            return $"Label column '{options.LabelColumnName}' must be a vector of text (one class name per object); it is {label.Kind} of {label.ItemType}.";
        }

        var box = Internal.SchemaShapeColumns.Find(input, options.BoxColumnName);
        return box is not { } b
            ? $"The input has no column '{options.BoxColumnName}' for the boxes."
            : b.ItemType != NumberDataViewType.Single || b.Kind == SchemaShape.Column.VectorKind.Scalar
                ? $"Column '{options.BoxColumnName}' must be a vector of Single (xmin, ymin, xmax, ymax per object); it is {b.Kind} of {b.ItemType}."
                : null;
    }
}
