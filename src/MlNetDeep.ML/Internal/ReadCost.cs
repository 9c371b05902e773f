using System.Diagnostics;
using Microsoft.ML;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Tells a cheap input (rows read in well under <see cref="CheapMicroseconds"/> each: a cache, an in-memory view, a key
/// mapping over them) from a costly one (image decoding) by timing a few rows of a throwaway cursor.
/// </summary>
/// <remarks>
/// A network's Transform reads a cheap input through one cursor: ML.NET's own GetRowCursor on a transform over a cache
/// splits the rows between parallel cursors and merges them back through producer threads, which costs a few
/// microseconds a row (LeNet-5's 2,000 test digits under MapValueToKey: 450k rows/s merged against 3.1M from one
/// cursor), as much as scoring them. A costly input keeps ML.NET's parallel cursors, which decode on every core (64×64
/// images decoded from 512×512 PNG files and scored by a small network: 277 rows/s merged, 178 from one cursor, one run each).
/// </remarks>
internal static class ReadCost
{
    /// <summary>Reading a row for longer than this (µs) makes an input costly.</summary>
    internal const double CheapMicroseconds = 10;

    /// <summary>Most rows timed after the first (which pays for first calls and JIT).</summary>
    private const int TimedRows = 4;

    /// <summary>
    /// False when each of the rows after the first (up to four) takes longer than <see cref="CheapMicroseconds"/> to read
    /// (the fastest counts, so a thread switched out during one row does not make a cache look costly); true when one
    /// of them is quick, when there is no second row, or when a row fails to read (the real cursor then meets the failure
    /// in its place).
    /// </summary>
    public static bool IsCheap(IDataView input, IEnumerable<DataViewSchema.Column> needed)
    {
        var set = input.GetRowCursorSet(needed, 1);
        try
        {
            var cursor = set[0];
            var block = new RowBlock(1);
            var buffers = needed.Where(c => ColumnBuffer.CanBuffer(c.Type)).Select(c => ColumnBuffer.Create(cursor, c, block)).ToArray();
            var cheap = (long)(CheapMicroseconds * Stopwatch.Frequency / 1e6);
            var timed = 0;
            for (var row = 0; row <= TimedRows; row++)
            {
                var started = Stopwatch.GetTimestamp();
                if (!cursor.MoveNext())
                {
                    return timed == 0;
                }

                foreach (var buffer in buffers)
                {
                    buffer.Store(0);
                }

                if (row >= 1)
                {
                    if (Stopwatch.GetTimestamp() - started <= cheap)
                    {
                        return true;
                    }

                    timed++;
                }
            }

            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return true;
        }
        finally
        {
            foreach (var cursor in set)
            {
                cursor.Dispose();
            }
        }
    }
}
