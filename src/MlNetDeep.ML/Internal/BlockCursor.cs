using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Kernels;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Transform's cursor for an <see cref="IBlockColumnMapper"/>: reads a page of rows ahead (the passed-through columns
/// into <see cref="ColumnBuffer"/>s, the features into the scorer), has the scorer compute the page, then serves the rows
/// one by one. Each cursor of a set does the same with the rows it receives; the engine's layers give a row the same
/// bits in any batch, so the values do not depend on how rows fall into pages, parts or cursors.
/// </summary>
/// <remarks>
/// With two pool threads, reading and serving overlap the scoring: a worker scores a page's first rows while the
/// consumer's thread scores the rest, then the worker reads the next page into the other half of the
/// <see cref="RowBlock"/> while the consumer serves this one (<see cref="PageJob"/>). How many rows the worker takes
/// follows which of the two threads waited for the other at the last page of the same kind (a full page, the short first
/// one, the input's last, after which nothing is read). Reading ahead keeps every failure where the
/// consumer would meet it without: a row that cannot be read fails at its getters, and an input whose MoveNext throws
/// does so after the rows before.
/// </remarks>
internal sealed class BlockCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly DataViewSchema _schema;
    private readonly RowBlock _block;
    private readonly BlockScorer _scorer;
    private readonly ColumnBuffer?[] _buffers;
    private readonly ColumnBuffer[] _activeBuffers;
    private readonly ValueGetter<DataViewRowId> _inputIds;
    private readonly long[] _positions;
    private readonly long[] _batches;
    private readonly DataViewRowId[] _ids;
    private readonly PageJob _job;
    private ExceptionDispatchInfo? _pending;
    private int _pendingPage;
    private bool _inputDone;
    private bool _nextRead;
    private bool _started;
    private bool _onRow;

    public BlockCursor(IBlockColumnMapper mapper, DataViewRowCursor input, DataViewSchema schema, Func<int, bool> isActive)
    {
        _input = input;
        _schema = schema;
        _block = new RowBlock(mapper.BlockRows);
        _inputIds = input.GetIdGetter();
        _buffers = new ColumnBuffer?[input.Schema.Count];
        for (var i = 0; i < _buffers.Length; i++)
        {
            if (isActive(i))
            {
                _buffers[i] = ColumnBuffer.Create(input, input.Schema[i], _block);
            }
        }

        _activeBuffers = [.. _buffers.OfType<ColumnBuffer>()];
        _scorer = mapper.CreateBlockScorer(input, schema, isActive, _block);
        _positions = new long[_block.Slots];
        _batches = new long[_block.Slots];
        _ids = new DataViewRowId[_block.Slots];
        _job = new PageJob(this);
        if (_scorer.SplitsPages)
        {
            // The worker gets its first job once the first rows are read: woken now, it spins ready by then (waking it
            // with the job cost 40–200 µs a cursor on this project's 2-core machine, while the consumer waited).
            WorkerPool.Prewake(1);
        }
    }

    /// <summary>
    /// True when a block cursor can serve these columns: some added column is wanted (else there is nothing to score),
    /// and every wanted input column has a type whose values can be kept (<see cref="ColumnBuffer.CanBuffer"/>).
    /// </summary>
    public static bool Serves(DataViewSchema inputSchema, DataViewSchema outputSchema, Func<int, bool> isActive)
    {
        var added = false;
        for (var i = 0; i < outputSchema.Count; i++)
        {
            if (!isActive(i))
            {
                continue;
            }

            if (i >= inputSchema.Count)
            {
                added = true;
            }
            else if (!ColumnBuffer.CanBuffer(inputSchema[i].Type))
            {
                return false;
            }
        }

        return added;
    }

    public override DataViewSchema Schema => _schema;

    public override long Position => _onRow ? _positions[_block.Slot] : -1;

    public override long Batch => _onRow ? _batches[_block.Slot] : _input.Batch;

    public override bool MoveNext()
    {
        if (_onRow && _block.Advance())
        {
            return true;
        }

        var served = _block.Page;
        _onRow = false;
        if (_job.IsStarted)
        {
            var arrived = Stopwatch.GetTimestamp();
            _job.Wait();
            _scorer.Balance(_job.FinishedAt - arrived);
        }

        if (_pending is { } pending && _pendingPage == served)
        {
            // The input threw while the page just served was read: the consumer meets it after that page's rows.
            _pending = null;
            _inputDone = true;
            pending.Throw();
        }

        var next = RowBlock.Other(served);
        if (!_nextRead)
        {
            if (_inputDone)
            {
                return false;
            }

            // When pages are split, only the first one is read here while the worker waits (later ones are read ahead):
            // a short one.
            ReadPage(next, _started || !_scorer.SplitsPages ? _block.Capacity : Math.Max(1, _block.Capacity / 4));
            _started = true;
        }

        _nextRead = false;
        if (_block.Count(next) == 0)
        {
            return false;
        }

        _block.Serve(next);
        Score(next);
        _onRow = true;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) =>
    {
        if (!_onRow)
        {
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
        }

        value = _ids[_block.Slot];
    };

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index < _buffers.Length ? _buffers[column.Index] is not null : _scorer.Getters[column.Index] is not null;

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        var getter = column.Index < _buffers.Length ? _buffers[column.Index]?.Getter : _scorer.Getters[column.Index];
        return getter switch
        {
            ValueGetter<TValue> typed => typed,
            null => throw new InvalidOperationException($"Column '{column.Name}' is not active."),
            var other => throw new InvalidOperationException(
                $"Column '{column.Name}' holds {other.GetType().GetGenericArguments()[0].Name}, not {typeof(TValue).Name}."),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                // The worker may still be scoring or reading ahead: the input and the scorer's copy stay until it is done.
                _job.Wait();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Reading rows the consumer no longer asks for failed; nobody is left to meet it.
            }

            _scorer.Dispose();
            _input.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Scores the page about to be served: with two pool threads and enough rows, its first rows on a worker, which then
    /// reads the next page unless the input is done, and the rest here; else all of it here (a group of rows per thread).
    /// </summary>
    private void Score(int page)
    {
        var rows = _block.ReadableCount(page);
        var readNext = !_inputDone && _pending is null;
        var onWorker = _scorer.WorkerRows(rows, readNext);
        if (onWorker > 0)
        {
            _scorer.Begin(page, rows, onWorker);
            _job.Set(readNext ? RowBlock.Other(page) : -1);
            if (!WorkerPool.TryStartInBackground(_job))
            {
                onWorker = 0;
            }
        }

        if (onWorker == 0)
        {
            _scorer.Begin(page, rows, 0);
        }

        _scorer.ScoreOnCaller();
    }

    /// <summary>
    /// Reads rows into <paramref name="page"/> until it holds <paramref name="limit"/> rows, the input ends, a row fails
    /// or MoveNext throws.
    /// </summary>
    private void ReadPage(int page, int limit)
    {
        _block.Start(page);
        while (_block.Count(page) < limit)
        {
            bool moved;
            try
            {
                moved = _input.MoveNext();
            }
            catch (Exception e) when (_block.Count(page) > 0)
            {
                // Serve the rows already read; the consumer meets the exception where it would have, after them.
                _pending = ExceptionDispatchInfo.Capture(e);
                _pendingPage = page;
                break;
            }

            if (!moved)
            {
                _inputDone = true;
                break;
            }

            if (!Read(page))
            {
                break;
            }
        }

        _nextRead = true;
    }

    /// <summary>
    /// Reads the input's current row into the next slot of <paramref name="page"/>. A row that throws ends the page: its
    /// getters rethrow (<see cref="RowBlock.ThrowIfCurrentFailed"/>), the rows before it are scored without it.
    /// </summary>
    private bool Read(int page)
    {
        var slot = _block.Add(page);
        _positions[slot] = _input.Position;
        _batches[slot] = _input.Batch;
        try
        {
            _inputIds(ref _ids[slot]);
            foreach (var buffer in _activeBuffers)
            {
                buffer.Store(slot);
            }
        }
        catch (Exception e)
        {
            _block.Fail(page, e, inputColumnsRead: false);
            return false;
        }

        try
        {
            _scorer.Read(slot);
        }
        catch (Exception e)
        {
            _block.Fail(page, e, inputColumnsRead: true);
            return false;
        }

        return true;
    }

    /// <summary>
    /// A worker's share of a page: score its first rows, then read the next page, while the consumer scores the rest and serves.
    /// </summary>
    private sealed class PageJob(BlockCursor cursor) : BackgroundJob
    {
        private int _nextPage = -1;

        /// <summary>When the job finished (Stopwatch ticks).</summary>
        public long FinishedAt { get; private set; }

        /// <summary>Sets the page to read after scoring (−1: none).</summary>
        public void Set(int nextPage) => _nextPage = nextPage;

        protected override void Run()
        {
            try
            {
                cursor._scorer.ScoreOnWorker();
                if (_nextPage >= 0)
                {
                    cursor.ReadPage(_nextPage, cursor._block.Capacity);
                }
            }
            finally
            {
                FinishedAt = Stopwatch.GetTimestamp();
            }
        }
    }
}
