using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>The scalar label of classification, regression and embedding (an identity key): a key's class index, a Boolean's 0/1, or a Single's value.</summary>
internal sealed class LabelTargetReader(string column, NeuralNetworkTask task) : TargetReader
{
    public override int[] Shape => [];

    public override IReadOnlyList<DataViewSchema.Column> Columns(DataViewSchema schema) =>
        [schema.GetColumnOrNull(column) ?? throw new ArgumentException($"The data have no column '{column}' for the label.")];

    public override string Describe(DataViewSchema schema) => $"{column}|{schema[column].Type}|{task}";

    public override TargetGetter Bind(DataViewRow row)
    {
        var label = row.Schema[column];
        switch (task)
        {
            case NeuralNetworkTask.MulticlassClassification or NeuralNetworkTask.Embedding:
                var key = row.GetGetter<uint>(label);
                return (destination, index, role) =>
                {
                    uint v = 0;
                    key(ref v);
                    destination[0] = v == 0 ? Missing(index, role) : v - 1;
                };
            case NeuralNetworkTask.BinaryClassification:
                var flag = row.GetGetter<bool>(label);
                return (destination, _, _) =>
                {
                    var v = false;
                    flag(ref v);
                    destination[0] = v ? 1f : 0f;
                };
            default:
                var value = row.GetGetter<float>(label);
                return (destination, index, role) =>
                {
                    var v = 0f;
                    value(ref v);
                    destination[0] = float.IsFinite(v) ? v : Missing(index, role);
                };
        }
    }

    private float Missing(long row, string role) =>
        throw new ArgumentException($"The {role} data have a missing or non-finite label in column '{column}' at row {row}.");
}
