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
    private readonly int _width;
    private readonly int _chunkRows;

    public InMemoryBatchSource(int[] shape)
    {
        _shape = shape;
        _width = Tensor.ProductOf(shape);
        _chunkRows = Math.Max(1, ChunkValues / _width);
    }

    /// <summary>The bytes the rows take.</summary>
    public long Bytes => (long)_targets.Count * _width * sizeof(float);

    /// <summary>The bytes one more row would add.</summary>
    public long RowBytes => (long)_width * sizeof(float);

    public override int Rows => _targets.Count;

    public override ReadOnlySpan<int> FeatureShape => _shape;

    public override ReadOnlySpan<int> TargetShape => [];

    public override bool HasRandomAccess => true;

    public override bool IsInMemory => true;

    /// <summary>The space for the next row; <see cref="Commit"/> keeps it.</summary>
    public Span<float> Next()
    {
        var index = _targets.Count % _chunkRows;
        if (index == 0 && _chunks.Count * _chunkRows == _targets.Count)
        {
            _chunks.Add(new float[_chunkRows * _width]);
        }

        return _chunks[^1].AsSpan(index * _width, _width);
    }

    /// <summary>Keeps the row written into <see cref="Next"/> with its target; it was row <paramref name="viewRow"/> of the view.</summary>
    public void Commit(float target, long viewRow)
    {
        _targets.Add(target);
        _viewRows.Add((int)viewRow);
    }

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
                targets.Data[i] = source._targets[r];
                rowIds[i] = r;
            }

            _next += count;
            return Math.Max(0, count);
        }
    }
}
