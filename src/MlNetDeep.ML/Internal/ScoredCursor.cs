using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>A scored cursor over an input cursor (Transform's path), one network copy per cursor.</summary>
internal sealed class ScoredCursor(NeuralNetworkTransformer model, DataViewRowCursor input, DataViewSchema schema, Func<int, bool> isActive) : DataViewRowCursor
{
    private readonly ScoredColumns _columns = new(model, input, schema, isActive);

    public override DataViewSchema Schema => schema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override bool MoveNext() => input.MoveNext();

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            input.Dispose();
        }

        base.Dispose(disposing);
    }
}
