using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

// Loads a pipeline saved by mlContext.Model.Save and scores rows with it, as an application that knows nothing of the
// library that trained the model would: stock ML.NET, its ONNX transformer and ONNX Runtime only.
//   MlNetDeep.StockConsumer MODEL.zip INPUT.tsv OUTPUT.tsv
// INPUT has one row per line: the label (text or true/false), a tab, then the features separated by spaces.
// OUTPUT has, per row, the columns Score, Probability and PredictedLabel that exist, as name=value separated by tabs;
// a key is written as its raw value and its key value (raw:value).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: MlNetDeep.StockConsumer MODEL.zip INPUT.tsv OUTPUT.tsv");
    return 2;
}

var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out var inputSchema);
var featuresType = (VectorDataViewType)inputSchema["Features"].Type;
var labelType = inputSchema["Label"].Type;
var lines = File.ReadAllLines(args[1]).Where(l => l.Length > 0).ToArray();
float[] Features(string line) => [.. line.Split('\t')[1].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture))];
IDataView data;
if (labelType is BooleanDataViewType)
{
    var definition = SchemaDefinition.Create(typeof(BoolRow));
    definition["Features"].ColumnType = featuresType;
    data = ml.Data.LoadFromEnumerable(lines.Select(l => new BoolRow { Label = bool.Parse(l.Split('\t')[0]), Features = Features(l) }), definition);
}
else
{
    var definition = SchemaDefinition.Create(typeof(TextRow));
    definition["Features"].ColumnType = featuresType;
    data = ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Label = l.Split('\t')[0], Features = Features(l) }), definition);
}

var scored = model.Transform(data);
var columns = new[] { "Score", "Probability", "PredictedLabel" }.Where(c => scored.Schema.GetColumnOrNull(c) is not null).Select(c => scored.Schema[c]).ToArray();
var output = new StringBuilder();
using (var cursor = scored.GetRowCursor(columns))
{
    var writers = columns.Select(c => Writer(cursor, c)).ToArray();
    while (cursor.MoveNext())
    {
        output.AppendLine(string.Join('\t', columns.Select((c, i) => $"{c.Name}={writers[i]()}")));
    }
}

File.WriteAllText(args[2], output.ToString());

// Proof of the premise: nothing of the training library came into this process.
var foreign = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).Where(n => n?.StartsWith("MlNetDeep.", StringComparison.Ordinal) == true && n != "MlNetDeep.StockConsumer").ToArray();
if (foreign.Length > 0)
{
    Console.Error.WriteLine("loaded " + string.Join(", ", foreign));
    return 3;
}

Console.WriteLine($"scored {lines.Length} rows; columns {string.Join(", ", columns.Select(c => $"{c.Name}: {c.Type}"))}");
return 0;

static Func<string> Writer(DataViewRow row, DataViewSchema.Column column)
{
    string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
    switch (column.Type)
    {
        case VectorDataViewType:
        {
            var getter = row.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            return () =>
            {
                getter(ref buffer);
                return string.Join(',', buffer.DenseValues().Select(F));
            };
        }

        case KeyDataViewType:
        {
            var getter = row.GetGetter<uint>(column);
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetKeyValues(ref names);
            var values = names.DenseValues().Select(v => v.ToString()).ToArray();
            return () =>
            {
                uint key = 0;
                getter(ref key);
                return $"{key}:{(key == 0 ? string.Empty : values[key - 1])}";
            };
        }

        case BooleanDataViewType:
        {
            var getter = row.GetGetter<bool>(column);
            return () =>
            {
                var v = false;
                getter(ref v);
                return v ? "true" : "false";
            };
        }

        default:
        {
            var getter = row.GetGetter<float>(column);
            return () =>
            {
                var v = 0f;
                getter(ref v);
                return F(v);
            };
        }
    }
}

internal sealed class TextRow
{
    public string Label { get; set; } = string.Empty;

    public float[] Features { get; set; } = [];
}

internal sealed class BoolRow
{
    public bool Label { get; set; }

    public float[] Features { get; set; } = [];
}
