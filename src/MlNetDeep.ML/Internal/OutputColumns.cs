using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Segmentation;

namespace MlNetDeep.ML.Internal;

/// <summary>The columns a trained network adds, per task, as ML.NET's evaluators read them (DESIGN.md).</summary>
internal static class OutputColumns
{
    public const string Score = "Score";
    public const string PredictedLabel = "PredictedLabel";
    public const string Probability = "Probability";
    public const string Boxes = "PredictedBoundingBoxes";

    /// <summary>The added columns with their types and annotations.</summary>
    public static IReadOnlyList<DataViewSchema.DetachedColumn> Detached(NeuralNetworkTask task, int classes, LabelKeyValues? keyValues, OutputColumnNames? names = null, SegmentationOutput? segmentation = null)
    {
        var n = names ?? OutputColumnNames.Default;
        return task switch
        {
            NeuralNetworkTask.Segmentation => SegmentationColumns(segmentation!, keyValues, n),
            NeuralNetworkTask.MulticlassClassification =>
            [
                new(n.Score, new VectorDataViewType(NumberDataViewType.Single, classes), keyValues?.SlotNamesAnnotations()),
                new(n.PredictedLabel, new KeyDataViewType(typeof(uint), classes), keyValues?.KeyValuesAnnotations()),
            ],
            NeuralNetworkTask.BinaryClassification =>
            [
                new(n.Score, NumberDataViewType.Single),
                new(n.Probability, NumberDataViewType.Single),
                new(n.PredictedLabel, BooleanDataViewType.Instance),
            ],
            NeuralNetworkTask.Embedding => [new(n.Score, new VectorDataViewType(NumberDataViewType.Single, classes))],
            NeuralNetworkTask.Detection =>
            [
                new(n.PredictedLabel, new VectorDataViewType(TextDataViewType.Instance)),
                new(n.Score, new VectorDataViewType(NumberDataViewType.Single)),
                new(n.Boxes, new VectorDataViewType(NumberDataViewType.Single)),
            ],
            _ => [new(n.Score, NumberDataViewType.Single)],
        };
    }

    /// <summary>PredictedMask [H, W] (keys with the mask's key values, or UInt32), after Score [K, H, W] when asked for.</summary>
    private static DataViewSchema.DetachedColumn[] SegmentationColumns(SegmentationOutput s, LabelKeyValues? keyValues, OutputColumnNames n)
    {
        PrimitiveDataViewType item = s.KeyMask ? new KeyDataViewType(typeof(uint), s.Classes) : NumberDataViewType.UInt32;
        var mask = new DataViewSchema.DetachedColumn(n.PredictedLabel, new VectorDataViewType(item, s.Height, s.Width), s.KeyMask ? keyValues?.KeyValuesAnnotations() : null);
        return s.Scores
            ? [new(n.Score, new VectorDataViewType(NumberDataViewType.Single, s.Classes, s.Height, s.Width)), mask]
            : [mask];
    }

    /// <summary>The input schema followed by the added columns (a later column hides an earlier one of the same name).</summary>
    public static DataViewSchema Append(DataViewSchema input, IEnumerable<DataViewSchema.DetachedColumn> added)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumns(added);
        return builder.ToSchema();
    }

    /// <summary>The same columns as schema shapes, for an estimator's GetOutputSchema.</summary>
    /// <remarks>For segmentation, <c>segmentationScores</c> says whether the per-pixel Score column is added.</remarks>
    public static IEnumerable<SchemaShape.Column> Shapes(NeuralNetworkTask task, SchemaShape.Column? label, OutputColumnNames? names = null, bool segmentationScores = false)
    {
        var n = names ?? OutputColumnNames.Default;
        var keyValues = label?.Annotations.Where(a => a.Name == "KeyValues").ToArray() ?? [];
        var textKeys = keyValues.Length == 1 && keyValues[0].ItemType is TextDataViewType;
        switch (task)
        {
            case NeuralNetworkTask.MulticlassClassification:
                yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                    textKeys ? new SchemaShape([SchemaShapeColumns.Create("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false)]) : null);
                yield return SchemaShapeColumns.Create(n.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(keyValues));
                break;
            case NeuralNetworkTask.BinaryClassification:
                yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
                yield return SchemaShapeColumns.Create(n.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
                yield return SchemaShapeColumns.Create(n.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
                break;
            case NeuralNetworkTask.Segmentation:
                if (segmentationScores)
                {
                    yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
                }

                yield return SchemaShapeColumns.Create(n.PredictedLabel, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.UInt32, label?.IsKey ?? false, label?.IsKey == true ? new SchemaShape(keyValues) : null);
                break;
            case NeuralNetworkTask.Embedding:
                yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
                break;
            case NeuralNetworkTask.Detection:
                yield return SchemaShapeColumns.Create(n.PredictedLabel, SchemaShape.Column.VectorKind.VariableVector, TextDataViewType.Instance, false);
                yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, false);
                yield return SchemaShapeColumns.Create(n.Boxes, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, false);
                break;
            default:
                yield return SchemaShapeColumns.Create(n.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
                break;
        }
    }
}
