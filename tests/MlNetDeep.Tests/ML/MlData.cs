using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;

namespace MlNetDeep.Tests.ML;

/// <summary>The committed data sets as ML.NET data views.</summary>
internal static class MlData
{
    public static IDataView Mnist(MLContext ml, string part) => Rows(ml, MlNetDeep.Data.Mnist.Load(DatasetPaths.Find("mnist"), part));

    public static IDataView Rows(MLContext ml, ClassificationData data)
    {
        var width = data.Features.RowSize;
        var rows = Enumerable.Range(0, data.Count)
            .Select(i => new Digit { Features = data.Features.Row(i).ToArray(), Label = (uint)data.Labels[i] })
            .ToList();
        var schema = SchemaDefinition.Create(typeof(Digit));
        schema[nameof(Digit.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    public static (IDataView Train, IDataView Test) BreastCancer(MLContext ml)
    {
        var data = SklearnCsv.Load(Path.Combine(DatasetPaths.Find("breast-cancer"), "breast_cancer.csv"));
        var (train, test) = data.StratifiedSplit(0.75, seed: 7);

        // sklearn's target 0 is malignant: the positive class here is "malignant".
        IDataView View(ClassificationData d) => ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, d.Count).Select(i => new Patient { Features = d.Features.Row(i).ToArray(), Label = d.Labels[i] == 0 }).ToList(),
            Schema<Patient>(30));
        return (View(train), View(test));
    }

    public static SchemaDefinition Schema<T>(int width)
    {
        var schema = SchemaDefinition.Create(typeof(T));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    public sealed class Digit
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    public sealed class Patient
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    public sealed class Point
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
