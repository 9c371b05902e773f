using System.Numerics.Tensors;
using MlNetDeep.Kernels;
using MlNetDeep.Layers;
using MlNetDeep.Losses;

namespace MlNetDeep.Training;

/// <summary>
/// Forward and backward of one training mini-batch of a network that computes each sample alone, in lanes of rows run
/// on copies of the network (one lane per core at a time), each lane in cache-sized chunks (see <see cref="Trainer"/>'s
/// remarks): each chunk's cost gradient is weighted by the chunk's share of the batch (its rows, or its example weights)
/// and its gradients add up in its lane's; the lanes' gradients then add up, in lane order, in the parameters', which
/// the caller cleared before and steps after. Reuses its buffers: allocates nothing once warm.
/// </summary>
/// <remarks>
/// How many lanes a batch has and which rows each takes depends on the batch's rows and the network alone, never on the
/// thread count, and a lane's gradients are the same whichever copy computes them: the step has the same bits on any
/// thread count. Lanes are what keep the cores apart: within a lane every layer runs on one core, so the cores meet once
/// a batch instead of inside every layer (as <see cref="BatchPredictor"/>'s groups do for inference).
/// </remarks>
internal sealed class ChunkedBatch
{
    /// <summary>The fewest rows a lane takes (fewer when the chunks are smaller).</summary>
    internal const int MinLaneRows = 32;

    /// <summary>The most lanes a batch is cut into.</summary>
    internal const int MaxLanes = 8;

    private readonly Layer _network;
    private readonly Loss _loss;
    private readonly Parameter[] _parameters;
    private readonly long _parameterBytes;
    private readonly NetworkCopies _copies;
    private readonly LaneJob _lanes;
    private readonly ReduceJob _reduce;
    private readonly object _observerGate = new();
    private readonly Buffers _buffers = new();

    /// <summary>Runs batches of <paramref name="network"/>, built, with <paramref name="loss"/> in chunks of <see cref="Trainer.ChunkRows"/> rows.</summary>
    public ChunkedBatch(Layer network, Loss loss)
        : this(network, loss, Trainer.ChunkRows(network, loss))
    {
    }

    /// <summary>Runs batches of <paramref name="network"/>, built, with <paramref name="loss"/> in chunks of <paramref name="chunkRows"/> rows (0: never in chunks or lanes).</summary>
    public ChunkedBatch(Layer network, Loss loss, int chunkRows)
    {
        _network = network;
        _loss = loss;
        ChunkRows = chunkRows;
        _parameters = [.. network.Parameters];
        var parameterCount = _parameters.Sum(p => (long)p.Value.Length);
        _parameterBytes = parameterCount * sizeof(float);
        static long Activations(Layer layer) => layer is Sequential chain ? chain.Layers.Sum(Activations) : Tensor.ProductOf(layer.OutputShape);
        var perRow = Tensor.ProductOf(network.InputShape) + Activations(network);
        LaneRows = (int)Math.Clamp((parameterCount + perRow - 1) / perRow, Math.Min(MinLaneRows, Math.Max(1, chunkRows)), int.MaxValue);
        _copies = new NetworkCopies(network, includesNetwork: false);
        _lanes = new LaneJob(this);
        _reduce = new ReduceJob(this);
    }

    /// <summary>Sees each chunk's outputs and targets before its backward pass (divergence checks, accuracy counts); one chunk at a time.</summary>
    public interface IObserver
    {
        /// <summary>A chunk's outputs, with its targets.</summary>
        void OnOutput(Tensor output, Tensor targets);
    }

    /// <summary>The rows of a chunk; 0 when the network or the loss couples the rows of a batch.</summary>
    public int ChunkRows { get; }

    /// <summary>
    /// The fewest rows a lane of this network takes: <see cref="MinLaneRows"/> (fewer when chunks are smaller), and at least
    /// as many as make the lane's activations (all layers' outputs and the input) outnumber the network's parameters,
    /// which every lane reads and whose gradients it writes and adds: with fewer rows, a lane would spend more on them than
    /// the cores' meetings it saves (an MLP whose weights outweigh its activations keeps its batches whole). The lanes'
    /// gradients so never take more memory than the batch's activations.
    /// </summary>
    public int LaneRows { get; }

    /// <summary>True when a batch of <paramref name="rows"/> rows is trained in lanes or chunks: when it makes two or more of either.</summary>
    public bool Splits(int rows) => ChunkRows > 0 && (rows >= 2 * ChunkRows || Lanes(rows) >= 2);

    /// <summary>
    /// How many lanes a batch of <paramref name="rows"/> rows is cut into: one per <see cref="LaneRows"/> rows, at most
    /// <see cref="MaxLanes"/>; 1 when the network is not chunked or cannot be copied.
    /// </summary>
    public int Lanes(int rows) => ChunkRows == 0 || _copies.CannotCopy ? 1 : Math.Clamp(rows / LaneRows, 1, MaxLanes);

    /// <summary>
    /// Runs <paramref name="features"/> (with <paramref name="targets"/> and, if given, the rows' example
    /// <paramref name="weights"/>) forward and backward through the network in lanes and chunks; returns the batch's
    /// (weighted) mean cost.
    /// </summary>
    public double Run(Tensor features, Tensor targets, Tensor? weights, IObserver? observer)
    {
        var count = features.Rows;
        var lanes = Lanes(count);
        var copies = Math.Min(lanes, WorkerPool.MaxDegreeOfParallelism);
        if (lanes >= 2 && !_copies.Ensure(copies, mustCopy: false))
        {
            lanes = 1;
        }

        var total = weights is null ? count : TensorPrimitives.Sum(weights.Span);
        var chunkRows = ChunkRows > 0 ? ChunkRows : count;
        if (lanes == 1)
        {
            return RunRows(_network, _buffers, features, targets, weights, 0, count, chunkRows, total, observer);
        }

        var job = _lanes;
        job.Start(features, targets, weights, lanes, copies, chunkRows, total, observer);
        try
        {
            WorkerPool.For(lanes, job);
        }
        finally
        {
            job.Finish();
        }

        WorkerPool.For(_reduce.Start(job.LaneGradients, lanes), _reduce);
        double cost = 0;
        for (var l = 0; l < lanes; l++)
        {
            cost += job.Costs[l];
        }

        return cost;
    }

    /// <summary>
    /// Runs rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="rows"/>) through
    /// <paramref name="layer"/> in chunks of <paramref name="chunkRows"/>, its gradients adding up in its parameters';
    /// returns the rows' share of the batch's cost, summed chunk by chunk.
    /// </summary>
    private double RunRows(
        Layer layer, Buffers buffers, Tensor features, Tensor targets, Tensor? weights, int first, int rows, int chunkRows, float total, IObserver? observer)
    {
        double cost = 0;
        var end = first + rows;
        for (var start = first; start < end; start += chunkRows)
        {
            var n = Math.Min(chunkRows, end - start);
            var x = Tensor.Ensure(ref buffers.Features, n, features.Shape[1..]);
            features.CopyRowsTo(start, x);
            var y = Tensor.Ensure(ref buffers.Targets, n, targets.Shape[1..]);
            targets.CopyRowsTo(start, y);
            var output = layer.Forward(x, training: true);
            if (observer is not null)
            {
                lock (_observerGate)
                {
                    observer.OnOutput(output, y);
                }
            }

            var gradient = Tensor.Ensure(ref buffers.Gradient, n, layer.OutputShape);
            float share;
            double part;
            if (weights is null)
            {
                part = _loss.Compute(output, y, gradient);
                share = (float)n / total;
            }
            else
            {
                var w = weights.Span.Slice(start, n);
                part = _loss.Compute(output, y, gradient, w);
                share = total > 0 ? TensorPrimitives.Sum(w) / total : 0f;
            }

            cost += part * share;
            TensorPrimitives.Multiply(gradient.Span, share, gradient.Span);
            layer.Backward(gradient);
        }

        return cost;
    }

    /// <summary>A chunk's input, targets and cost gradient, reused from batch to batch.</summary>
    private sealed class Buffers
    {
        public Tensor? Features;
        public Tensor? Targets;
        public Tensor? Gradient;
    }

    /// <summary>
    /// One batch's lanes: lane l takes a free copy of the network, points its parameters' gradients at lane l's (the
    /// network's own for lane 0, cleared ones of the lane's otherwise) and runs its rows.
    /// </summary>
    private sealed class LaneJob(ChunkedBatch owner) : ParallelJob
    {
        public readonly double[] Costs = new double[MaxLanes];

        // Per lane from 1 on, per parameter: the lane's gradient.
        public readonly Tensor[][] LaneGradients = new Tensor[MaxLanes][];
        private Buffers[] _buffers = [];
        private int[] _busy = [];
        private Tensor? _features;
        private Tensor? _targets;
        private Tensor? _weights;
        private IObserver? _observer;
        private int _lanes;
        private int _chunkRows;
        private float _total;

        /// <summary>Readies a batch of <paramref name="lanes"/> lanes run on the first <paramref name="copies"/> copies.</summary>
        public void Start(Tensor features, Tensor targets, Tensor? weights, int lanes, int copies, int chunkRows, float total, IObserver? observer)
        {
            if (_buffers.Length < copies)
            {
                _buffers = [.. _buffers, .. Enumerable.Range(0, copies - _buffers.Length).Select(_ => new Buffers())];
                _busy = new int[copies];
            }

            for (var l = 1; l < lanes; l++)
            {
                LaneGradients[l] ??= [.. owner._parameters.Select(p => new Tensor(p.Gradient.ShapeArray()))];
            }

            (_features, _targets, _weights, _observer) = (features, targets, weights, observer);
            (_lanes, _chunkRows, _total) = (lanes, chunkRows, total);
        }

        public void Finish() => (_features, _targets, _weights, _observer) = (null, null, null, null);

        public override void Execute(int index)
        {
            var copy = Acquire();
            try
            {
                var parameters = owner._copies.ParametersOf(copy);
                for (var p = 0; p < parameters.Length; p++)
                {
                    var gradient = index == 0 ? owner._parameters[p].Gradient : LaneGradients[index][p];
                    if (index > 0)
                    {
                        gradient.Clear();
                    }

                    parameters[p].Gradient.ShareStorageOf(gradient);
                }

                var rows = _features!.Rows;
                var first = (int)((long)rows * index / _lanes);
                var end = (int)((long)rows * (index + 1) / _lanes);
                Costs[index] = owner.RunRows(
                    owner._copies[copy], _buffers[copy], _features, _targets!, _weights, first, end - first, _chunkRows, _total, _observer);
            }
            finally
            {
                Volatile.Write(ref _busy[copy], 0);
            }
        }

        /// <summary>A copy no other lane is running: there is one for each thread that can run a lane at once.</summary>
        private int Acquire()
        {
            while (true)
            {
                for (var c = 0; c < _busy.Length; c++)
                {
                    if (Interlocked.CompareExchange(ref _busy[c], 1, 0) == 0)
                    {
                        return c;
                    }
                }

                Thread.SpinWait(1);
            }
        }
    }

    /// <summary>Adds lanes 1 and on's gradients to the parameters' (lane 0's), in lane order, each part of every parameter on one thread.</summary>
    private sealed class ReduceJob(ChunkedBatch owner) : ParallelJob
    {
        private Tensor[][] _laneGradients = [];
        private int _lanes;
        private int _parts;

        /// <summary>How many parts the sums are cut into: one per MiB of gradients, so a small network's stay on one core.</summary>
        public static int Parts(long bytes) => (int)Math.Clamp(bytes >> 20, 1, 64);

        /// <summary>Readies the sums of <paramref name="lanes"/> lanes; returns how many parts to run.</summary>
        public int Start(Tensor[][] laneGradients, int lanes)
        {
            _laneGradients = laneGradients;
            _lanes = lanes;
            _parts = Math.Min(WorkerPool.MaxDegreeOfParallelism, Parts(owner._parameterBytes));
            return _parts;
        }

        public override void Execute(int index)
        {
            for (var p = 0; p < owner._parameters.Length; p++)
            {
                var sum = owner._parameters[p].Gradient.Span;
                var from = WorkerPool.PartStart(index, _parts, sum.Length);
                var to = WorkerPool.PartStart(index + 1, _parts, sum.Length);
                var part = sum[from..to];
                for (var l = 1; l < _lanes; l++)
                {
                    TensorPrimitives.Add(part, _laneGradients[l][p].Span[from..to], part);
                }
            }
        }
    }
}
