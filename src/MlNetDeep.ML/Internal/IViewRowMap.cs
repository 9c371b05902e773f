namespace MlNetDeep.ML.Internal;

/// <summary>
/// Where a source's rows come from in its data view: a source leaves out rows it could not read, so its row r is not
/// always the view's row r. Per-row values read in a separate pass over the view (example weights) follow this map.
/// </summary>
internal interface IViewRowMap
{
    /// <summary>The view row that is the source's row <paramref name="row"/>.</summary>
    int ViewRow(int row);
}
