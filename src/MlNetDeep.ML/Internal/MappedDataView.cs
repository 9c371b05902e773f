using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The lazy result of an MlNetDeep transformer's Transform: nothing is computed until a cursor asks for the added
/// columns; cursor sets map in parallel, each cursor with its own getters (and, for a network, its own copy). A network's
/// cursors score blocks of rows (<see cref="BlockCursor"/>), other steps' cursors one row at a time.
/// </summary>
internal sealed class MappedDataView(IColumnMapper mapper, IDataView input) : IDataView
{
    private bool? _cheapInput;

    public DataViewSchema Schema { get; } = mapper.GetOutputSchema(input.Schema);

    public bool CanShuffle => input.CanShuffle;

    public long? GetRowCount() => input.GetRowCount();

    /// <remarks>
    /// A network reads a cheap input through one cursor of a set and a costly one through ML.NET's merged parallel
    /// cursors (<see cref="ReadCost"/>); the choice is made once per view, at its first block cursor.
    /// </remarks>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (needed, isActive) = Active(columnsNeeded);
        if (Blocks(isActive) && (_cheapInput ??= ReadCost.IsCheap(input, needed)))
        {
            var set = input.GetRowCursorSet(needed, 1, rand);
            if (set.Length == 1)
            {
                return Cursor(set[0], isActive);
            }

            foreach (var extra in set)
            {
                extra.Dispose();
            }
        }

        return Cursor(input.GetRowCursor(needed, rand), isActive);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (needed, isActive) = Active(columnsNeeded);
        return [.. input.GetRowCursorSet(needed, n, rand).Select(c => Cursor(c, isActive))];
    }

    /// <summary>A block cursor where the mapper scores blocks and the wanted columns can be buffered, else a row-by-row one.</summary>
    private DataViewRowCursor Cursor(DataViewRowCursor cursor, Func<int, bool> isActive) =>
        Blocks(isActive)
            ? new BlockCursor((IBlockColumnMapper)mapper, cursor, Schema, isActive)
            : new MappedCursor(mapper, cursor, Schema, isActive);

    private bool Blocks(Func<int, bool> isActive) => mapper is IBlockColumnMapper && BlockCursor.Serves(input.Schema, Schema, isActive);

    private (IEnumerable<DataViewSchema.Column> Needed, Func<int, bool> IsActive) Active(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var active = columnsNeeded.ToList();
        var indices = active.Select(c => c.Index).ToHashSet();
        return ([.. MappedColumns.Dependencies(mapper, input.Schema, active)], indices.Contains);
    }
}
