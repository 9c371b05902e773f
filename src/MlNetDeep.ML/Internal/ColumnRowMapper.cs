using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>The row-to-row mapper that CreatePredictionEngine needs: each GetRow gets its own getters.</summary>
internal sealed class ColumnRowMapper(IColumnMapper mapper, DataViewSchema inputSchema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => inputSchema;

    public DataViewSchema OutputSchema { get; } = mapper.GetOutputSchema(inputSchema);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        MappedColumns.Dependencies(mapper, inputSchema, dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var indices = activeColumns.Select(c => c.Index).ToHashSet();
        return new MappedRow(mapper, input, OutputSchema, indices.Contains);
    }
}
