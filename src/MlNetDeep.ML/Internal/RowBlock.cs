using System.Runtime.ExceptionServices;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The rows a <see cref="BlockCursor"/> has read ahead of its consumer, shared with the block's scorer and column buffers:
/// two pages of <see cref="Capacity"/> slots, one served to the consumer while the next is read into the other; per page
/// how many rows it holds and the exception of a row that could not be read (always the page's last row: reading stops
/// there); which page is served and which slot is current. Slots are numbered across both pages (page p holds slots
/// p × Capacity onwards), so every per-row array is indexed by slot.
/// </summary>
internal sealed class RowBlock(int capacity)
{
    /// <summary>Pages of rows: the one served and the one read ahead.</summary>
    public const int Pages = 2;

    private readonly int[] _count = new int[Pages];
    private readonly int[] _failedSlot = [-1, -1];
    private readonly ExceptionDispatchInfo?[] _failure = new ExceptionDispatchInfo?[Pages];
    private readonly bool[] _inputColumnsRead = new bool[Pages];

    /// <summary>The most rows a page holds.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>The slots of both pages: the length of every per-row array.</summary>
    public int Slots => Capacity * Pages;

    /// <summary>The page served to the consumer.</summary>
    public int Page { get; private set; }

    /// <summary>The current row's slot (in the served page).</summary>
    public int Slot { get; private set; }

    /// <summary>The page that is not <paramref name="page"/>.</summary>
    public static int Other(int page) => Pages - 1 - page;

    /// <summary>The first slot of <paramref name="page"/>.</summary>
    public int First(int page) => page * Capacity;

    /// <summary>The rows read into <paramref name="page"/>, the failed one included.</summary>
    public int Count(int page) => _count[page];

    /// <summary>The rows of <paramref name="page"/> the scorer can score: all but a last row that failed to read.</summary>
    public int ReadableCount(int page) => _failure[page] is null ? _count[page] : _failedSlot[page] - First(page);

    /// <summary>Empties <paramref name="page"/> for the next rows.</summary>
    public void Start(int page)
    {
        _count[page] = 0;
        _failedSlot[page] = -1;
        _failure[page] = null;
    }

    /// <summary>Counts one more row read into <paramref name="page"/> and returns its slot.</summary>
    public int Add(int page) => First(page) + _count[page]++;

    /// <summary>
    /// Records that the last row added to <paramref name="page"/> could not be read: its added columns' getters rethrow
    /// <paramref name="error"/>, and so do its input columns' unless <paramref name="inputColumnsRead"/> (only the
    /// features failed).
    /// </summary>
    public void Fail(int page, Exception error, bool inputColumnsRead)
    {
        _failedSlot[page] = First(page) + _count[page] - 1;
        _failure[page] = ExceptionDispatchInfo.Capture(error);
        _inputColumnsRead[page] = inputColumnsRead;
    }

    /// <summary>Serves <paramref name="page"/> from its first row.</summary>
    public void Serve(int page)
    {
        Page = page;
        Slot = First(page);
    }

    /// <summary>Moves to the next row of the served page, if there is one.</summary>
    public bool Advance()
    {
        if (Slot + 1 >= First(Page) + _count[Page])
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
        if (Slot == _failedSlot[Page] && (addedColumn || !_inputColumnsRead[Page]))
        {
            _failure[Page]!.Throw();
        }
    }
}
