using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The readable rows of a <see cref="PixelCache"/>, by index: random access, so each epoch follows the trainer's
/// permutation (the one it draws for tensors, so the same seed trains the same model as in memory), read from the file
/// a row at a time on the trainer's background reader.
/// </summary>
internal sealed class PixelCacheBatchSource : BatchSource, IViewRowMap
{
    private readonly PixelCache _cache;
    private readonly RowTransform _transform;
    private readonly int[] _fileRows;

    public PixelCacheBatchSource(PixelCache cache, RowTransform transform)
    {
        _cache = cache;
        _transform = transform;
        _fileRows = [.. Enumerable.Range(0, cache.Labels.Length).Where(r => !cache.Unreadable[r])];
        if (_fileRows.Length == 0)
        {
            throw new InvalidDataException($"No row of the pixel cache '{cache.Path}' could be read when it was built: every row was skipped as unreadable.");
        }
    }

    public override int Rows => _fileRows.Length;

    public override ReadOnlySpan<int> FeatureShape => _transform.OutputShape;

    public override ReadOnlySpan<int> TargetShape => [];

    public override bool HasRandomAccess => true;

    /// <summary>Every readable row, decoded into memory.</summary>
    public InMemoryBatchSource ToMemory()
    {
        var rows = new InMemoryBatchSource(_transform.OutputShape);
        var bytes = new byte[_cache.RowBytes];
        var raw = _transform.Scoring is null ? null : new float[_transform.InputWidth];
        for (var r = 0; r < _fileRows.Length; r++)
        {
            var destination = rows.Next();
            _cache.ReadRow(_fileRows[r], raw ?? destination, bytes);
            if (raw is not null)
            {
                _transform.Apply(raw, destination, r);
            }

            rows.Commit(_cache.Labels[_fileRows[r]], _fileRows[r]);
        }

        return rows;
    }

    public override BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch) => new Cursor(this, rows);

    public int ViewRow(int row) => _fileRows[row];

    protected override void Dispose(bool disposing) => _cache.Dispose();

    private sealed class Cursor(PixelCacheBatchSource source, ReadOnlyMemory<int> rows) : BatchCursor
    {
        private readonly byte[] _bytes = new byte[source._cache.RowBytes];
        private readonly float[]? _raw = source._transform.Scoring is null ? null : new float[source._transform.InputWidth];
        private int _next;

        public override int Read(Tensor features, Tensor targets, Span<int> rowIds)
        {
            var count = Math.Min(features.Rows, rows.Length - _next);
            var width = source._transform.OutputWidth;
            for (var i = 0; i < count; i++)
            {
                var r = rows.Span[_next + i];
                var fileRow = source._fileRows[r];
                var destination = features.Data.AsSpan(i * width, width);
                if (_raw is null)
                {
                    source._cache.ReadRow(fileRow, destination, _bytes);
                }
                else
                {
                    source._cache.ReadRow(fileRow, _raw, _bytes);
                    source._transform.Apply(_raw, destination, r);
                }

                targets.Data[i] = source._cache.Labels[fileRow];
                rowIds[i] = r;
            }

            _next += Math.Max(0, count);
            return Math.Max(0, count);
        }
    }
}
