using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The part of a cursor that computes a transformer's added columns for a <see cref="RowBlock"/> at a time: the
/// <see cref="BlockCursor"/> has it read each input row into a slot, and the getters score the whole block once, at
/// the first call after the block was filled.
/// </summary>
internal abstract class BlockScorer : IDisposable
{
    /// <summary>Reads what the added columns need from the input's current row into <paramref name="slot"/>.</summary>
    /// <param name="slot">The row's index in the block.</param>
    public abstract void Read(int slot);

    /// <summary>The getters of the added columns (null where inactive), indexed as the output schema.</summary>
    public abstract Delegate?[] Getters { get; }

    /// <summary>Gives back what the scorer borrowed (a pooled network copy); its getters must not be called after.</summary>
    public virtual void Dispose()
    {
    }
}
