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
/// factory) is computed in one pass. Not
/// thread-safe: use one predictor per thread, as with the network itself.
/// </para>
/// </remarks>
public sealed class BatchPredictor
{
    /// <summary>Rows each thread must get before a batch is cut into groups.</summary>
    public const int MinGroupRows = 16;

    private readonly Layer _network;
    private readonly GroupJob _job;
    private Layer[] _copies;
    private Tensor[][] _sharedTensors;
    private bool _cannotCopy;
    private long _builds;

    /// <summary>Creates a predictor for <paramref name="network"/>.</summary>
    /// <param name="network">A built network; its copies are made when first needed.</param>
    /// <exception cref="InvalidOperationException">The network is not built.</exception>
    public BatchPredictor(Layer network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!network.IsBuilt)
        {
            throw new InvalidOperationException($"Network '{network.Name}' is not built or trained yet.");
        }

        _network = network;
        _copies = [network];
        _builds = Layer.Builds;
        _sharedTensors = [SharedTensors(network)];
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

    /// <summary>The outputs of rows already checked.</summary>
    internal Tensor Run(Tensor source, int firstRow, int rows)
    {
        if (!Fits(_network))
        {
            throw new InvalidOperationException(
                $"Network '{_network.Name}' was built again for other shapes since this predictor was made; make a new BatchPredictor.");
        }

        var groups = Groups(rows);
        var job = _job;
        if (groups <= 1)
        {
            if (firstRow == 0 && rows == source.Rows && TakesWhole(source))
            {
                return _network.Forward(source, training: false);
            }

            var input = Tensor.Ensure(ref job.Inputs[0], rows, job.RowShape);
            source.CopyRowsTo(firstRow, input);
            return _network.Forward(input, training: false);
        }

        var output = Tensor.Ensure(ref job.Output, rows, job.OutputRowShape);
        job.Start(_copies, source, firstRow, rows, groups);
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
    internal bool Fits(Layer network) =>
        ReferenceEquals(network, _network) && network.InputShape.SequenceEqual(_job.RowShape)
        && network.OutputShape.SequenceEqual(_job.OutputRowShape);

    /// <summary>
    /// How many groups a batch of <paramref name="rows"/> is cut into: one per thread when each gets
    /// <see cref="MinGroupRows"/> rows and the network's copies can be made, else one.
    /// </summary>
    private int Groups(int rows)
    {
        var groups = Math.Min(WorkerPool.MaxDegreeOfParallelism, rows / MinGroupRows);
        if (groups <= 1 || _cannotCopy || WorkerPool.IsInsideJob || !EnsureCopies(groups))
        {
            return 1;
        }

        return groups;
    }

    /// <summary>Makes <paramref name="count"/> copies (the network first) that share its current storage.</summary>
    private bool EnsureCopies(int count)
    {
        if (_builds != Layer.Builds)
        {
            // Some layer was built since: if it was one of the network's, its parameters are new tensors (perhaps of
            // other shapes), so take them again and start over with new copies if they no longer match.
            _builds = Layer.Builds;
            _sharedTensors[0] = SharedTensors(_network);
            for (var i = 1; i < _copies.Length; i++)
            {
                if (!SameShapes(_sharedTensors[i], _sharedTensors[0]))
                {
                    _copies = [_network];
                    _sharedTensors = [_sharedTensors[0]];
                    break;
                }
            }
        }

        if (_copies.Length < count)
        {
            var copies = new Layer[count];
            var shared = new Tensor[count][];
            _copies.CopyTo(copies, 0);
            _sharedTensors.CopyTo(shared, 0);
            for (var i = _copies.Length; i < count; i++)
            {
                try
                {
                    copies[i] = NetworkFile.Clone(_network);
                }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or InvalidDataException or ArgumentException)
                {
                    // Not describable, or described under a key no factory is registered for: one pass it is.
                    _cannotCopy = true;
                    return false;
                }

                shared[i] = SharedTensors(copies[i]);
            }

            _copies = copies;
            _sharedTensors = shared;
        }

        var own = _sharedTensors[0];
        for (var i = 1; i < count; i++)
        {
            var copy = _sharedTensors[i];
            for (var t = 0; t < own.Length; t++)
            {
                if (!ReferenceEquals(copy[t].Data, own[t].Data))
                {
                    copy[t].ShareStorageOf(own[t]);
                }
            }
        }

        return true;
    }

    private static bool SameShapes(Tensor[] a, Tensor[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var t = 0; t < a.Length; t++)
        {
            if (!a[t].Shape.SequenceEqual(b[t].Shape))
            {
                return false;
            }
        }

        return true;
    }

    private static Tensor[] SharedTensors(Layer network) =>
        [.. network.Parameters.Select(p => p.Value), .. network.Buffers.Select(b => b.Value)];

    /// <summary>One batch's groups: item g copies its rows in, runs copy g of the network and copies its outputs out.</summary>
    private sealed class GroupJob(int[] rowShape, int[] outputRowShape) : ParallelJob
    {
        public readonly int[] RowShape = rowShape;
        public readonly int[] OutputRowShape = outputRowShape;
        public Tensor?[] Inputs = new Tensor?[1];
        public Tensor? Output;
        private Layer[] _copies = [];
        private Tensor? _source;
        private int _firstRow;
        private int _rows;
        private int _groups;

        public void Start(Layer[] copies, Tensor source, int firstRow, int rows, int groups)
        {
            if (Inputs.Length < groups)
            {
                Array.Resize(ref Inputs, groups);
            }

            _copies = copies;
            _source = source;
            _firstRow = firstRow;
            _rows = rows;
            _groups = groups;
        }

        public void Finish() => _source = null;

        public override void Execute(int index)
        {
            var first = (int)((long)_rows * index / _groups);
            var count = (int)((long)_rows * (index + 1) / _groups) - first;
            var input = Tensor.Ensure(ref Inputs[index], count, RowShape);
            _source!.CopyRowsTo(_firstRow + first, input);
            var result = _copies[index].Forward(input, training: false);
            result.Span.CopyTo(Output!.Data.AsSpan(first * result.RowSize, result.Length));
        }
    }
}
