using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

// Loads a pipeline saved by mlContext.Model.Save and scores rows with it, as an application that knows nothing of the
// library that trained the model would: stock ML.NET, its ONNX transformer and ONNX Runtime only.
//   MlNetDeep.StockConsumer MODEL.zip INPUT.tsv OUTPUT.tsv [FEATURES LABEL COLUMNS]
// INPUT has one row per line: the label (text or true/false), a tab, then the features separated by spaces; they are the
// columns FEATURES and LABEL (Features and Label unless given). OUTPUT has, per row, those of COLUMNS (comma-separated;
// Score,Probability,PredictedLabel unless given) that exist, as name=value separated by tabs; a key is written as its raw
// value and its key value (raw:value).
if (args.Length is not (3 or 6))
{
    Console.Error.WriteLine("usage: MlNetDeep.StockConsumer MODEL.zip INPUT.tsv OUTPUT.tsv [FEATURES LABEL COLUMNS]");
    return 2;
}

var (featuresName, labelName, wanted) = args.Length == 6
    ? (args[3], args[4], args[5].Split(','))
    : ("Features", "Label", ["Score", "Probability", "PredictedLabel"]);
var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out var inputSchema);
var featuresType = (VectorDataViewType)inputSchema[featuresName].Type;
var labelType = inputSchema[labelName].Type;
var lines = File.ReadAllLines(args[1]).Where(l => l.Length > 0).ToArray();
float[] Features(string line) => [.. line.Split('\t')[1].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture))];
SchemaDefinition Definition(Type row)
{
    var definition = SchemaDefinition.Create(row);
    definition["Features"].ColumnType = featuresType;
    definition["Features"].ColumnName = featuresName;
    definition["Label"].ColumnName = labelName;
    return definition;
}

IDataView data = labelType is BooleanDataViewType
    ? ml.Data.LoadFromEnumerable(lines.Select(l => new BoolRow { Label = bool.Parse(l.Split('\t')[0]), Features = Features(l) }), Definition(typeof(BoolRow)))
    : ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Label = l.Split('\t')[0], Features = Features(l) }), Definition(typeof(TextRow)));

var scored = model.Transform(data);
var columns = wanted.Where(c => scored.Schema.GetColumnOrNull(c) is not null).Select(c => scored.Schema[c]).ToArray();
var output = new StringBuilder();
using (var cursor = scored.GetRowCursor(columns))
{
    var writers = columns.Select(c => ScoreText.Writer(cursor, c)).ToArray();
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
