using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The lazy result of <see cref="NeuralNetworkTransformer.Transform"/>: nothing is computed until a cursor asks for the
/// added columns; cursor sets score in parallel, each cursor with its own copy of the network.
/// </summary>
internal sealed class ScoredDataView(NeuralNetworkTransformer model, IDataView input) : IDataView
{
    public DataViewSchema Schema { get; } = model.GetOutputSchema(input.Schema);

    public bool CanShuffle => input.CanShuffle;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (needed, isActive) = Active(columnsNeeded);
        return new ScoredCursor(model, input.GetRowCursor(needed, rand), Schema, isActive);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (needed, isActive) = Active(columnsNeeded);
        return [.. input.GetRowCursorSet(needed, n, rand).Select(c => (DataViewRowCursor)new ScoredCursor(model, c, Schema, isActive))];
    }

    private (IEnumerable<DataViewSchema.Column> Needed, Func<int, bool> IsActive) Active(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var active = columnsNeeded.ToList();
        var indices = active.Select(c => c.Index).ToHashSet();
        return ([.. ScoredColumns.Dependencies(model, input.Schema, active)], indices.Contains);
    }
}
