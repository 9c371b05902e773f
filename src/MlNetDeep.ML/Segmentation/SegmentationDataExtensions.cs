using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;

namespace MlNetDeep.ML;

/// <summary>Turns the engine's segmentation sets (generated scenes, the coins photo) into ML.NET data views.</summary>
public static class SegmentationDataExtensions
{
    /// <summary>
    /// A data view with a <c>Features</c> column of type <c>Vector&lt;Single, C, H, W&gt;</c> and a <c>Label</c> mask column
    /// of type <c>Vector&lt;Key&lt;UInt32, K&gt;, H, W&gt;</c> (class c is key c + 1) whose key values are the class names,
    /// ready for <c>mlContext.MulticlassClassification.Trainers.SemanticSegmentation()</c>.
    /// </summary>
    public static IDataView ToDataView(this SegmentationData data, MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mlContext);
        var rows = new List<Row>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            var mask = data.Masks.Row(i);
            var keys = new uint[mask.Length];
            for (var p = 0; p < keys.Length; p++)
            {
                keys[p] = (uint)mask[p] + 1;
            }

            rows.Add(new Row { Features = data.Images.Row(i).ToArray(), Label = keys });
        }

        var shape = data.Images.Shape;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape[1], shape[2], shape[3]);
        var label = schema[nameof(Row.Label)];
        label.ColumnType = new VectorDataViewType(new KeyDataViewType(typeof(uint), data.ClassCount), shape[2], shape[3]);
        var names = new VBuffer<ReadOnlyMemory<char>>(data.ClassCount, [.. data.ClassNames.Select(n => n.AsMemory())]);
        label.AddAnnotation("KeyValues", names, new VectorDataViewType(TextDataViewType.Instance, data.ClassCount));
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint[] Label { get; set; } = [];
    }
}
