namespace MlNetDeep.Training;

/// <summary>
/// Data augmentation applied by <see cref="Trainer"/> to every mini-batch before the forward pass (seed 001:
/// mirroring, random crops, colour shifts... enlarge the training set). The trainer keeps the original rows and asks
/// for each batch afresh, so every epoch sees new, reproducible draws; a validation set held out of the training data
/// goes through it in scoring mode (<c>training: false</c>), e.g. the centre crop.
/// </summary>
/// <remarks>
/// <para>
/// The draws of a row depend only on the seed, the epoch and the row's index in the data set, never on the mini-batch
/// it lands in or the thread that augments it: a source that streams its rows gives the same augmented samples as the
/// same rows in memory. A <see cref="BatchSource"/> that is not in memory is augmented on the background thread that
/// reads ahead of training.
/// </para>
/// <para>Implementations live outside Core (MlNetDeep.Vision's <c>ImageAugmentation</c> is one).</para>
/// </remarks>
public abstract class BatchAugmentation
{
    private readonly object _gatherGate = new();
    private Tensor? _gathered;

    /// <summary>The per-sample shape this augmentation produces from samples of shape <paramref name="inputShape"/>.</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>
    /// Writes the augmented rows of a mini-batch into <paramref name="destination"/>: row <c>i</c> of the destination
    /// from row <c>i</c> of <paramref name="batch"/>, which is row <c>rows[i]</c> of the data set.
    /// </summary>
    /// <param name="batch">The mini-batch as read, <c>[rows.Length, ..input shape]</c>.</param>
    /// <param name="rows">The index in the data set of each row of <paramref name="batch"/>: with <paramref name="seed"/> and <paramref name="epoch"/> it determines the row's draws.</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The epoch (1-based while training).</param>
    /// <param name="training">True while training; false for the deterministic scoring transform.</param>
    /// <param name="destination">Receives <c>[rows.Length, ..output shape]</c>.</param>
    public abstract void ApplyToBatch(Tensor batch, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination);

    /// <summary>
    /// Writes the augmented <paramref name="rows"/> of <paramref name="source"/> into <paramref name="destination"/>
    /// (row <c>i</c> of the destination from row <c>rows[i]</c> of the source, drawn as that row). By default the rows are
    /// gathered into a mini-batch buffer that the instance keeps (so a call allocates nothing once warm) and passed to
    /// <see cref="ApplyToBatch"/>; an implementation may read the source rows in place instead.
    /// </summary>
    /// <param name="source">All samples, <c>[N, ..input shape]</c>.</param>
    /// <param name="rows">The rows of <paramref name="source"/> to use, in batch order.</param>
    /// <param name="seed">The training seed; with <paramref name="epoch"/> and the row it determines every draw.</param>
    /// <param name="epoch">The epoch (1-based while training).</param>
    /// <param name="training">True while training; false for the deterministic scoring transform.</param>
    /// <param name="destination">Receives <c>[rows.Length, ..output shape]</c>.</param>
    public virtual void Apply(Tensor source, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var r in rows)
        {
            if ((uint)r >= (uint)source.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row {r} is outside the source's {source.Rows} rows.");
            }
        }

        if (rows.Length == 0)
        {
            return;
        }

        lock (_gatherGate)
        {
            var batch = Tensor.Ensure(ref _gathered, rows.Length, source.Shape[1..]);
            Trainer.GatherInto(source, rows, batch);
            ApplyToBatch(batch, rows, seed, epoch, training, destination);
        }
    }

    /// <summary>
    /// Moves one row's target (boxes, a mask) as <see cref="ApplyToBatch"/> moves that row's pixels, for the same seed,
    /// epoch and mode; returns false when the augmentation cannot say where it moves pixels (then such targets cannot be
    /// trained with it, and the trainer refuses). By default false.
    /// </summary>
    /// <param name="target">The row's target, of <paramref name="targetShape"/>.</param>
    /// <param name="targetShape">The target's shape.</param>
    /// <param name="kind">How the target moves with the pixels.</param>
    /// <param name="destination">Receives the moved target, of <see cref="SpatialTargets.OutputShape"/> for the augmented image's size.</param>
    /// <param name="inputShape">The per-sample image shape before augmentation, <c>[C, H, W]</c> or <c>[H, W]</c>.</param>
    /// <param name="row">The row's index in the data set.</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The epoch (1-based while training).</param>
    /// <param name="training">True while training; false for the scoring transform.</param>
    public virtual bool TryMoveTarget(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, SpatialTargets kind, Span<float> destination,
        ReadOnlySpan<int> inputShape, int row, ulong seed, int epoch, bool training) => false;

    /// <summary>
    /// Moves the targets of a mini-batch as <see cref="ApplyToBatch"/> moved its pixels: row <c>i</c> of
    /// <paramref name="destination"/> is row <c>i</c> of <paramref name="targets"/> moved as data-set row <c>rows[i]</c>'s
    /// pixels (<see cref="TryMoveTarget"/>).
    /// </summary>
    /// <param name="targets">The mini-batch's targets, <c>[rows.Length, ..target shape]</c>.</param>
    /// <param name="rows">The data-set index of each row.</param>
    /// <param name="inputShape">The per-sample image shape before augmentation.</param>
    /// <param name="kind">How the targets move.</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="training">True while training.</param>
    /// <param name="destination">Receives the moved targets, of <see cref="SpatialTargets.OutputShape"/> per row.</param>
    public void MoveTargets(Tensor targets, ReadOnlySpan<int> rows, ReadOnlySpan<int> inputShape, SpatialTargets kind, ulong seed, int epoch, bool training, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(destination);
        if (targets.Rows != rows.Length || destination.Rows != rows.Length)
        {
            throw new ArgumentException($"{rows.Length} row indices for {targets.Rows} target rows and {destination.Rows} destination rows.", nameof(rows));
        }

        var targetShape = targets.Shape[1..];
        var (tw, dw) = (targets.RowSize, destination.RowSize);
        for (var i = 0; i < rows.Length; i++)
        {
            if (!TryMoveTarget(targets.Data.AsSpan(i * tw, tw), targetShape, kind, destination.Data.AsSpan(i * dw, dw), inputShape, rows[i], seed, epoch, training))
            {
                throw new InvalidOperationException(
                    $"{GetType().Name} cannot say where it moves the pixels, so the {kind.GetType().Name} of the loss cannot move with them; "
                    + "use augmentation steps that report their geometry (crop, mirror, translation, scaling, rotation, colour and normalisation steps) or none.");
            }
        }
    }
}
