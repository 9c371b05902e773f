using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;

namespace MlNetDeep.ML;

/// <summary>Turns the engine's in-memory data sets (MNIST, the sklearn CSVs) into ML.NET data views.</summary>
public static class ClassificationDataExtensions
{
    /// <summary>
    /// A data view with a <c>Features</c> column of type <c>Vector&lt;Single, ..shape&gt;</c> (MNIST keeps its
    /// [1, 28, 28] dimensions) and a text <c>Label</c> column holding the class names; map it to a key with
    /// <c>MapValueToKey("Label")</c>, and the class names become the key values.
    /// </summary>
    public static IDataView ToDataView(this ClassificationData data, MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(mlContext);
        var rows = new List<Row>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            rows.Add(new Row { Features = data.Features.Row(i).ToArray(), Label = data.ClassNames[data.Labels[i]] });
        }

        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Features.Shape[1..].ToArray());
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }
}
