using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using MlNetDeep.Kernels;

namespace MlNetDeep.Layers;

/// <summary>
/// The batched convolution kernels shared by <see cref="Conv2D"/> and <see cref="ConvTranspose2D"/>, on a
/// <see cref="ConvolutionGeometry"/>: <see cref="Lower"/> (column side = W·im2col(image) + b, a convolution's
/// forward pass), <see cref="Raise"/> (image = col2im(Wᵀ·column side) + b, its backward data pass), and the
/// backward passes of both.
/// </summary>
/// <remarks>
/// Per sample and per group, one GEMM on the group's rows of the column matrix (weights [Co/g, Ci/g·kh·kw]). A batch is
/// cut into min(N, 8) chunks of consecutive samples, each with its own weight/bias gradient accumulators; the cores
/// claim chunks through <see cref="WorkerPool"/> (so a core slowed by other work takes fewer), each running chunk
/// borrowing one of min(chunks, cores) column buffers, and the accumulators are added into the parameters' gradients in
/// chunk order. The chunks depend on the batch size only, never on the core count or on scheduling, so the same seed
/// gives the same bits on any machine and any <see cref="WorkerPool.MaxDegreeOfParallelism"/>. The GEMMs inside a sample run on its thread. A batch of one sample runs on the calling thread so that its GEMMs can use every core. 1x1 convolutions with stride 1 and no
/// padding use the image itself as the column matrix. Small stride-1 convolutions
/// (<see cref="DirectConvolution.Supports"/>) skip im2col in the forward and backward passes of a convolution: the direct
/// AVX-512 kernels work on a zero-bordered copy of each sample, and weight gradients are kept as 16 partial sums per
/// weight in the slot's buffer until the chunk ends. Buffers are kept and reused: steady-state calls allocate nothing.
/// </remarks>
internal sealed unsafe class ConvolutionEngine
{
    /// <summary>
    /// The most chunks a batch is cut into, whatever the core count: the weight and bias gradients are sums over chunks,
    /// so the chunks must not depend on the machine for the same seed to give the same bits everywhere. Eight keep two
    /// cores busy to the end of a batch when one is slowed by other work, and let up to eight cores share a batch.
    /// </summary>
    private const int MaxChunks = 8;

    private readonly SampleJob _job;
    private readonly List<float[]> _columns = [];
    private readonly List<float[]> _weightGradients = [];
    private readonly List<float[]> _biasGradients = [];
    private readonly List<float[]> _padded = [];
    private readonly List<float[]> _paddedGradients = [];
    private readonly List<float[]> _lanes = [];
    private readonly List<float[]> _staging = [];
    private readonly bool _direct;
    private readonly bool _directInputGradient;
    private readonly DirectPlan _forwardPlan;
    private readonly DirectPlan _gradientPlan;
    private readonly float[] _forwardWeights;
    private readonly float[] _forwardWeightsSource;
    private readonly float[] _flippedWeights;
    private readonly float[] _flippedWeightsSource;
    private bool _forwardWeightsValid;
    private bool _flippedWeightsValid;
    private int[] _slotBusy = [];

    public ConvolutionEngine(ConvolutionGeometry geometry)
    {
        Geometry = geometry;
        _job = new SampleJob(this);
        _direct = DirectConvolution.Supports(geometry);
        _directInputGradient = _direct && DirectConvolution.SupportsInputGradient(geometry);
        _forwardPlan = DirectPlan.Forward(geometry);
        _gradientPlan = DirectPlan.InputGradient(geometry);
        _forwardWeights = _direct ? new float[geometry.WeightSize] : [];
        _forwardWeightsSource = _direct ? new float[geometry.WeightSize] : [];
        _flippedWeights = _directInputGradient ? new float[geometry.WeightSize] : [];
        _flippedWeightsSource = _directInputGradient ? new float[geometry.WeightSize] : [];
    }

    private enum Mode
    {
        Lower,
        Raise,
        LowerBackward,
        RaiseBackward,
    }

    public ConvolutionGeometry Geometry { get; }

    /// <summary>columnSide[n] = W·im2col(image[n]) + bias (one per column-side channel).</summary>
    public void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias) =>
        Run(Mode.Lower, image, columnSide, weight, bias, null, null, null);

    /// <summary>image[n] = col2im(Wᵀ·columnSide[n]) + bias (one per image channel).</summary>
    public void Raise(Tensor columnSide, Tensor image, Tensor weight, Tensor? bias) =>
        Run(Mode.Raise, image, columnSide, weight, bias, null, null, null);

    /// <summary>
    /// The backward pass of <see cref="Lower"/>: weightGradient += Σ dColumnSide[n]·im2col(image[n])ᵀ, biasGradient += the
    /// sums of dColumnSide's channels, imageGradient = col2im(Wᵀ·dColumnSide[n]). Null targets are skipped.
    /// </summary>
    public void LowerBackward(Tensor image, Tensor dColumnSide, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? imageGradient) =>
        Run(Mode.LowerBackward, image, dColumnSide, weight, null, weightGradient, biasGradient, imageGradient);

    /// <summary>
    /// The backward pass of <see cref="Raise"/>: with cols = im2col(dImage[n]): weightGradient += Σ columnSide[n]·colsᵀ,
    /// biasGradient += the sums of dImage's channels, columnSideGradient[n] = W·cols. Null targets are skipped.
    /// </summary>
    public void RaiseBackward(Tensor columnSide, Tensor dImage, Tensor weight, Tensor? weightGradient, Tensor? biasGradient, Tensor? columnSideGradient) =>
        Run(Mode.RaiseBackward, dImage, columnSide, weight, null, weightGradient, biasGradient, columnSideGradient);

    private void Run(Mode mode, Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, Tensor? dWeight, Tensor? dBias, Tensor? target)
    {
        var samples = image.Rows;
        var chunks = Math.Min(samples, MaxChunks);
        var slots = Math.Min(chunks, WorkerPool.MaxDegreeOfParallelism);
        var direct = _direct && mode is Mode.Lower or Mode.LowerBackward;
        var needColumns = !Geometry.IsPointwise && (mode != Mode.RaiseBackward || dWeight is not null || target is not null);
        if (_slotBusy.Length < slots)
        {
            _slotBusy = new int[slots];
        }

        if (direct)
        {
            needColumns = mode == Mode.LowerBackward && target is not null && !_directInputGradient;
            PrepareDirect(mode, weight, dWeight is not null, target is not null, slots);
        }

        for (var slot = 0; slot < slots && needColumns; slot++)
        {
            Ensure(_columns, slot, Geometry.ColumnsSize);
        }

        for (var chunk = 0; chunk < chunks; chunk++)
        {
            if (dWeight is not null)
            {
                Ensure(_weightGradients, chunk, dWeight.Length);
            }

            if (dBias is not null)
            {
                Ensure(_biasGradients, chunk, dBias.Length);
            }
        }

        _job.Set(mode, image, columnSide, weight, bias, dWeight, dBias, target, chunks, direct);
        try
        {
            if (samples == 1)
            {
                // On the calling thread, so that the GEMMs can use every core.
                _job.Execute(0);
            }
            else
            {
                WorkerPool.For(chunks, _job);
            }
        }
        finally
        {
            _job.Clear();
        }

        // Chunks are runs of samples fixed by the batch size, with their own accumulators, reduced in chunk order: the sums
        // depend neither on the core count nor on which core ran which chunk, so the same seed gives the same bits.
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            if (dWeight is not null)
            {
                TensorPrimitives.Add(dWeight.Span, _weightGradients[chunk].AsSpan(0, dWeight.Length), dWeight.Span);
            }

            if (dBias is not null)
            {
                TensorPrimitives.Add(dBias.Span, _biasGradients[chunk].AsSpan(0, dBias.Length), dBias.Span);
            }
        }
    }

    /// <summary>The direct kernels' weights (transposed, or flipped for the input gradient) and per-slot buffers.</summary>
    private void PrepareDirect(Mode mode, Tensor weight, bool weightGradient, bool inputGradient, int slots)
    {
        var g = Geometry;
        for (var slot = 0; slot < slots; slot++)
        {
            if (mode == Mode.Lower || weightGradient)
            {
                Ensure(_padded, slot, _forwardPlan.BufferSize);
            }

            if (weightGradient)
            {
                Ensure(_lanes, slot, DirectConvolution.WeightAccumulatorSize(_forwardPlan));
            }

            Ensure(_staging, slot, Math.Max(g.ColumnSideSize, g.ImageSize));

            if (inputGradient && _directInputGradient)
            {
                Ensure(_paddedGradients, slot, _gradientPlan.BufferSize);
            }
        }

        // The rearranged weights are kept with a copy of the weights they came from, so that repeated inference calls
        // (same weights, bit for bit) skip the rearrangement.
        var forward = mode == Mode.Lower;
        if (forward || (inputGradient && _directInputGradient))
        {
            var source = forward ? _forwardWeightsSource : _flippedWeightsSource;
            var valid = forward ? _forwardWeightsValid : _flippedWeightsValid;
            if (!valid || !MemoryMarshal.Cast<float, int>(weight.Span).SequenceEqual(MemoryMarshal.Cast<float, int>(source.AsSpan())))
            {
                fixed (float* w = weight.Data, d = forward ? _forwardWeights : _flippedWeights)
                {
                    if (forward)
                    {
                        DirectConvolution.TransposeWeights(g, w, d);
                    }
                    else
                    {
                        DirectConvolution.FlipWeights(g, w, d);
                    }
                }

                weight.Span.CopyTo(source);
                _forwardWeightsValid |= forward;
                _flippedWeightsValid |= !forward;
            }
        }
    }

    private static void Ensure(List<float[]> buffers, int index, int length)
    {
        while (buffers.Count <= index)
        {
            buffers.Add([]);
        }

        if (buffers[index].Length < length)
        {
            buffers[index] = new float[length];
        }
    }

    /// <summary>
    /// Runs one chunk (a fixed, contiguous run of samples, with its own gradient accumulators) on a free slot (column
    /// buffer). At most as many chunks run at once as there are slots, so a free slot always exists; chunks are claimed
    /// dynamically, so a core slowed down by other work simply takes fewer of them.
    /// </summary>
    private void RunChunk(SampleJob j, int chunk)
    {
        var samples = j.Image!.Rows;
        var first = (int)((long)chunk * samples / j.Chunks);
        var end = (int)((long)(chunk + 1) * samples / j.Chunks);
        var slot = 0;
        while (Interlocked.CompareExchange(ref _slotBusy[slot], 1, 0) != 0)
        {
            slot = (slot + 1) % _slotBusy.Length;
        }

        try
        {
            if (j.WeightGradient is not null)
            {
                _weightGradients[chunk].AsSpan(0, j.WeightGradient.Length).Clear();
            }

            if (j.BiasGradient is not null)
            {
                _biasGradients[chunk].AsSpan(0, j.BiasGradient.Length).Clear();
            }

            var lanes = j.Direct && j.WeightGradient is not null ? _lanes[slot] : null;
            lanes?.AsSpan(0, DirectConvolution.WeightAccumulatorSize(_forwardPlan)).Clear();
            for (var n = first; n < end; n++)
            {
                if (j.Direct)
                {
                    RunDirectSample(j, n, slot, chunk);
                }
                else
                {
                    RunSample(j, n, slot, chunk);
                }
            }

            if (lanes is not null)
            {
                fixed (float* l = lanes, dW = _weightGradients[chunk])
                {
                    DirectConvolution.FinishWeightGradient(_forwardPlan, l, dW);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _slotBusy[slot], 0);
        }
    }

    private void RunSample(SampleJob j, int n, int slot, int chunk)
    {
        var g = Geometry;
        var columnsBuffer = _columns.Count > slot ? _columns[slot] : null;
        var dWeightArray = j.WeightGradient is null ? null : _weightGradients[chunk];
        var dBiasArray = j.BiasGradient is null ? null : _biasGradients[chunk];
        fixed (float* image0 = j.Image!.Data, side0 = j.ColumnSide!.Data, w = j.Weight!.Data, bias = j.Bias?.Data, target0 = j.Target?.Data)
        fixed (float* buffer = columnsBuffer, dW = dWeightArray, dB = dBiasArray)
        {
            var image = image0 + ((long)n * g.ImageSize);
            var side = side0 + ((long)n * g.ColumnSideSize);
            switch (j.Mode)
            {
                case Mode.Lower:
                    MultiplyColumns(g, w, Columns(g, image, buffer), side, bias);
                    break;
                case Mode.Raise:
                    RaiseSample(g, w, side, image, buffer, bias);
                    break;
                case Mode.LowerBackward:
                    // image = x, side = ∂C/∂y, target = ∂C/∂x.
                    if (dW != null)
                    {
                        AddWeightGradient(g, side, Columns(g, image, buffer), dW);
                    }

                    if (dB != null)
                    {
                        AddChannelSums(side, g.ColumnChannels, g.Positions, dB);
                    }

                    if (target0 != null)
                    {
                        RaiseSample(g, w, side, target0 + ((long)n * g.ImageSize), buffer, null);
                    }

                    break;
                default:
                    // Transposed convolution: image = ∂C/∂y, side = x, target = ∂C/∂x.
                    if (dB != null)
                    {
                        AddChannelSums(image, g.ImageChannels, g.ImageHeight * g.ImageWidth, dB);
                    }

                    if (dW == null && target0 == null)
                    {
                        break;
                    }

                    var columns = Columns(g, image, buffer);
                    if (dW != null)
                    {
                        AddWeightGradient(g, side, columns, dW);
                    }

                    if (target0 != null)
                    {
                        MultiplyColumns(g, w, columns, target0 + ((long)n * g.ColumnSideSize), null);
                    }

                    break;
            }
        }
    }

    /// <summary>One sample of <see cref="Mode.Lower"/> or <see cref="Mode.LowerBackward"/> through the direct kernels.</summary>
    private void RunDirectSample(SampleJob j, int n, int slot, int chunk)
    {
        var g = Geometry;
        var padded = _padded.Count > slot ? _padded[slot] : null;
        var paddedGradient = _paddedGradients.Count > slot ? _paddedGradients[slot] : null;
        var columnsBuffer = _columns.Count > slot ? _columns[slot] : null;
        var lanesArray = j.WeightGradient is null ? null : _lanes[slot];
        var dBiasArray = j.BiasGradient is null ? null : _biasGradients[chunk];
        fixed (float* image0 = j.Image!.Data, side0 = j.ColumnSide!.Data, bias = j.Bias?.Data, target0 = j.Target?.Data, w = j.Weight!.Data)
        fixed (float* buffer = padded, gradientBuffer = paddedGradient, columns = columnsBuffer, lanes = lanesArray, dB = dBiasArray)
        fixed (float* forwardWeights = _forwardWeights, flippedWeights = _flippedWeights, staging = _staging[slot])
        {
            var image = image0 + ((long)n * g.ImageSize);
            var side = side0 + ((long)n * g.ColumnSideSize);
            if (j.Mode == Mode.Lower)
            {
                DirectConvolution.Pad(_forwardPlan, image, buffer);
                DirectConvolution.Convolve(_forwardPlan, buffer, forwardWeights, bias, side, staging);
                return;
            }

            // image = x, side = ∂C/∂y, target = ∂C/∂x.
            if (lanes != null)
            {
                DirectConvolution.Pad(_forwardPlan, image, buffer);
                DirectConvolution.AddWeightGradient(_forwardPlan, buffer, side, lanes, staging);
            }

            if (dB != null)
            {
                AddChannelSums(side, g.ColumnChannels, g.Positions, dB);
            }

            if (target0 != null)
            {
                var target = target0 + ((long)n * g.ImageSize);
                if (_directInputGradient)
                {
                    DirectConvolution.Pad(_gradientPlan, side, gradientBuffer);
                    DirectConvolution.Convolve(_gradientPlan, gradientBuffer, flippedWeights, null, target, staging);
                }
                else
                {
                    RaiseSample(g, w, side, target, columns, null);
                }
            }
        }
    }

    /// <summary>The column matrix of one image: the image itself for a pointwise convolution, else im2col into the buffer.</summary>
    private static float* Columns(in ConvolutionGeometry g, float* image, float* buffer)
    {
        if (g.IsPointwise)
        {
            return image;
        }

        Im2Col.Lower(g, image, buffer);
        return buffer;
    }

    /// <summary>side = W·columns (+ bias per channel), group by group.</summary>
    private static void MultiplyColumns(in ConvolutionGeometry g, float* w, float* columns, float* side, float* bias)
    {
        var p = g.Positions;
        var rows = g.GroupRows;
        var outputs = g.GroupColumnChannels;
        var beta = 0f;
        if (bias != null)
        {
            for (var c = 0; c < g.ColumnChannels; c++)
            {
                new Span<float>(side + ((long)c * p), p).Fill(bias[c]);
            }

            beta = 1f;
        }

        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                false, false, outputs, p, rows, 1f,
                w + ((long)group * outputs * rows), rows,
                columns + ((long)group * rows * p), p,
                beta, side + ((long)group * outputs * p), p);
        }
    }

    /// <summary>image = col2im(Wᵀ·side) (+ bias per channel).</summary>
    private static void RaiseSample(in ConvolutionGeometry g, float* w, float* side, float* image, float* buffer, float* bias)
    {
        var p = g.Positions;
        var rows = g.GroupRows;
        var outputs = g.GroupColumnChannels;
        var planeSize = g.ImageHeight * g.ImageWidth;
        var pointwise = g.IsPointwise;

        // The pointwise GEMM writes the image directly (beta 1 over the bias); otherwise the image starts at the bias
        // (or zero) and col2im adds into it.
        if (bias != null)
        {
            for (var c = 0; c < g.ImageChannels; c++)
            {
                new Span<float>(image + ((long)c * planeSize), planeSize).Fill(bias[c]);
            }
        }
        else if (!pointwise)
        {
            new Span<float>(image, g.ImageSize).Clear();
        }

        var columns = pointwise ? image : buffer;
        var beta = pointwise && bias != null ? 1f : 0f;
        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                true, false, rows, p, outputs, 1f,
                w + ((long)group * outputs * rows), rows,
                side + ((long)group * outputs * p), p,
                beta, columns + ((long)group * rows * p), p);
        }

        if (!pointwise)
        {
            Im2Col.Raise(g, columns, image);
        }
    }

    /// <summary>dW += side·columnsᵀ, group by group.</summary>
    private static void AddWeightGradient(in ConvolutionGeometry g, float* side, float* columns, float* dW)
    {
        var p = g.Positions;
        var rows = g.GroupRows;
        var outputs = g.GroupColumnChannels;
        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                false, true, outputs, rows, p, 1f,
                side + ((long)group * outputs * p), p,
                columns + ((long)group * rows * p), p,
                1f, dW + ((long)group * outputs * rows), rows);
        }
    }

    /// <summary>sums[c] += Σ values[c, ·] for each of <paramref name="channels"/> planes of <paramref name="size"/> values.</summary>
    private static void AddChannelSums(float* values, int channels, int size, float* sums)
    {
        for (var c = 0; c < channels; c++)
        {
            sums[c] += TensorPrimitives.Sum(new ReadOnlySpan<float>(values + ((long)c * size), size));
        }
    }

    /// <summary>The cached work item: the arguments of one batched call, dispatched sample by sample.</summary>
    private sealed class SampleJob(ConvolutionEngine engine) : ParallelJob
    {
        public Mode Mode { get; private set; }

        public Tensor? Image { get; private set; }

        public Tensor? ColumnSide { get; private set; }

        public Tensor? Weight { get; private set; }

        public Tensor? Bias { get; private set; }

        public Tensor? WeightGradient { get; private set; }

        public Tensor? BiasGradient { get; private set; }

        public Tensor? Target { get; private set; }

        public int Chunks { get; private set; }

        public bool Direct { get; private set; }

        public void Set(Mode mode, Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, Tensor? dWeight, Tensor? dBias, Tensor? target, int chunks, bool direct = false)
        {
            Chunks = chunks;
            Direct = direct;
            Mode = mode;
            Image = image;
            ColumnSide = columnSide;
            Weight = weight;
            Bias = bias;
            WeightGradient = dWeight;
            BiasGradient = dBias;
            Target = target;
        }

        public void Clear() => Set(Mode.Lower, null!, null!, null!, null, null, null, null, 0);

        public override void Execute(int index) => engine.RunChunk(this, index);
    }
}
