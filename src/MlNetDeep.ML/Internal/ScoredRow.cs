using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>A single scored row over an input row (PredictionEngine's path).</summary>
internal sealed class ScoredRow(NeuralNetworkTransformer model, DataViewRow input, DataViewSchema schema, Func<int, bool> isActive) : DataViewRow
{
    private readonly ScoredColumns _columns = new(model, input, schema, isActive);

    public override DataViewSchema Schema => schema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);
}
