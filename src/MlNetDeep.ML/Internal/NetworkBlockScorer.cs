using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Kernels;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Scores a cursor's <see cref="RowBlock"/> with a private copy of the network (<see cref="NetworkCopy"/>), through its
/// <see cref="BatchPredictor"/>, then serves each row's outputs. A row's outputs are the bits <see cref="NetworkScorer"/>
/// gives it alone: the engine's layers compute every sample of a batch in the same order whatever the batch. A row with
/// a non-finite feature is scored as missing and given to the network as zeros, so it cannot touch the other rows.
/// </summary>
/// <remarks>
/// <para>
/// A page is scored in one call (a group of rows per thread), or, with two pool threads, split: its first rows on the
/// cursor's worker through the predictor's second copy, the rest here through its first; the consumer computes its part
/// and then serves from the first row, which the worker has computed meanwhile. There is one split for each kind of page
/// (full pages, a cursor's short first page, the input's last page): each starts even and moves toward the thread that
/// waited, or, on the last page, toward even scoring times (<see cref="Balance"/>); they are
/// kept with the pooled copy, so the next cursor starts where this one ended.
/// </para>
/// <para>
/// Each row's features stay in the buffer the input's getter filled (one per slot) and are copied once, by the thread
/// that computes the row, into its input: reading a row costs the getter's copy and the finiteness check alone.
/// </para>
/// </remarks>
internal sealed class NetworkBlockScorer : BlockScorer, IScoreSource
{
    private readonly NeuralNetworkTransformer _model;
    private readonly RowBlock _block;
    private readonly ValueGetter<VBuffer<float>>? _vector;
    private readonly ValueGetter<float>? _scalar;
    private readonly string _featureName;
    private readonly int _width;
    private readonly int _outputs;
    private readonly RowReader _readRow;

    // The page being scored: its first slot, its rows, how many of them (from the first) the worker scores and whether
    // it has; what scoring each part threw; how long the caller's part took.
    private int _first;
    private int _rows;
    private int _workerRows;
    private int _workerDone;
    private long _callerTicks;
    private long _workerTicks;
    private NetworkCopy.PageKind _kind;
    private ExceptionDispatchInfo? _callerError;
    private ExceptionDispatchInfo? _workerError;
    private NetworkCopy? _copy;

    public NetworkBlockScorer(NeuralNetworkTransformer model, DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive, RowBlock block)
    {
        _model = model;
        _block = block;
        var features = input.Schema[model.FeatureColumnName];
        _featureName = features.Name;
        if (features.Type is VectorDataViewType)
        {
            _vector = input.GetGetter<VBuffer<float>>(features);
        }
        else
        {
            _scalar = input.GetGetter<float>(features);
        }

        _copy = model.RentCopy();
        _width = Tensor.ProductOf(model.FeatureShapeArray);
        _outputs = model.OutputCount;
        _readRow = ReadRow;
        var getters = new Delegate?[outputSchema.Count];
        for (var i = input.Schema.Count; i < outputSchema.Count; i++)
        {
            if (isActive(i))
            {
                getters[i] = ScoreOutputs.Getter(model.Task, model.ColumnNames.Role(outputSchema[i].Name), this, model.Detector, model.Segmentation);
            }
        }

        Getters = getters;
    }

    public override Delegate?[] Getters { get; }

    private NetworkCopy Copy => _copy ?? throw new ObjectDisposedException(nameof(BlockCursor), "The cursor was disposed.");

    // The row is checked while it is in the cache; one with a non-finite value is scored as missing.
    public override void Read(int slot)
    {
        var copy = Copy;
        ref var features = ref copy.Features[slot];
        if (_vector is { } vector)
        {
            vector(ref features);
            if (features.Length != _width)
            {
                throw NetworkInput.WrongLength(_featureName, features.Length, _width);
            }
        }
        else
        {
            var value = 0f;
            _scalar!(ref value);
            var editor = VBufferEditor.Create(ref features, 1);
            editor.Values[0] = value;
            features = editor.Commit();
        }

        copy.Finite[slot] = Tensor.IndexOfNonFinite(features.GetValues()) < 0;
    }

    /// <summary>
    /// With exactly two pool threads and a group's worth of rows for each: the worker's share of the rows (at least
    /// <see cref="BatchPredictor.MinGroupRows"/> on either side), the share kept for the page's kind: a full page the
    /// worker reads after, the short first page it reads a full one after, or a page it reads nothing after. More threads
    /// keep the groups of one call.
    /// </summary>
    public override int WorkerRows(int rows, bool readsNext)
    {
        if (!SplitsPages || rows < 2 * BatchPredictor.MinGroupRows)
        {
            return 0;
        }

        var copy = Copy;
        if (!copy.Predictor.PrepareCopies(2))
        {
            return 0;
        }

        if (!copy.SizedForSplits && _model.PoolsCopies)
        {
            // A kept copy is sized once for the largest part either thread can get, so that moving the split never
            // allocates again (each layer grows its buffers to the largest batch it has seen).
            var largest = _block.Capacity - BatchPredictor.MinGroupRows;
            copy.Predictor.RunOnCopy(0, 0, largest, Zeros);
            copy.Predictor.RunOnCopy(1, 0, largest, Zeros);
            copy.SizedForSplits = true;
        }

        _kind = !readsNext ? NetworkCopy.PageKind.Last : rows < _block.Capacity ? NetworkCopy.PageKind.First : NetworkCopy.PageKind.Full;
        var onWorker = (int)Math.Round(copy.WorkerShares[(int)_kind] * rows);
        return Math.Clamp(onWorker, BatchPredictor.MinGroupRows, rows - BatchPredictor.MinGroupRows);
    }

    public override bool SplitsPages => WorkerPool.MaxDegreeOfParallelism == 2 && !WorkerPool.IsInsideJob;

    public override void Begin(int page, int rows, int workerRows)
    {
        _first = _block.First(page);
        _rows = rows;
        _workerRows = workerRows;
        _callerError = null;
        _workerError = null;
        _workerTicks = 0;
        Volatile.Write(ref _workerDone, workerRows == 0 ? 1 : 0);
    }

    public override void ScoreOnCaller()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            Score(_workerRows == 0 ? -1 : 0, _workerRows, _rows - _workerRows);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _callerError = ExceptionDispatchInfo.Capture(e);
        }

        _callerTicks = Stopwatch.GetTimestamp() - started;
    }

    public override void ScoreOnWorker()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            Score(1, 0, _workerRows);
            _workerTicks = Stopwatch.GetTimestamp() - started;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _workerError = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            Volatile.Write(ref _workerDone, 1);
        }
    }

    /// <summary>
    /// Moves the page kind's share toward evenness. After a page followed by a read, toward the thread that finished
    /// first: each of the caller's rows took about its share of the caller's time, and moving a row shifts the difference
    /// by twice that. After the input's last page (nothing read: the two threads only score), toward the split at which
    /// both parts would have taken the same time, from each part's time a row (the consumer's rows, read by the worker,
    /// can cost more than the worker's own). Half the correction is applied, to damp noise.
    /// </summary>
    public override void Balance(long workerLateTicks)
    {
        var callerRows = _rows - _workerRows;
        if (_workerRows == 0 || callerRows <= 0 || _callerTicks <= 0 || _workerError is not null)
        {
            return;
        }

        var shares = Copy.WorkerShares;
        var share = shares[(int)_kind];
        var callerRow = (double)_callerTicks / callerRows;
        if (_kind != NetworkCopy.PageKind.Last)
        {
            share -= workerLateTicks / (4 * callerRow) / _rows;
        }
        else if (_workerTicks > 0)
        {
            var workerRow = (double)_workerTicks / _workerRows;
            share += 0.5 * ((callerRow / (callerRow + workerRow)) - share);
        }

        shares[(int)_kind] = Math.Clamp(share, 0.1, 0.9);
    }

    public ReadOnlySpan<float> Current()
    {
        _block.ThrowIfCurrentFailed(addedColumn: true);
        var slot = _block.Slot;
        if (slot < _first + _workerRows)
        {
            if (Volatile.Read(ref _workerDone) == 0)
            {
                var spinner = default(SpinWait);
                while (Volatile.Read(ref _workerDone) == 0)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }

            _workerError?.Throw();
        }
        else
        {
            _callerError?.Throw();
        }

        return Copy.Outputs.AsSpan(slot * _outputs, _outputs);
    }

    public override void Dispose()
    {
        if (_copy is { } copy)
        {
            _copy = null;
            _model.ReturnCopy(copy);
        }
    }

    private static void Zeros(int row, Span<float> destination) => destination.Clear();

    /// <summary>Writes row <paramref name="row"/> of the page's features (dense) into a group's input; zeros for a row with a non-finite value.</summary>
    private void ReadRow(int row, Span<float> destination)
    {
        var copy = Copy;
        var slot = _first + row;
        if (copy.Finite[slot])
        {
            copy.Features[slot].CopyTo(destination);
        }
        else
        {
            destination.Clear();
        }
    }

    /// <summary>
    /// Scores rows [<paramref name="firstRow"/>, + <paramref name="rows"/>) of the page through copy
    /// <paramref name="copyIndex"/> on this thread, or (−1) all of them in one predictor call.
    /// </summary>
    private void Score(int copyIndex, int firstRow, int rows)
    {
        var copy = Copy;
        var first = _first + firstRow;
        var anyFinite = copy.Finite.AsSpan(first, rows).Contains(true);
        Tensor? logits = null;
        if (anyFinite)
        {
            logits = copyIndex < 0 ? copy.Predictor.Predict(rows, _readRow) : copy.Predictor.RunOnCopy(copyIndex, firstRow, rows, _readRow);
        }

        var k = _outputs;
        for (var r = 0; r < rows; r++)
        {
            var finite = copy.Finite[first + r];
            ScoreOutputs.Compute(_model.Task, finite, finite ? logits!.Row(r) : default, copy.Outputs.AsSpan((first + r) * k, k), _model.Segmentation?.Classes ?? 0);
        }
    }
}
