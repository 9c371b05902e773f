using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Transform's cursor for an <see cref="IBlockColumnMapper"/>: reads a block of rows ahead (the passed-through columns
/// into <see cref="ColumnBuffer"/>s, the features into the scorer), has the scorer compute the block in one call, then
/// serves the rows one by one. Each cursor of a set does the same with the rows it receives; the engine's layers give a
/// row the same bits in any batch, so the values do not depend on how rows fall into blocks or cursors.
/// </summary>
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
    private ExceptionDispatchInfo? _pending;
    private bool _inputDone;
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
        _positions = new long[_block.Capacity];
        _batches = new long[_block.Capacity];
        _ids = new DataViewRowId[_block.Capacity];
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

        _onRow = false;
        if (_pending is { } pending)
        {
            _pending = null;
            _inputDone = true;
            pending.Throw();
        }

        if (_inputDone)
        {
            return false;
        }

        _block.Start();
        while (_block.Count < _block.Capacity)
        {
            bool moved;
            try
            {
                moved = _input.MoveNext();
            }
            catch (Exception e) when (_block.Count > 0)
            {
                // Serve the rows already read; the consumer meets the exception where it would have, after them.
                _pending = ExceptionDispatchInfo.Capture(e);
                break;
            }

            if (!moved)
            {
                _inputDone = true;
                break;
            }

            if (!Read(_block.Count))
            {
                break;
            }
        }

        _onRow = _block.Count > 0;
        return _onRow;
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
            _scorer.Dispose();
            _input.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Reads the input's current row into <paramref name="slot"/>. A row that throws ends the block: its getters
    /// rethrow (<see cref="RowBlock.ThrowIfCurrentFailed"/>), the rows before it are scored without it.
    /// </summary>
    private bool Read(int slot)
    {
        _positions[slot] = _input.Position;
        _batches[slot] = _input.Batch;
        _block.Add();
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
            _block.Fail(e, inputColumnsRead: false);
            return false;
        }

        try
        {
            _scorer.Read(slot);
        }
        catch (Exception e)
        {
            _block.Fail(e, inputColumnsRead: true);
            return false;
        }

        return true;
    }
}
