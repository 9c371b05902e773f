namespace MlNetDeep.Training;

/// <summary>
/// Rows held in memory as two tensors, features <c>[N, ...]</c> and targets <c>[N, ...]</c>: the source behind
/// <see cref="Trainer.Fit(Layers.Layer, Tensor, Tensor, TrainingOptions, Tensor?, Tensor?, Tensor?)"/>. Random access; a mini-batch is
/// a copy of its rows.
/// </summary>
public sealed class TensorBatchSource : BatchSource
{
    private readonly int[] _featureShape;
    private readonly int[] _targetShape;

    /// <summary>Wraps <paramref name="features"/> and <paramref name="targets"/> (not copied).</summary>
    /// <param name="features">The samples, <c>[N, ...]</c>.</param>
    /// <param name="targets">The targets, <c>[N, ...]</c>, in the form the loss expects.</param>
    /// <exception cref="ArgumentException">The two have different row counts.</exception>
    public TensorBatchSource(Tensor features, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Rows != targets.Rows)
        {
            throw new ArgumentException($"The features have {features.Rows} rows but the targets have {targets.Rows}.", nameof(targets));
        }

        Features = features;
        Targets = targets;
        _featureShape = features.Shape[1..].ToArray();
        _targetShape = targets.Shape[1..].ToArray();
    }

    /// <summary>The samples.</summary>
    public Tensor Features { get; }

    /// <summary>The targets.</summary>
    public Tensor Targets { get; }

    /// <inheritdoc />
    public override int Rows => Features.Rows;

    /// <inheritdoc />
    public override ReadOnlySpan<int> FeatureShape => _featureShape;

    /// <inheritdoc />
    public override ReadOnlySpan<int> TargetShape => _targetShape;

    /// <inheritdoc />
    public override bool HasRandomAccess => true;

    /// <inheritdoc />
    public override bool IsInMemory => true;

    /// <inheritdoc />
    public override BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch)
    {
        foreach (var r in rows.Span)
        {
            if ((uint)r >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row {r} is outside the source's {Rows} rows.");
            }
        }

        return new Cursor(this, rows);
    }

    private sealed class Cursor(TensorBatchSource source, ReadOnlyMemory<int> rows) : BatchCursor
    {
        private int _next;

        public override int Read(Tensor features, Tensor targets, Span<int> rowIds)
        {
            var count = Math.Min(features.Rows, rows.Length - _next);
            if (count <= 0)
            {
                return 0;
            }

            var batch = rows.Span.Slice(_next, count);
            Trainer.GatherInto(source.Features, batch, features);
            Trainer.GatherInto(source.Targets, batch, targets);
            batch.CopyTo(rowIds);
            _next += count;
            return count;
        }
    }
}
