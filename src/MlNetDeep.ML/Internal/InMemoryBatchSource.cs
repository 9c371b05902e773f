using System.Runtime.InteropServices;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Rows read from a data view into memory, in chunks of at most 16 MB (or one row): memory is the data's size with no
/// copy at the end, and no single array caps the row count. Random access, like tensors, so the same seed trains the
/// same model as <see cref="Trainer.Fit(MlNetDeep.Layers.Layer, Tensor, Tensor, TrainingOptions, Tensor?, Tensor?, Tensor?)"/>.
/// </summary>
internal sealed class InMemoryBatchSource : BatchSource, IViewRowMap
{
    private const int ChunkValues = 1 << 22;

    private readonly List<float[]> _chunks = [];
    private readonly List<float> _targets = [];
    private readonly List<int> _viewRows = [];
    private readonly int[] _shape;
    private readonly int[] _targetShape;
    private readonly int _width;
    private readonly int _targetWidth;
    private readonly int _chunkRows;

    /// <summary>Rows of features of <paramref name="shape"/> and targets of <paramref name="targetShape"/> (a scalar when not given).</summary>
    public InMemoryBatchSource(int[] shape, int[]? targetShape = null)
    {
        _shape = shape;
        _targetShape = targetShape ?? [];
        _width = Tensor.ProductOf(shape);
        _targetWidth = Tensor.ProductOf(_targetShape);
        _chunkRows = Math.Max(1, ChunkValues / _width);
    }

    /// <summary>The bytes the rows take (features and targets).</summary>
    public long Bytes => Rows * RowBytes;

    /// <summary>The bytes one more row would add.</summary>
    public long RowBytes => ((long)_width + _targetWidth) * sizeof(float);

    public override int Rows => _viewRows.Count;

    public override ReadOnlySpan<int> FeatureShape => _shape;

    public override ReadOnlySpan<int> TargetShape => _targetShape;

    public override bool HasRandomAccess => true;

    public override bool IsInMemory => true;

    /// <summary>The space for the next row; <see cref="Commit(ReadOnlySpan{float}, long)"/> keeps it.</summary>
    public Span<float> Next()
    {
        var index = Rows % _chunkRows;
        if (index == 0 && _chunks.Count * _chunkRows == Rows)
        {
            _chunks.Add(new float[_chunkRows * _width]);
        }

        return _chunks[^1].AsSpan(index * _width, _width);
    }

    /// <summary>Keeps the row written into <see cref="Next"/> with its target; it was row <paramref name="viewRow"/> of the view.</summary>
    public void Commit(ReadOnlySpan<float> target, long viewRow)
    {
        if (target.Length != _targetWidth)
        {
            throw new ArgumentException($"A target of {target.Length} values where {_targetWidth} were expected.", nameof(target));
        }

        _targets.AddRange(target);
        _viewRows.Add((int)viewRow);
    }

    /// <summary>Keeps the row written into <see cref="Next"/> with its scalar target.</summary>
    public void Commit(float target, long viewRow) => Commit([target], viewRow);

    public int ViewRow(int row) => _viewRows[row];

    public override BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch) => new Cursor(this, rows);

    private sealed class Cursor(InMemoryBatchSource source, ReadOnlyMemory<int> rows) : BatchCursor
    {
        private int _next;

        public override int Read(Tensor features, Tensor targets, Span<int> rowIds)
        {
            var count = Math.Min(features.Rows, rows.Length - _next);
            var width = source._width;
            for (var i = 0; i < count; i++)
            {
                var r = rows.Span[_next + i];
                source._chunks[r / source._chunkRows].AsSpan(r % source._chunkRows * width, width).CopyTo(features.Data.AsSpan(i * width, width));
                var t = source._targetWidth;
                CollectionsMarshal.AsSpan(source._targets).Slice(r * t, t).CopyTo(targets.Data.AsSpan(i * t, t));
                rowIds[i] = r;
            }

            _next += count;
            return Math.Max(0, count);
        }
    }
}
