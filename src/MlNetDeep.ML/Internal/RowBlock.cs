using System.Runtime.ExceptionServices;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The rows a <see cref="BlockCursor"/> has read ahead of its consumer, shared with the block's scorer: how many, which
/// one is current, and the exception of a row that could not be read (always the block's last row: reading stops there).
/// </summary>
internal sealed class RowBlock(int capacity)
{
    private int _failedSlot = -1;
    private ExceptionDispatchInfo? _failure;
    private bool _inputColumnsRead;

    /// <summary>The most rows a block holds.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>The rows read into this block, the failed one included.</summary>
    public int Count { get; private set; }

    /// <summary>The rows the scorer can score: all but a last row that failed to read.</summary>
    public int ReadableCount => _failure is null ? Count : _failedSlot;

    /// <summary>The current row's index in the block.</summary>
    public int Slot { get; private set; }

    /// <summary>Changes with every new block, so that a scorer knows its last results are stale.</summary>
    public long Version { get; private set; }

    /// <summary>Empties the block for the next rows.</summary>
    public void Start()
    {
        Count = 0;
        Slot = 0;
        _failedSlot = -1;
        _failure = null;
        Version++;
    }

    /// <summary>Counts one more row read into slot <see cref="Count"/>.</summary>
    public void Add() => Count++;

    /// <summary>
    /// Records that the last added row could not be read: its added columns' getters rethrow <paramref name="error"/>,
    /// and so do its input columns' unless <paramref name="inputColumnsRead"/> (only the features failed).
    /// </summary>
    public void Fail(Exception error, bool inputColumnsRead)
    {
        _failedSlot = Count - 1;
        _failure = ExceptionDispatchInfo.Capture(error);
        _inputColumnsRead = inputColumnsRead;
    }

    /// <summary>Moves to the next row of the block, if there is one.</summary>
    public bool Advance()
    {
        if (Slot + 1 >= Count)
        {
            return false;
        }

        Slot++;
        return true;
    }

    /// <summary>
    /// Throws what reading the current row threw: the consumer sees it where it would without read-ahead, at the
    /// row's getters, and the rows before it keep their values.
    /// </summary>
    /// <param name="addedColumn">True for a getter of an added column, false for a passed-through input column.</param>
    public void ThrowIfCurrentFailed(bool addedColumn)
    {
        if (Slot == _failedSlot && (addedColumn || !_inputColumnsRead))
        {
            _failure!.Throw();
        }
    }
}
