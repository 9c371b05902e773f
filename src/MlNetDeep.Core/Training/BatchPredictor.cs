using MlNetDeep.Kernels;
using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.Training;

/// <summary>
/// Runs a trained network in inference mode (dropout off, batch-norm running statistics) over batch after batch, with
/// each core computing whole rows: a batch of at least <see cref="MinGroupRows"/> rows per thread is cut into one group
/// of rows per thread (<see cref="WorkerPool.MaxDegreeOfParallelism"/>), and each group goes through its own copy of the
/// network on one core.
/// </summary>
/// <remarks>
/// <para>
/// Splitting every layer's work between the cores, as one forward pass over the batch does, makes them meet after each
/// layer; on the small layers of MNIST-sized networks those meetings cost as much as the arithmetic, and more when the
/// two cores sit on different dies. Groups of rows meet once a batch. A sample's outputs do not depend on the batch it
/// is in (the engine's layers add each sample's terms in an order fixed by the sample alone), so the results are the
/// bits of one forward pass over the whole batch, on any thread count. A batch too small to give every thread
/// <see cref="MinGroupRows"/> rows is computed in one pass, the layers splitting their work as usual.
/// </para>
/// <para>
/// The copies (<see cref="NetworkFile.Clone"/>) are made at the first batch that needs them and share the network's
/// parameters and buffers: they see every later change of its weights, and cost memory only for their per-call
/// buffers. A network that cannot be copied (a layer that cannot describe itself, or whose description has no registered
/// factory) is computed in one pass. A predictor is not thread-safe: use one per thread; with <c>copiesOnly</c> they may
/// share one network, which none of them then runs itself.
/// </para>
/// </remarks>
public sealed class BatchPredictor
{
    /// <summary>Rows each thread must get before a batch is cut into groups.</summary>
    public const int MinGroupRows = 16;

    private readonly Layer _network;
    private readonly bool _copiesOnly;
    private readonly GroupJob _job;

    // Per group, the layer it runs on: the network itself first, unless copies only.
    private readonly NetworkCopies _copies;

    /// <summary>Creates a predictor for <paramref name="network"/>; the first group (or a batch in one pass) runs on the network itself.</summary>
    /// <param name="network">A built network; its copies are made when first needed.</param>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    public BatchPredictor(Layer network)
        : this(network, copiesOnly: false)
    {
    }

    /// <summary>Creates a predictor for <paramref name="network"/>.</summary>
    /// <param name="network">A built network; its copies are made when first needed.</param>
    /// <param name="copiesOnly">
    /// True to run every group, a batch in one pass included, on the predictor's own copies (sharing the network's
    /// weights) and never on the network itself: several predictors made so over one network can then run on different
    /// threads at once. The network must then be one that <see cref="NetworkFile.Clone"/> can copy.
    /// </param>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    public BatchPredictor(Layer network, bool copiesOnly)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' is not built or trained yet.");
        }

        _network = network;
        _copiesOnly = copiesOnly;
        _copies = new NetworkCopies(network, includesNetwork: !copiesOnly);
        _job = new GroupJob(network.InputShape.ToArray(), network.OutputShape.ToArray());
    }

    /// <summary>The network the predictor runs.</summary>
    public Layer Network => _network;

    /// <summary>
    /// Computes the network's outputs for every row of <paramref name="batch"/>: [N, ..InputShape], or [N, F] with F the
    /// input's size, as <see cref="Layer.Forward"/> takes it.
    /// </summary>
    /// <returns>The outputs, [N, ..OutputShape], owned by the predictor (or the network) and valid until the next call.</returns>
    /// <exception cref="ArgumentException">The batch's rows do not have the network's input shape.</exception>
    /// <exception cref="InvalidOperationException">The network was built again for other shapes since the predictor was made.</exception>
    public Tensor Predict(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!TakesWhole(batch))
        {
            throw new ArgumentException(
                $"The batch has shape {Tensor.Format(batch.Shape)} but network '{_network.Name}' expects [N, {string.Join(", ", _network.InputShape.ToArray())}].",
                nameof(batch));
        }

        return Run(batch, 0, batch.Rows);
    }

    /// <summary>
    /// Computes the network's outputs for rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> +
    /// <paramref name="rows"/>) of <paramref name="source"/>, without copying them into a batch first.
    /// </summary>
    /// <param name="source">Rows that each hold as many values as the network's input, such as [N, 784] for [1, 28, 28].</param>
    /// <param name="firstRow">The first row to compute.</param>
    /// <param name="rows">How many rows to compute.</param>
    /// <returns>The outputs, [<paramref name="rows"/>, ..OutputShape], owned by the predictor (or the network) and valid until the next call.</returns>
    /// <exception cref="ArgumentException">The rows do not hold the network's input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows are not all in <paramref name="source"/>, or <paramref name="rows"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The network was built again for other shapes since the predictor was made.</exception>
    public Tensor Predict(Tensor source, int firstRow, int rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.RowSize != Tensor.ProductOf(_network.InputShape))
        {
            throw new ArgumentException(
                $"The rows of shape {Tensor.Format(source.Shape)} hold {source.RowSize} values but network '{_network.Name}' expects [N, {string.Join(", ", _network.InputShape.ToArray())}].",
                nameof(source));
        }

        if (rows <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "At least one row must be computed.");
        }

        if (firstRow < 0 || (long)firstRow + rows > source.Rows)
        {
            throw new ArgumentOutOfRangeException(
                nameof(firstRow), firstRow, $"Rows {firstRow} to {(long)firstRow + rows - 1} are not all among the source's {source.Rows}.");
        }

        return Run(source, firstRow, rows);
    }

    /// <summary>
    /// Computes the network's outputs for <paramref name="rows"/> rows that <paramref name="readRow"/> writes into the
    /// input of the group computing them, each on the thread that computes it: rows kept apart (one array each) are
    /// never copied into a batch first.
    /// </summary>
    /// <param name="rows">How many rows to compute.</param>
    /// <param name="readRow">Writes a row's input values; called once per row, on several threads at once.</param>
    /// <returns>The outputs, [<paramref name="rows"/>, ..OutputShape], owned by the predictor (or the network) and valid until the next call.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The network was built again for other shapes since the predictor was made.</exception>
    public Tensor Predict(int rows, RowReader readRow)
    {
        ArgumentNullException.ThrowIfNull(readRow);
        if (rows <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "At least one row must be computed.");
        }

        return Run(null, readRow, 0, rows);
    }

    /// <summary>The outputs of rows already checked.</summary>
    internal Tensor Run(Tensor source, int firstRow, int rows) => Run(source, null, firstRow, rows);

    /// <summary>
    /// Makes <paramref name="count"/> copies of the network ready for <see cref="RunOnCopy"/>, which threads may then call
    /// at once with different copies. Copies only; false if the network was built again for other shapes.
    /// </summary>
    internal bool PrepareCopies(int count)
    {
        if (!_copiesOnly)
        {
            throw new InvalidOperationException("Only a copies-only predictor hands out its copies.");
        }

        if (!Fits())
        {
            return false;
        }

        _copies.Ensure(count, mustCopy: true);
        if (_job.Inputs.Length < count)
        {
            Array.Resize(ref _job.Inputs, count);
        }

        return true;
    }

    /// <summary>
    /// Computes rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rows"/>) that
    /// <paramref name="readRow"/> writes, in one pass through copy <paramref name="copy"/> on the calling thread: how a
    /// caller that splits a batch between threads itself computes its part. The copy must be prepared
    /// (<see cref="PrepareCopies"/>); the outputs are the copy's, valid until its next pass.
    /// </summary>
    internal Tensor RunOnCopy(int copy, int firstRow, int rows, RowReader readRow)
    {
        // One thread's part of a split the caller made: planned for one thread (see WorkerPool.Alone).
        using var alone = WorkerPool.Alone();
        var input = Tensor.Ensure(ref _job.Inputs[copy], rows, _job.RowShape);
        GroupJob.Fill(null, readRow, firstRow, input);
        return _copies[copy].Forward(input, training: false);
    }

    /// <summary>The outputs of rows already checked, taken from <paramref name="source"/> or written by <paramref name="readRow"/>.</summary>
    private Tensor Run(Tensor? source, RowReader? readRow, int firstRow, int rows)
    {
        if (!Fits())
        {
            throw new InvalidOperationException(
                $"Network '{_network.Name}' was built again for other shapes since this predictor was made; make a new BatchPredictor.");
        }

        var groups = Groups(rows);
        var job = _job;
        if (groups <= 1)
        {
            var layer = _copiesOnly && _copies.Ensure(1, mustCopy: true) ? _copies[0] : _network;
            if (source is not null && firstRow == 0 && rows == source.Rows && TakesWhole(source))
            {
                return layer.Forward(source, training: false);
            }

            var input = Tensor.Ensure(ref job.Inputs[0], rows, job.RowShape);
            GroupJob.Fill(source, readRow, firstRow, input);
            return layer.Forward(input, training: false);
        }

        var output = Tensor.Ensure(ref job.Output, rows, job.OutputRowShape);
        job.Start(_copies, source, readRow, firstRow, rows, groups);
        try
        {
            WorkerPool.For(groups, job);
        }
        finally
        {
            job.Finish();
        }

        return output;
    }

    /// <summary>
    /// True when the network takes <paramref name="batch"/> as it is: rows of its input shape, or flat rows of as many
    /// values (as <see cref="Layer.Forward"/> accepts).
    /// </summary>
    private bool TakesWhole(Tensor batch) =>
        batch.RowSize == Tensor.ProductOf(_network.InputShape) && (batch.Rank <= 2 || batch.Shape[1..].SequenceEqual(_network.InputShape));

    /// <summary>True while the network has the shapes the predictor was made for (it can be rebuilt).</summary>
    internal bool Fits() =>
        _network.InputShape.SequenceEqual(_job.RowShape) && _network.OutputShape.SequenceEqual(_job.OutputRowShape);

    /// <summary>
    /// How many groups a batch of <paramref name="rows"/> is cut into: one per thread when each gets
    /// <see cref="MinGroupRows"/> rows and the network's copies can be made, else one.
    /// </summary>
    private int Groups(int rows)
    {
        var groups = Math.Min(WorkerPool.MaxDegreeOfParallelism, rows / MinGroupRows);
        if (groups <= 1 || _copies.CannotCopy || WorkerPool.IsInsideJob || !_copies.Ensure(groups, mustCopy: _copiesOnly))
        {
            return 1;
        }

        return groups;
    }

    /// <summary>One batch's groups: item g copies its rows in, runs copy g of the network and copies its outputs out.</summary>
    private sealed class GroupJob(int[] rowShape, int[] outputRowShape) : ParallelJob
    {
        public readonly int[] RowShape = rowShape;
        public readonly int[] OutputRowShape = outputRowShape;
        public Tensor?[] Inputs = new Tensor?[1];
        public Tensor? Output;
        private NetworkCopies? _copies;
        private Tensor? _source;
        private RowReader? _readRow;
        private int _firstRow;
        private int _rows;
        private int _groups;

        public void Start(NetworkCopies copies, Tensor? source, RowReader? readRow, int firstRow, int rows, int groups)
        {
            if (Inputs.Length < groups)
            {
                Array.Resize(ref Inputs, groups);
            }

            _copies = copies;
            _source = source;
            _readRow = readRow;
            _firstRow = firstRow;
            _rows = rows;
            _groups = groups;
        }

        public void Finish()
        {
            _source = null;
            _readRow = null;
        }

        /// <summary>
        /// Fills every row of <paramref name="input"/> with the rows from <paramref name="firstRow"/> on: copied from
        /// <paramref name="source"/>, or, without one, written by <paramref name="readRow"/>.
        /// </summary>
        public static void Fill(Tensor? source, RowReader? readRow, int firstRow, Tensor input)
        {
            if (source is not null)
            {
                source.CopyRowsTo(firstRow, input);
                return;
            }

            var width = input.RowSize;
            for (var r = 0; r < input.Rows; r++)
            {
                readRow!(firstRow + r, input.Data.AsSpan(r * width, width));
            }
        }

        public override void Execute(int index)
        {
            var first = (int)((long)_rows * index / _groups);
            var count = (int)((long)_rows * (index + 1) / _groups) - first;
            var input = Tensor.Ensure(ref Inputs[index], count, RowShape);
            Fill(_source, _readRow, _firstRow + first, input);

            var result = _copies![index].Forward(input, training: false);
            result.Span.CopyTo(Output!.Data.AsSpan(first * result.RowSize, result.Length));
        }
    }
}
