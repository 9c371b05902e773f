namespace MlNetDeep.Training;

/// <summary>
/// Where <see cref="Trainer"/> takes its mini-batches from: a data set of <see cref="Rows"/> rows, each a features sample
/// of <see cref="FeatureShape"/> and a target of <see cref="TargetShape"/>, read one mini-batch at a time through a
/// <see cref="BatchCursor"/>. In-memory tensors are one source (<see cref="TensorBatchSource"/>); a stream that decodes
/// its rows as it goes (an ML.NET data view, a file of rows) is another, and then the data never need to fit in memory.
/// </summary>
/// <remarks>
/// <para>
/// The trainer opens one pass per epoch over the training rows, and one per epoch over the validation rows. A source with
/// <see cref="HasRandomAccess"/> delivers the rows in the order the trainer asks, the permutation it draws from
/// <see cref="TrainingOptions.Seed"/> (the same as for in-memory tensors, so the same seed gives the same model); a
/// source without it reads in its own order and shuffles by itself, reproducibly from the seed and the epoch.
/// </para>
/// <para>
/// Unless the source is <see cref="IsInMemory"/>, a background thread reads (and augments) the next mini-batches while
/// the network trains on the current one (<see cref="TrainingOptions.ReadAhead"/>): a cursor is used by one thread at a
/// time, but not always the thread that opened it.
/// </para>
/// </remarks>
public abstract class BatchSource : IDisposable
{
    /// <summary>The number of rows; a pass is over a subset of <c>[0, Rows)</c>.</summary>
    public abstract int Rows { get; }

    /// <summary>The shape of one features sample, before any <see cref="TrainingOptions.Augmentation"/>.</summary>
    public abstract ReadOnlySpan<int> FeatureShape { get; }

    /// <summary>The shape of one target (empty for a scalar such as a class index).</summary>
    public abstract ReadOnlySpan<int> TargetShape { get; }

    /// <summary>
    /// True when <see cref="Open"/> delivers the rows in the order given (random access by row index); false when the
    /// source reads in its own order.
    /// </summary>
    public abstract bool HasRandomAccess { get; }

    /// <summary>True when the rows are in memory, so reading a mini-batch is a copy that a background thread would not speed up.</summary>
    public virtual bool IsInMemory => false;

    /// <summary>
    /// Starts a pass over <paramref name="rows"/>: row indices in <c>[0, Rows)</c>, which the pass delivers each time they
    /// appear. With <see cref="HasRandomAccess"/> they come in the order given and may repeat (a
    /// <see cref="BatchSampler"/> such as <see cref="PkBatchSampler"/> repeats the rows of an identity with fewer examples
    /// than its share of the epoch; a repeated row is read again, and augmented with the same draws within an epoch);
    /// otherwise they are distinct (the trainer refuses a sampler for such a source) and come in the source's order,
    /// shuffled when <paramref name="shuffle"/> is true with draws that depend only on <paramref name="seed"/> and
    /// <paramref name="epoch"/>. A row that the source cannot read may be left out if the source was told to skip such
    /// rows; the pass then ends earlier.
    /// </summary>
    /// <param name="rows">The rows of the pass; the cursor may keep a reference to them until it is disposed.</param>
    /// <param name="shuffle">For a source without random access: shuffle the rows (training) rather than read them in order (validation).</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The 1-based epoch, or 0 for a validation pass.</param>
    /// <returns>A cursor over the pass; dispose it when done.</returns>
    public abstract BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch);

    /// <summary>Releases the source's resources (files, cursors).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the source's resources.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
