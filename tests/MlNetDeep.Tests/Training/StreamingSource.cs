using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// A test <see cref="BatchSource"/> over tensors that is not in memory as far as the trainer knows (so it reads ahead on
/// a background thread): with random access it follows the trainer's order; without, it reads its rows in ascending
/// order, or shuffled by its own draws from (seed, epoch). It can fail or skip at a given row and records what it read.
/// </summary>
internal sealed class StreamingSource(Tensor features, Tensor targets, bool randomAccess) : BatchSource
{
    private readonly Tensor _features = features;
    private readonly Tensor _targets = targets;
    private readonly int[] _featureShape = features.Shape[1..].ToArray();
    private readonly int[] _targetShape = targets.Shape[1..].ToArray();

    /// <summary>A row that throws <see cref="InvalidDataException"/> when read, or −1.</summary>
    public int FailAt { get; init; } = -1;

    /// <summary>Rows the source leaves out of every pass, as a source that skips unreadable rows does.</summary>
    public IReadOnlySet<int> Skip { get; init; } = new HashSet<int>();

    /// <summary>The managed threads that read rows.</summary>
    public HashSet<int> ReaderThreads { get; } = [];

    /// <summary>Passes opened.</summary>
    public int Passes { get; private set; }

    /// <summary>Bytes the reader thread allocated between two reads, once warm (the read-ahead loop's own allocations).</summary>
    public List<long> AllocationsBetweenReads { get; } = [];

    public override int Rows => _features.Rows;

    public override ReadOnlySpan<int> FeatureShape => _featureShape;

    public override ReadOnlySpan<int> TargetShape => _targetShape;

    public override bool HasRandomAccess => randomAccess;

    public override BatchCursor Open(ReadOnlyMemory<int> rows, bool shuffle, ulong seed, int epoch)
    {
        Passes++;
        var order = rows.ToArray();
        if (!randomAccess)
        {
            Array.Sort(order);
            if (shuffle)
            {
                new RandomSource(seed * 31 + (ulong)epoch).Shuffle(order);
            }
        }

        return new Cursor(this, [.. order.Where(r => !Skip.Contains(r))]);
    }

    private sealed class Cursor(StreamingSource source, int[] order) : BatchCursor
    {
        private int _next;
        private long _afterLastRead = -1;

        public override int Read(Tensor x, Tensor y, Span<int> rows)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            if (_afterLastRead >= 0)
            {
                lock (source.AllocationsBetweenReads)
                {
                    source.AllocationsBetweenReads.Add(before - _afterLastRead);
                }
            }

            lock (source.ReaderThreads)
            {
                source.ReaderThreads.Add(Environment.CurrentManagedThreadId);
            }

            var count = Math.Min(x.Rows, order.Length - _next);
            for (var i = 0; i < count; i++)
            {
                var r = order[_next + i];
                if (r == source.FailAt)
                {
                    throw new InvalidDataException($"Row {r} cannot be read.");
                }

                source._features.Row(r).CopyTo(x.Row(i));
                source._targets.Row(r).CopyTo(y.Row(i));
                rows[i] = r;
            }

            _next += count;
            _afterLastRead = GC.GetAllocatedBytesForCurrentThread();
            return count;
        }
    }
}
