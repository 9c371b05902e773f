using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// What MlNetDeep's transformers share: they append columns computed row by row from one input column, lazily and
/// per cursor (<see cref="MappedDataView"/>, <see cref="MappedCursor"/>) or per prediction row (<see cref="ColumnRowMapper"/>).
/// </summary>
internal interface IColumnMapper
{
    /// <summary>The input column the added columns are computed from.</summary>
    string InputColumnName { get; }

    /// <summary>The input schema plus the added columns.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>
    /// The getters of the added columns (indices at and above the input's column count) that are active, computing from
    /// the current values of <paramref name="input"/>; one call per cursor or row, so getters may keep private buffers.
    /// </summary>
    Delegate?[] CreateGetters(DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive);
}
