namespace MlNetDeep.Training;

/// <summary>One pass of a <see cref="BatchSource"/>: reads its rows a mini-batch at a time.</summary>
public abstract class BatchCursor : IDisposable
{
    /// <summary>
    /// Reads the next rows of the pass into the first rows of <paramref name="features"/> (<c>[n, ..FeatureShape]</c>) and
    /// <paramref name="targets"/> (<c>[n, ..TargetShape]</c>), and the index of each row in the source into
    /// <paramref name="rows"/>: as many rows as <paramref name="features"/> has, fewer only when the pass ends (0 once it is over).
    /// Augmentation draws depend on these indices, so a row gets the same draws whichever source delivers it.
    /// </summary>
    /// <returns>The number of rows read.</returns>
    /// <remarks>A row that cannot be read, or that holds a NaN or infinite value, is an exception naming the row.</remarks>
    public abstract int Read(Tensor features, Tensor targets, Span<int> rows);

    /// <summary>Ends the pass.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the pass holds (such as an open data view cursor).</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
