using System.Runtime.ExceptionServices;

namespace MlNetDeep.Training;

/// <summary>
/// Hands <see cref="Trainer"/> the mini-batches of one pass over a <see cref="BatchSource"/>, augmented when it has an
/// augmentation. With a read-ahead of k, a background thread reads and augments up to k mini-batches ahead of the one
/// being trained, in k + 1 slots of buffers that are reused from pass to pass: memory is bounded by the slots, and a
/// steady-state pass allocates nothing but its thread. With no read-ahead the batches are read on the calling thread.
/// </summary>
/// <remarks>
/// The batches and their contents do not depend on the read-ahead: a row's augmentation draws depend on the seed, the
/// epoch and its index only, and the background thread fills the slots in order.
/// </remarks>
internal sealed class BatchFeed : IDisposable
{
    private readonly BatchSource _source;
    private readonly BatchAugmentation? _augmentation;
    private readonly Slot[] _slots;
    private readonly int[] _featureShape;
    private readonly int[] _targetShape;
    private readonly int[]? _augmentedShape;
    private readonly SpatialTargets? _spatial;
    private readonly int[]? _movedTargetShape;

    private BatchCursor? _cursor;
    private Thread? _thread;
    private SemaphoreSlim? _free;
    private SemaphoreSlim? _filled;
    private ExceptionDispatchInfo? _error;
    private volatile bool _stop;
    private int _total;
    private int _batchSize;
    private ulong _seed;
    private int _epoch;
    private bool _training;
    private int _produced;
    private int _consumed;
    private int _delivered;
    private bool _holding;

    /// <param name="source">The rows.</param>
    /// <param name="augmentation">The augmentation, or null.</param>
    /// <param name="readAhead">Mini-batches to read ahead on a background thread (0: read on the calling thread).</param>
    /// <param name="spatial">When the targets live in the image plane (boxes, masks), how they move with the augmented pixels.</param>
    public BatchFeed(BatchSource source, BatchAugmentation? augmentation, int readAhead, SpatialTargets? spatial = null)
    {
        _source = source;
        _augmentation = augmentation;
        _featureShape = source.FeatureShape.ToArray();
        _targetShape = source.TargetShape.ToArray();
        _augmentedShape = augmentation?.OutputShape(_featureShape);
        if (augmentation is not null && spatial is not null)
        {
            _spatial = spatial;
            _movedTargetShape = spatial.OutputShapeForImage(_targetShape, _augmentedShape!);
        }
        _slots = new Slot[readAhead + 1];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }
    }

    private bool Background => _slots.Length > 1;

    /// <summary>Starts a pass over <paramref name="rows"/> that ends after <paramref name="total"/> rows (or when the source has no more).</summary>
    public void Start(ReadOnlyMemory<int> rows, int total, int batchSize, bool shuffle, ulong seed, int epoch, bool training)
    {
        Stop();
        (_total, _batchSize, _seed, _epoch, _training) = (total, batchSize, seed, epoch, training);
        (_produced, _consumed, _delivered, _holding, _error, _stop) = (0, 0, 0, false, null, false);
        foreach (var slot in _slots)
        {
            if (slot.Rows.Length < batchSize)
            {
                slot.Rows = new int[batchSize];
            }
        }

        _cursor = _source.Open(rows, shuffle, seed, epoch);
        if (Background)
        {
            _free = new SemaphoreSlim(_slots.Length, int.MaxValue);
            _filled = new SemaphoreSlim(0, int.MaxValue);
            _thread = new Thread(Produce) { IsBackground = true, Name = "MlNetDeep batch reader" };
            _thread.Start();
        }
    }

    /// <summary>
    /// The next mini-batch: the (augmented) features, the targets and the rows' indices in the source. It stays valid
    /// until the next call. False when the pass is over. An error of the reader is rethrown here.
    /// </summary>
    public bool Next(out Tensor features, out Tensor targets, out ReadOnlySpan<int> rows)
    {
        (features, targets) = (null!, null!);
        rows = default;
        if (_cursor is null)
        {
            return false;
        }

        if (!Background)
        {
            var count = Math.Min(_batchSize, _total - _delivered);
            var n = count > 0 ? Fill(_slots[0], count) : 0;
            if (n == 0)
            {
                return false;
            }

            _delivered += n;
            return Take(_slots[0], out features, out targets, out rows);
        }

        if (_holding)
        {
            _holding = false;
            _consumed++;
            _free!.Release();
        }

        _filled!.Wait();
        _error?.Throw();
        if (_consumed >= Volatile.Read(ref _produced))
        {
            return false;
        }

        _holding = true;
        return Take(_slots[_consumed % _slots.Length], out features, out targets, out rows);
    }

    /// <summary>Ends the pass: stops the reader thread and disposes the cursor.</summary>
    public void Stop()
    {
        if (_thread is not null)
        {
            _stop = true;
            _free!.Release(_slots.Length);
            _thread.Join();
            _thread = null;
        }

        _free?.Dispose();
        _filled?.Dispose();
        (_free, _filled) = (null, null);
        _cursor?.Dispose();
        _cursor = null;
    }

    public void Dispose() => Stop();

    private bool Take(Slot slot, out Tensor features, out Tensor targets, out ReadOnlySpan<int> rows)
    {
        features = _augmentation is null ? slot.Raw! : slot.Augmented!;
        targets = _spatial is null ? slot.Targets! : slot.MovedTargets!;
        rows = slot.Rows.AsSpan(0, slot.Count);
        return true;
    }

    private void Produce()
    {
        try
        {
            for (var (start, b) = (0, 0); start < _total; start += _batchSize, b++)
            {
                _free!.Wait();
                if (_stop)
                {
                    return;
                }

                var count = Math.Min(_batchSize, _total - start);
                var n = Fill(_slots[b % _slots.Length], count);
                if (n == 0)
                {
                    return;
                }

                Volatile.Write(ref _produced, _produced + 1);
                _filled!.Release();
                if (n < count)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            // One more permit than batches: the consumer's last wait returns and finds the pass over (or the error).
            _filled!.Release();
        }
    }

    /// <summary>Reads up to <paramref name="count"/> rows into <paramref name="slot"/> and augments them; returns the rows read.</summary>
    private int Fill(Slot slot, int count)
    {
        Tensor.Ensure(ref slot.Raw, count, _featureShape);
        Tensor.Ensure(ref slot.Targets, count, _targetShape);
        var n = _cursor!.Read(slot.Raw!, slot.Targets!, slot.Rows.AsSpan(0, count));
        if (n <= 0)
        {
            return 0;
        }

        if (n < count)
        {
            Tensor.Ensure(ref slot.Raw, n, _featureShape);
            Tensor.Ensure(ref slot.Targets, n, _targetShape);
        }

        if (_augmentation is not null)
        {
            Tensor.Ensure(ref slot.Augmented, n, _augmentedShape!);
            _augmentation.ApplyToBatch(slot.Raw!, slot.Rows.AsSpan(0, n), _seed, _epoch, _training, slot.Augmented!);
            if (_spatial is not null)
            {
                Tensor.Ensure(ref slot.MovedTargets, n, _movedTargetShape!);
                _augmentation.MoveTargets(slot.Targets!, slot.Rows.AsSpan(0, n), _featureShape, _spatial, _seed, _epoch, _training, slot.MovedTargets!);
            }
        }

        slot.Count = n;
        return n;
    }

    /// <summary>The buffers of one mini-batch.</summary>
    private sealed class Slot
    {
        public Tensor? Raw;
        public Tensor? Augmented;
        public Tensor? Targets;
        public Tensor? MovedTargets;
        public int[] Rows = [];
        public int Count;
    }
}
