using Microsoft.ML;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The rows of a data view, streamed: every pass opens a cursor and reads the view in its order, decoding each row as
/// it comes (on the trainer's background reader), so memory holds a shuffle pool and a few mini-batches, never the data.
/// The labels were read beforehand (a cheap pass over the label column alone); the features are read pass by pass.
/// </summary>
/// <remarks>
/// <para>
/// Shuffling, without random access: the rows go through a pool of <c>P</c> rows (<see cref="NeuralNetworkOptions.ShufflePoolSize"/>),
/// as ML.NET's ShuffleRows and tf.data's shuffle do: the pool fills with the first <c>P</c> rows of the pass, then each
/// row handed on is drawn uniformly from the pool and its place taken by the next row read. Every row comes exactly once
/// per epoch; the order depends only on the seed and the epoch (and on the view giving its rows in the same order every
/// time), not on timing or threads. A row is handed on no earlier than <c>P</c> places before its place in the view, so
/// a view sorted by class must be shuffled beforehand (LoadFromImageFolder does) or read with random access through a
/// pixel cache (<see cref="NeuralNetworkOptions.WorkspacePath"/>).
/// </para>
/// <para>Rows that cannot be read are skipped when the settings say so (logged once), and left out of later passes without being read again.</para>
/// </remarks>
internal sealed class DataViewBatchSource : BatchSource, IViewRowMap
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _features;
    private readonly float[] _targets;
    private readonly int[] _targetShape;
    private readonly int _targetWidth;
    private readonly int _rows;
    private readonly RowTransform _transform;
    private readonly string _role;
    private readonly ReadSettings _settings;
    private readonly int _poolRows;
    private readonly HashSet<int> _unreadable = [];
    private float[]? _pool;

    /// <param name="data">The view.</param>
    /// <param name="features">The features column.</param>
    /// <param name="targets">Every row's target, read beforehand, row after row.</param>
    /// <param name="targetShape">One row's target shape.</param>
    /// <param name="transform">What to do to each row's features.</param>
    /// <param name="role">For messages.</param>
    /// <param name="settings">Skipping, cancellation, log.</param>
    /// <param name="poolRows">The shuffle pool's rows.</param>
    public DataViewBatchSource(IDataView data, DataViewSchema.Column features, float[] targets, int[] targetShape, RowTransform transform, string role, ReadSettings settings, int poolRows)
    {
        _data = data;
        _features = features;
        _targets = targets;
        _targetShape = targetShape;
        _targetWidth = Tensor.ProductOf(targetShape);
        _rows = targets.Length / _targetWidth;
        _transform = transform;
        _role = role;
        _settings = settings;
        _poolRows = Math.Max(1, Math.Min(poolRows, _rows));
    }

    public override int Rows => _rows;

    public override ReadOnlySpan<int> FeatureShape => _transform.OutputShape;

    public override ReadOnlySpan<int> TargetShape => _targetShape;

    public override bool HasRandomAccess => false;

    /// <summary>The rows of the shuffle pool.</summary>
    public int PoolRows => _poolRows;

    public int ViewRow(int row) => row;

    public override BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch)
    {
        var member = new bool[_rows];
        foreach (var r in rows.Span)
        {
            member[r] = true;
        }

        // The pool is kept from pass to pass: allocated at the first shuffled pass, reused after.
        var pool = shuffle ? _pool ??= new float[(long)_poolRows * _transform.OutputWidth] : null;
        return new Cursor(this, member, rows.Length, pool, shuffle ? new RandomSource(PassSeed(seed, epoch)) : null);
    }

    private void CopyTarget(int row, Tensor targets, int index) =>
        _targets.AsSpan(row * _targetWidth, _targetWidth).CopyTo(targets.Data.AsSpan(index * _targetWidth, _targetWidth));

    private static ulong PassSeed(ulong seed, int epoch)
    {
        var z = seed ^ (0x9E3779B97F4A7C15UL * (ulong)(uint)epoch) ^ 0x243F6A8885A308D3UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class Cursor : BatchCursor
    {
        private readonly DataViewBatchSource _source;
        private readonly ViewRows _view;
        private readonly bool[] _member;
        private readonly int _expected;
        private readonly float[]? _pool;
        private readonly int[] _poolIds;
        private readonly RandomSource? _random;
        private readonly float[]? _raw;
        private int _seen;
        private int _filled;
        private bool _primed;
        private bool _ended;

        public Cursor(DataViewBatchSource source, bool[] member, int expected, float[]? pool, RandomSource? random)
        {
            _source = source;
            _member = member;
            _expected = expected;
            _pool = pool;
            _random = random;
            _poolIds = pool is null ? [] : new int[source._poolRows];
            _raw = source._transform.Scoring is null ? null : new float[source._transform.InputWidth];
            _view = new ViewRows(source._data, source._features, null, source._role, source._settings);
        }

        public override int Read(Tensor features, Tensor targets, Span<int> rows)
        {
            var width = _source._transform.OutputWidth;
            var count = 0;
            if (_pool is null)
            {
                while (count < features.Rows && NextRow(features.Data.AsSpan(count * width, width), out var row))
                {
                    _source.CopyTarget(row, targets, count);
                    rows[count++] = row;
                }

                return count;
            }

            if (!_primed)
            {
                while (_filled < _poolIds.Length && NextRow(_pool.AsSpan(_filled * width, width), out var row))
                {
                    _poolIds[_filled++] = row;
                }

                _primed = true;
            }

            while (count < features.Rows && _filled > 0)
            {
                var j = _random!.NextInt(_filled);
                var slot = _pool.AsSpan(j * width, width);
                slot.CopyTo(features.Data.AsSpan(count * width, width));
                var id = _poolIds[j];
                _source.CopyTarget(id, targets, count);
                rows[count++] = id;
                if (NextRow(slot, out var next))
                {
                    _poolIds[j] = next;
                }
                else
                {
                    // The view is done: the pool's last row takes the place, and the pool shrinks.
                    _filled--;
                    _pool.AsSpan(_filled * width, width).CopyTo(slot);
                    _poolIds[j] = _poolIds[_filled];
                }
            }

            return count;
        }

        protected override void Dispose(bool disposing) => _view.Dispose();

        /// <summary>Reads the next row of the pass (a member, readable) into <paramref name="destination"/>; false at the end.</summary>
        private bool NextRow(Span<float> destination, out int row)
        {
            row = -1;
            while (!_ended && _view.MoveNext())
            {
                if (_view.Row >= _member.Length)
                {
                    throw new InvalidOperationException(
                        $"The {_source._role} data view gave more rows than the {_member.Length} it had when its labels were read: a view must give the same rows on every pass.");
                }

                var r = (int)_view.Row;
                if (!_member[r] || _source._unreadable.Contains(r))
                {
                    continue;
                }

                var read = _raw is null
                    ? _view.TryReadFeatures(destination)
                    : _view.TryReadFeatures(_raw);
                if (!read)
                {
                    lock (_source._unreadable)
                    {
                        _source._unreadable.Add(r);
                    }

                    continue;
                }

                if (_raw is not null)
                {
                    _source._transform.Apply(_raw, destination, r);
                }

                _seen++;
                row = r;
                return true;
            }

            if (!_ended)
            {
                _ended = true;
                var missing = _expected - _seen - CountUnreadableMembers();
                if (missing > 0)
                {
                    throw new InvalidOperationException(
                        $"The {_source._role} data view ended {missing} rows early: it had {_member.Length} rows when its labels were read. A view must give the same rows on every pass.");
                }
            }

            return false;
        }

        private int CountUnreadableMembers()
        {
            var n = 0;
            foreach (var r in _source._unreadable)
            {
                if (_member[r])
                {
                    n++;
                }
            }

            return n;
        }
    }
}
