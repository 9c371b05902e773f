namespace MlNetDeep.Training;

/// <summary>
/// Data augmentation applied by <see cref="Trainer"/> to every mini-batch before the forward pass (seed 001:
/// mirroring, random crops, colour shifts... enlarge the training set). The trainer keeps the original rows and asks
/// for each batch afresh, so every epoch sees new, reproducible draws; a validation set held out of the training data
/// goes through it in scoring mode (<c>training: false</c>), e.g. the centre crop.
/// </summary>
/// <remarks>Implementations live outside Core (MlNetDeep.Vision's <c>ImageAugmentation</c> is one).</remarks>
public abstract class BatchAugmentation
{
    /// <summary>The per-sample shape this augmentation produces from samples of shape <paramref name="inputShape"/>.</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>
    /// Writes the augmented <paramref name="rows"/> of <paramref name="source"/> into <paramref name="destination"/>
    /// (row <c>i</c> of the destination from row <c>rows[i]</c> of the source).
    /// </summary>
    /// <param name="source">All samples, <c>[N, ..input shape]</c>.</param>
    /// <param name="rows">The rows of <paramref name="source"/> to use, in batch order.</param>
    /// <param name="seed">The training seed; with <paramref name="epoch"/> and the row it determines every draw.</param>
    /// <param name="epoch">The epoch (1-based while training).</param>
    /// <param name="training">True while training; false for the deterministic scoring transform.</param>
    /// <param name="destination">Receives <c>[rows.Length, ..output shape]</c>.</param>
    public abstract void Apply(Tensor source, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination);
}
