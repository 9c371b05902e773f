namespace MlNetDeep.Training;

/// <summary>
/// Decides the rows of each training epoch and their order, in place of <see cref="Trainer"/>'s shuffle
/// (<see cref="TrainingOptions.BatchSampler"/>): consecutive runs of <see cref="TrainingOptions.BatchSize"/> rows of the
/// arrangement are the epoch's mini-batches. A sampler may repeat or leave out rows (P identities × K examples per batch,
/// class balancing). The arrangement must depend only on the rows, the seed and the epoch: the same seed gives the same
/// mini-batches, hence the same bits.
/// </summary>
/// <remarks>The training source must have random access (<see cref="BatchSource.HasRandomAccess"/>).</remarks>
public abstract class BatchSampler
{
    /// <summary>
    /// How many rows every epoch's arrangement has, for the given training rows and mini-batch size; also checks that the
    /// sampler can arrange those rows and throws <see cref="ArgumentException"/> naming what is wrong.
    /// </summary>
    /// <param name="rows">The training rows (source row indices; the rows held out for validation are not among them).</param>
    /// <param name="batchSize">The mini-batch size.</param>
    public abstract int RowsPerEpoch(ReadOnlySpan<int> rows, int batchSize);

    /// <summary>Writes the rows of <paramref name="epoch"/>, in training order, into <paramref name="destination"/>.</summary>
    /// <param name="rows">The training rows, as given to <see cref="RowsPerEpoch"/>.</param>
    /// <param name="batchSize">The mini-batch size.</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The 1-based epoch.</param>
    /// <param name="destination">Exactly <see cref="RowsPerEpoch"/> source row indices.</param>
    public abstract void Arrange(ReadOnlySpan<int> rows, int batchSize, ulong seed, int epoch, Span<int> destination);
}
