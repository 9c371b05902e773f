using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>A mapped cursor over an input cursor (Transform's path).</summary>
internal sealed class MappedCursor(IColumnMapper mapper, DataViewRowCursor input, DataViewSchema schema, Func<int, bool> isActive) : DataViewRowCursor
{
    private readonly MappedColumns _columns = new(mapper, input, schema, isActive);

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
