using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Kernels;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Max pooling over f×f windows with stride s (seed 000 §2.2), valid or same padding, overlapping windows
/// allowed (AlexNet's 3×3 stride 2: 55 → 27, 27 → 13, 13 → 6). No parameters.
/// </summary>
/// <remarks>
/// The forward pass records, for each output, the position of its maximum (the first in row-major order when
/// several inputs tie; a NaN in the window wins so that it propagates); backward routes each output gradient to
/// that position only, adding where overlapping windows share a maximum. See <see cref="Pooling2D"/> for padding.
/// An inference pass records no positions and, with AVX-512, runs along rows then down columns
/// (<see cref="SeparableMaxPooling"/>, the same bits); a backward pass after it finds the positions again.
/// </remarks>
public sealed class MaxPool2D : Pooling2D
{
    /// <summary>
    /// Below this many input values the 2×2/2 kernel runs on the calling thread: it is bound by memory bandwidth
    /// (measured: a second core did not help LeNet's 0.3-1.2 M-value inputs), and a dispatch risks waiting for a
    /// preempted worker.
    /// </summary>
    private const int PairParallelThreshold = 1 << 21;

    /// <summary>Each thread's rows of window maxima for <see cref="SeparableMaxPooling"/>.</summary>
    [ThreadStatic]
    private static float[]? t_scratch;

    private readonly LayerJob _pairJob;
    private int[] _argmax = [];
    private bool _windowsOnly;
    private byte[] _codes = [];
    private bool _codesValid;
    private bool _rectifyNext;
    private bool _rectified;
    private Tensor? _pairInput;
    private Tensor? _pairOutput;
    private Tensor? _pairOutputGradient;
    private Tensor? _pairInputGradient;
    private int _pairRows;
    private int _pairChunks;

    /// <summary>Creates a max-pooling layer.</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/> (non-overlapping windows).</param>
    /// <param name="same">True for same padding (output ⌈n/s⌉, padding ignored), false for valid.</param>
    public MaxPool2D(int size, int? stride = null, bool same = false)
        : base(size, stride, same)
    {
        _pairJob = new LayerJob(RunPairChunk);
    }

    /// <summary>Creates a max-pooling layer with explicit padding (or <see cref="Padding.Same"/> / <see cref="Padding.Valid"/>).</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/>.</param>
    /// <param name="padding">The padding; explicit amounts must each be less than <paramref name="size"/> (PyTorch's
    /// <c>MaxPool2d(3, 2, padding=1)</c> is <c>new MaxPool2D(3, 2, padding: 1)</c>). Padded positions never win.</param>
    public MaxPool2D(int size, int? stride, Padding padding)
        : base(size, stride, padding)
    {
        _pairJob = new LayerJob(RunPairChunk);
    }

    /// <summary>
    /// True when the whole-batch 2×2 stride-2 kernel applies (even input height and width, no padding, AVX-512 or AVX2):
    /// then a ReLU just before this layer can be fused into it (see <see cref="ForwardRectified"/>).
    /// </summary>
    internal bool IsPairwise =>
        PairPooling.IsSupported && Size == 2 && Stride == 2 && PadTop == 0 && PadLeft == 0
        && InputHeight == 2 * OutputHeight && InputWidth == 2 * OutputWidth;

    /// <inheritdoc />
    public override LayerDescription Describe() => new("MaxPool2D", Name, GeometrySettings());

    /// <summary>True when the last forward pass was <see cref="ForwardRectified"/>: its gradients are with respect to the ReLU's input.</summary>
    internal bool Rectified => _rectified;

    /// <summary>
    /// Forward of ReLU followed by this layer without materialising the ReLU's output: max(0, max(window)), the same
    /// values as <c>Forward(relu(input))</c>. The following <see cref="Layer.Backward"/> then returns the gradient
    /// with respect to the ReLU's input. Only when <see cref="IsPairwise"/>; <see cref="Sequential"/> uses it.
    /// </summary>
    internal Tensor ForwardRectified(Tensor input, bool training)
    {
        if (!IsPairwise)
        {
            throw new InvalidOperationException($"Layer '{Name}' cannot fuse a ReLU: it is not a 2x2 stride-2 pooling of even planes.");
        }

        _rectifyNext = true;
        try
        {
            return Forward(input, training);
        }
        finally
        {
            _rectifyNext = false;
        }
    }

    /// <inheritdoc />
    private protected override bool ForwardBatch(Tensor x, Tensor y, bool training)
    {
        _rectified = false;
        if (!IsPairwise)
        {
            // Inference records no positions: the separable form (the same bits) where it runs.
            _windowsOnly = !training && SeparableMaxPooling.Supports(Stride);
            return false;
        }

        _rectified = _rectifyNext;
        RunPairs(0, x, y, null, null, record: training);
        _codesValid = training;
        return true;
    }

    /// <inheritdoc />
    private protected override bool BackwardBatch(Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        if (!IsPairwise)
        {
            if (_windowsOnly)
            {
                // The forward pass was for inference and recorded no positions: find them again (same outputs).
                _windowsOnly = false;
                ForwardPlanes(x.Rows);
            }

            return false;
        }

        if (!_codesValid)
        {
            // The forward pass was for inference and recorded no positions: find them again (same outputs).
            RunPairs(0, x, y, null, null, record: true);
            _codesValid = true;
        }

        RunPairs(1, x, y, dy, dx, record: false);
        return true;
    }

    private void RunPairs(int phase, Tensor x, Tensor y, Tensor? dy, Tensor? dx, bool record)
    {
        _pairRows = x.Rows * Channels * OutputHeight;
        if (record || phase == 1)
        {
            var needed = _pairRows * PairPooling.CodeBytes(OutputWidth);
            if (_codes.Length < needed)
            {
                _codes = new byte[needed];
            }
        }

        (_pairInput, _pairOutput, _pairOutputGradient, _pairInputGradient) = (x, y, dy, dx);
        // Each output row is written by one chunk and nothing is summed across chunks, so the split may follow the core
        // count without changing a bit.
        _pairChunks = x.Length >= PairParallelThreshold ? Math.Min(_pairRows, 4 * WorkerPool.MaxDegreeOfParallelism) : 1;
        try
        {
            _pairJob.Run(record ? 2 : phase, _pairChunks, x.Length);
        }
        finally
        {
            (_pairInput, _pairOutput, _pairOutputGradient, _pairInputGradient) = (null, null, null, null);
        }
    }

    private unsafe void RunPairChunk(int phase, int chunk)
    {
        var first = (int)((long)_pairRows * chunk / _pairChunks);
        var end = (int)((long)_pairRows * (chunk + 1) / _pairChunks);
        fixed (float* x = _pairInput!.Span)
        fixed (float* y = _pairOutput!.Span)
        fixed (byte* codes = _codes)
        {
            if (phase == 1)
            {
                fixed (float* dy = _pairOutputGradient!.Span)
                fixed (float* dx = _pairInputGradient!.Span)
                {
                    PairPooling.Backward(dy, y, codes, dx, OutputWidth, first, end, _rectified);
                }
            }
            else
            {
                PairPooling.Forward(x, y, phase == 2 ? codes : null, OutputWidth, first, end, _rectified);
            }
        }
    }

    /// <inheritdoc />
    protected override void BeforeForward(int rows)
    {
        if (_windowsOnly)
        {
            return;
        }

        var needed = rows * Channels * OutputHeight * OutputWidth;
        if (_argmax.Length < needed)
        {
            _argmax = new int[needed];
        }
    }

    /// <inheritdoc />
    protected override void ForwardPlane(int plane, ReadOnlySpan<float> x, Span<float> y)
    {
        if (_windowsOnly)
        {
            var size = SeparableMaxPooling.ScratchSize(InputHeight, OutputWidth);
            if (t_scratch is null || t_scratch.Length < size)
            {
                t_scratch = new float[size];
            }

            unsafe
            {
                fixed (float* input = x, output = y, scratch = t_scratch)
                {
                    SeparableMaxPooling.Forward(input, output, scratch, InputHeight, InputWidth, OutputHeight, OutputWidth, Size, Stride, PadTop, PadLeft);
                }
            }

            return;
        }

        var argmax = _argmax.AsSpan(plane * y.Length, y.Length);
        for (var oh = 0; oh < OutputHeight; oh++)
        {
            var (h0, h1) = Window(oh, PadTop, InputHeight);
            var row = oh * OutputWidth;
            var ow = 0;
            if (Vectorised)
            {
                for (; ow < InteriorColumns.Start; ow++)
                {
                    (y[row + ow], argmax[row + ow]) = MaxOfWindow(x, h0, h1, ow);
                }

                for (int lanes; (lanes = BlockLanes(ow, h1 - 1, x.Length)) > 0; ow += lanes)
                {
                    MaxOfBlock(x, h0, h1, ow, y.Slice(row + ow, lanes), argmax.Slice(row + ow, lanes));
                }
            }

            for (; ow < OutputWidth; ow++)
            {
                (y[row + ow], argmax[row + ow]) = MaxOfWindow(x, h0, h1, ow);
            }
        }
    }

    /// <summary>The maximum of one window and its position (row-major first on ties; NaN wins).</summary>
    private (float Max, int Position) MaxOfWindow(ReadOnlySpan<float> x, int h0, int h1, int ow)
    {
        var (w0, w1) = Window(ow, PadLeft, InputWidth);
        var best = (h0 * InputWidth) + w0;
        var max = x[best];
        for (var h = h0; h < h1; h++)
        {
            var rowStart = h * InputWidth;
            for (var w = w0; w < w1; w++)
            {
                var v = x[rowStart + w];
                if (v > max || (float.IsNaN(v) && !float.IsNaN(max)))
                {
                    max = v;
                    best = rowStart + w;
                }
            }
        }

        return (max, best);
    }

    /// <summary>Sixteen adjacent interior windows at once, with the same order and tie rule as <see cref="MaxOfWindow"/>.</summary>
    /// <remarks>Stores the first <c>y.Length</c> (at most 16) lanes.</remarks>
    private void MaxOfBlock(ReadOnlySpan<float> x, int h0, int h1, int ow, Span<float> y, Span<int> argmax)
    {
        ref var origin = ref MemoryMarshal.GetReference(x);
        var column = (ow * Stride) - PadLeft;
        var columns = PoolingVectors.LaneOffsets(Stride) + Vector512.Create(column);
        var first = (h0 * InputWidth) + column;
        var max = PoolingVectors.Load(ref origin, first, Stride);
        var position = columns + Vector512.Create(h0 * InputWidth);
        for (var h = h0; h < h1; h++)
        {
            for (var kw = h == h0 ? 1 : 0; kw < Size; kw++)
            {
                var offset = (h * InputWidth) + kw;
                var v = PoolingVectors.Load(ref origin, offset + column, Stride);
                var take = Vector512.GreaterThan(v, max)
                    | Vector512.AndNot(Vector512.Equals(max, max), Vector512.Equals(v, v));
                max = Vector512.ConditionalSelect(take, v, max);
                position = Vector512.ConditionalSelect(take.AsInt32(), columns + Vector512.Create(offset), position);
            }
        }

        PoolingVectors.Store(max, y);
        PoolingVectors.Store(position, argmax);
    }

    /// <inheritdoc />
    protected override void BackwardPlane(int plane, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var argmax = _argmax.AsSpan(plane * dy.Length, dy.Length);
        dx.Clear();
        for (var o = 0; o < dy.Length; o++)
        {
            dx[argmax[o]] += dy[o];
        }
    }
}
