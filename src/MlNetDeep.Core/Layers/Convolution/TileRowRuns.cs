namespace MlNetDeep.Layers;

/// <summary>
/// The tile rows [first, first + count) of a batch (tile row r is row r mod tilesHigh of sample r / tilesHigh) in runs that
/// stay within one sample, for the Winograd convolutions' blocks, which may span samples: <c>foreach (var run in new
/// TileRowRuns(first, count, tilesHigh))</c> gives each run's sample, its first tile row and end within the sample, and
/// its first tile row in the batch.
/// </summary>
internal struct TileRowRuns
{
    private readonly int _tilesHigh;
    private readonly int _end;
    private int _row;

    /// <summary>The runs of tile rows [<paramref name="first"/>, first + <paramref name="count"/>) of samples <paramref name="tilesHigh"/> tile rows high.</summary>
    public TileRowRuns(int first, int count, int tilesHigh)
    {
        _row = first;
        _end = first + count;
        _tilesHigh = tilesHigh;
        Current = default;
    }

    /// <summary>The current run: its sample, its tile rows [Top, End) within the sample, and Top's index in the batch.</summary>
    public (int Sample, int Top, int End, int Row) Current { get; private set; }

    /// <summary>The runs themselves, for <c>foreach</c>.</summary>
    public readonly TileRowRuns GetEnumerator() => this;

    /// <summary>Moves to the next run; false after the last.</summary>
    public bool MoveNext()
    {
        if (_row >= _end)
        {
            return false;
        }

        var sample = _row / _tilesHigh;
        var top = _row - (sample * _tilesHigh);
        var end = Math.Min(_tilesHigh, top + _end - _row);
        Current = (sample, top, end, _row);
        _row += end - top;
        return true;
    }
}
