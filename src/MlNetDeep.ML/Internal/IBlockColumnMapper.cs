using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// An <see cref="IColumnMapper"/> whose added columns are cheaper to compute for many rows at once (a network's
/// forward pass over a mini-batch): Transform's cursors read a block of rows ahead and score it in one call
/// (<see cref="BlockCursor"/>), while the row-to-row mapper keeps scoring one row (PredictionEngine's latency).
/// </summary>
internal interface IBlockColumnMapper : IColumnMapper
{
    /// <summary>The rows per block: enough for a fast batch, few enough to bound each cursor's memory.</summary>
    int BlockRows { get; }

    /// <summary>A scorer for one cursor over <paramref name="input"/>, with the getters of the active added columns.</summary>
    /// <param name="input">The input cursor, whose current row <see cref="BlockScorer.Read"/> reads.</param>
    /// <param name="outputSchema">The input schema plus the added columns.</param>
    /// <param name="isActive">Which output columns the consumer asked for.</param>
    /// <param name="block">The cursor's block, telling the getters which row is current.</param>
    BlockScorer CreateBlockScorer(DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive, RowBlock block);
}
