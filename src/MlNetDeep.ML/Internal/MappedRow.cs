using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>A single mapped row over an input row (PredictionEngine's path).</summary>
internal sealed class MappedRow(IColumnMapper mapper, DataViewRow input, DataViewSchema schema, Func<int, bool> isActive) : DataViewRow
{
    private readonly MappedColumns _columns = new(mapper, input, schema, isActive);

    public override DataViewSchema Schema => schema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _columns.IsActive(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _columns.GetGetter<TValue>(column);
}
