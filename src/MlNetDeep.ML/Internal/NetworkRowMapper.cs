using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>The row-to-row mapper that CreatePredictionEngine needs: each GetRow gets its own copy of the network.</summary>
internal sealed class NetworkRowMapper(NeuralNetworkTransformer model, DataViewSchema inputSchema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => inputSchema;

    public DataViewSchema OutputSchema { get; } = model.GetOutputSchema(inputSchema);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        ScoredColumns.Dependencies(model, inputSchema, dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var indices = activeColumns.Select(c => c.Index).ToHashSet();
        return new ScoredRow(model, input, OutputSchema, indices.Contains);
    }
}
