using System.Runtime.CompilerServices;
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
/// weight in the slot's buffer until the chunk ends. Convolutions on tiny images (2x2, 1x1) are one dense matrix and the
/// batch one GEMM (<see cref="UnrolledConvolution"/>). 3x3 stride-1 convolutions with at least 16 channels a side
/// compute their forward pass and input gradient by Winograd's F(2x2, 3x3) (<see cref="WinogradConvolution"/>; any image
/// size with AVX-512, and the forward pass of those the direct kernels take from 32 input channels on); their inference
/// passes on small outputs with 32 to 128 input channels by F(4x4, 3x3) (<see cref="Winograd4Convolution"/>). Dilated stride-1
/// convolutions run on their images' phases as a batch (<see cref="PhaseSplitConvolution"/>), strided ones on few channels
/// on their phases as channels (<see cref="SpaceToDepthConvolution"/>), where the faster kernels take the result. An
/// inference pass may carry a <see cref="ConvolutionEpilogue"/> (the batch norm and ReLU after the layer), which each path
/// applies where it writes its outputs, or one pass on every core applies after it. Buffers are kept and reused:
/// steady-state calls allocate nothing.
/// </remarks>
internal sealed unsafe class ConvolutionEngine
{
    /// <summary>
    /// The most chunks a batch is cut into, whatever the core count: the weight and bias gradients are sums over chunks,
    /// so the chunks must not depend on the machine for the same seed to give the same bits everywhere. Eight keep two
    /// cores busy to the end of a batch when one is slowed by other work, and let up to eight cores share a batch.
    /// </summary>
    private const int MaxChunks = 8;

    /// <summary>
    /// Below this many output positions a convolution's samples are folded into the GEMM's columns (see
    /// <see cref="BatchFolding"/>); at and above it one sample already gives the GEMM enough columns.
    /// </summary>
    private const int FoldPositions = 512;

    /// <summary>The fewest GEMM columns (samples × positions) a folded chunk gets, so that small images still give wide GEMMs.</summary>
    private const int FoldChunkColumns = 256;

    /// <summary>The most GEMM columns of one folded block (bounds the column buffer).</summary>
    private const int FoldBlockColumns = 1024;

    private readonly SampleJob _job;
    private readonly List<float[]> _columns = [];
    private readonly List<float[]> _weightGradients = [];
    private readonly List<float[]> _biasGradients = [];
    private readonly List<float[]> _padded = [];
    private readonly List<float[]> _paddedGradients = [];
    private readonly List<float[]> _lanes = [];
    private readonly List<float[]> _staging = [];
    private readonly List<float[]> _foldedSides = [];
    private readonly Part[] _parts;
    private readonly Part[] _wholePart;
    private readonly bool _partsCopyWeights;
    private readonly int _partWeights;
    private readonly int _partColumns;
    private readonly int _narrowestPart;
    private float[] _trimmedWeights = [];
    private float[] _trimmedGradient = [];
    private readonly bool _direct;
    private readonly UnrolledConvolution? _unrolled;
    private readonly WinogradConvolution? _winograd;
    private readonly Winograd4Convolution? _winograd4;
    private readonly WinogradConvolution? _winogradGradient;
    private readonly RearrangedConvolution? _rearranged;
    private readonly bool _directInputGradient;
    private readonly DirectPlan _forwardPlan;
    private readonly DirectPlan _gradientPlan;
    private readonly float[] _forwardWeights;
    private readonly WeightSnapshot? _forwardSource;
    private readonly float[] _flippedWeights;
    private readonly WeightSnapshot? _flippedSource;
    private int[] _slotBusy = [];

    // An inference pass's epilogue while Lower runs, and whether the path taken applied it.
    private ConvolutionEpilogue? _epilogue;
    private bool _epilogueApplied;

    public ConvolutionEngine(ConvolutionGeometry geometry)
    {
        Geometry = geometry;
        _job = new SampleJob(this);
        _unrolled = UnrolledConvolution.TryCreate(geometry);
        _direct = _unrolled is null && DirectConvolution.Supports(geometry);
        _directInputGradient = _direct && DirectConvolution.SupportsInputGradient(geometry);
        _winograd = _unrolled is null && (!_direct || WinogradConvolution.OutrunsDirectKernels(geometry)) ? WinogradConvolution.TryCreate(geometry) : null;
        _winograd4 = _winograd is not null ? Winograd4Convolution.TryCreate(geometry) : null;
        _winogradGradient = _unrolled is null && !_direct ? WinogradConvolution.TryCreateInputGradient(geometry) : null;
        _rearranged = _unrolled is not null ? null
            : (PhaseSplits ? PhaseSplitConvolution.TryCreate(geometry) : null)
              ?? (RearrangedConvolution?)(SpaceToDepth ? SpaceToDepthConvolution.TryCreate(geometry) : null);
        _forwardPlan = DirectPlan.Forward(geometry);
        _gradientPlan = DirectPlan.InputGradient(geometry);
        _forwardWeights = _direct ? new float[geometry.WeightSize] : [];
        _forwardSource = _direct ? new WeightSnapshot(geometry.WeightSize) : null;
        _flippedWeights = _directInputGradient ? new float[geometry.WeightSize] : [];
        _flippedSource = _directInputGradient ? new WeightSnapshot(geometry.WeightSize) : null;
        _parts = Decompose(geometry);
        _wholePart = [new Part(geometry, 0, 0, 0, 0, 0)];
        _partsCopyWeights = _parts.Length > 1 || _parts[0].Geometry != geometry;
        _partWeights = _parts.Sum(part => part.Geometry.WeightSize);
        _partColumns = _parts.Max(part => part.Geometry.ColumnsSize);
        _narrowestPart = _parts.Min(part => part.Geometry.Positions);
    }

    private enum Mode
    {
        Lower,
        Raise,
        LowerBackward,
        RaiseBackward,
    }

    public ConvolutionGeometry Geometry { get; }

    /// <summary>True when <see cref="Lower"/> runs on the direct kernels (<see cref="DirectConvolution"/>).</summary>
    public bool IsDirect => _direct;

    /// <summary>
    /// Per input channel c, the kernel rows [2c] and columns [2c + 1], from the first, outside which every weight is zero, or
    /// null (none known): set by <see cref="SpaceToDepthConvolution"/>, whose phase kernels have zero rows and columns, for
    /// the direct kernels' forward pass to skip those taps.
    /// </summary>
    public byte[]? ForwardChannelTaps { get; set; }

    /// <summary>True when a dilated convolution runs as an ordinary one on its phases (<see cref="PhaseSplitConvolution"/>).</summary>
    public bool ByPhases => _rearranged is PhaseSplitConvolution;

    /// <summary>Switch for tests and tuning: false keeps dilated convolutions on im2col; read when a layer is built.</summary>
    internal static bool PhaseSplits { get; set; } = true;

    /// <summary>True when a strided convolution runs as a stride-1 one on its phases stacked as channels (<see cref="SpaceToDepthConvolution"/>).</summary>
    public bool BySpaceToDepth => _rearranged is SpaceToDepthConvolution;

    /// <summary>Switch for tests and tuning: false keeps strided convolutions off their phases; read when a layer is built.</summary>
    internal static bool SpaceToDepth { get; set; } = true;

    /// <summary>True when <see cref="Lower"/> runs by Winograd's F(2x2, 3x3) (<see cref="WinogradConvolution"/>).</summary>
    public bool ForwardByWinograd => _winograd is not null;

    /// <summary>True when inference passes run by Winograd's F(4x4, 3x3) (<see cref="Winograd4Convolution"/>).</summary>
    public bool InferenceByWinograd4 => _winograd4 is not null;

    /// <summary>True when <see cref="LowerBackward"/>'s input gradient runs by Winograd's F(2x2, 3x3).</summary>
    public bool InputGradientByWinograd => _winogradGradient is not null;

    /// <summary>
    /// Switch for tests and tuning: when true (the default), a convolution with few output positions
    /// (&lt; <see cref="FoldPositions"/>) that goes through im2col + GEMM puts the samples of a block side by side in the
    /// column matrix, so that one GEMM of Co × (samples·Ho·Wo) × (Ci·kh·kw) replaces one narrow GEMM per sample.
    /// </summary>
    internal static bool BatchFolding { get; set; } = true;

    /// <summary>Switch for tests and tuning: false keeps every folded convolution in one part (see <see cref="Decompose"/>); read when a layer is built.</summary>
    internal static bool SplitSmallOutputs { get; set; } = true;

    /// <summary>columnSide[n] = W·im2col(image[n]) + bias (one per column-side channel).</summary>
    /// <param name="image">The images.</param>
    /// <param name="columnSide">The outputs.</param>
    /// <param name="weight">The weights.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="inference">True for an inference pass (no backward pass follows): it may run on forms kept for inference.</param>
    /// <param name="epilogue">What an inference pass does to the outputs before returning (a batch normalisation and/or ReLU), or null.</param>
    public void Lower(Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, bool inference = false, ConvolutionEpilogue? epilogue = null)
    {
        epilogue?.Prepare(Geometry.ColumnChannels, Geometry.Positions);
        _epilogue = epilogue;
        _epilogueApplied = false;
        try
        {
            Run(Mode.Lower, image, columnSide, weight, bias, null, null, null, inference);
        }
        finally
        {
            _epilogue = null;
        }

        if (epilogue is not null && !_epilogueApplied)
        {
            // Paths that do not apply it as they write (one pass over the batch's outputs, on every core).
            fixed (float* side = columnSide.Data)
            {
                epilogue.ApplyBatch(side, columnSide.Rows, Geometry.ColumnChannels, Geometry.Positions);
            }
        }
    }

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

    private void Run(Mode mode, Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, Tensor? dWeight, Tensor? dBias, Tensor? target, bool inference = false)
    {
        var samples = image.Rows;
        if (_rearranged is not null && mode is Mode.Lower or Mode.LowerBackward)
        {
            // A dilated convolution as an ordinary one on the phases of its images, or a strided one as a stride-1 one on its
            // phases stacked as channels (see PhaseSplitConvolution and SpaceToDepthConvolution).
            if (mode == Mode.Lower)
            {
                _rearranged.Lower(image, columnSide, weight, bias, inference, _epilogue);
                _epilogueApplied = _epilogue is not null;
            }
            else
            {
                _rearranged.LowerBackward(image, columnSide, weight, dWeight, dBias, target);
            }

            return;
        }

        if (_unrolled is not null && mode is Mode.Lower or Mode.LowerBackward)
        {
            // Tiny images: the whole layer is one dense matrix, and the batch one GEMM (see UnrolledConvolution).
            fixed (float* x = image.Data, side = columnSide.Data, w = weight.Data, b = bias?.Data)
            fixed (float* dW = dWeight?.Data, dB = dBias?.Data, dX = target?.Data)
            {
                if (mode == Mode.Lower)
                {
                    _unrolled.Forward(x, side, samples, w, b);
                }
                else
                {
                    _unrolled.Backward(x, side, samples, w, dW, dB, dX);
                }
            }

            return;
        }

        if (_winograd4 is not null && inference && mode == Mode.Lower)
        {
            // Inference with 32 to 128 channels: Winograd's F(4x4, 3x3), channels in the vectors.
            fixed (float* x = image.Data, side = columnSide.Data, w = weight.Data, b = bias?.Data)
            {
                _winograd4.Forward(x, side, samples, w, weight.ValuesFixed, b, _epilogue);
                _epilogueApplied = _epilogue is not null;
            }

            return;
        }

        if (_winograd is not null && mode == Mode.Lower)
        {
            // Small images with many channels, 3x3 stride 1: the forward pass by Winograd's F(2x2, 3x3).
            fixed (float* x = image.Data, side = columnSide.Data, w = weight.Data, b = bias?.Data)
            {
                _winograd.Forward(x, side, samples, w, weight.ValuesFixed, b, _epilogue);
                _epilogueApplied = _epilogue is not null;
            }

            return;
        }

        if (_winogradGradient is not null && mode == Mode.LowerBackward && target is not null)
        {
            // The input gradient as the Winograd convolution of ∂C/∂y with the turned filters; the weight and bias
            // gradients below as before.
            fixed (float* dSide = columnSide.Data, dX = target.Data, w = weight.Data)
            {
                _winogradGradient.Forward(dSide, dX, samples, w, weight.ValuesFixed, null);
            }

            target = null;
            if (dWeight is null && dBias is null)
            {
                return;
            }
        }

        var direct = _direct && mode is Mode.Lower or Mode.LowerBackward;
        // A single sample takes the folded path too: the folded GEMM adds the terms in another order (trimmed taps move the
        // depth-block boundaries, the bias comes after the product), and a sample must get the same bits alone
        // (PredictionEngine) as in any batch (Transform's blocks, cursor sets).
        var fold = !direct && BatchFolding && mode is Mode.Lower or Mode.LowerBackward && Geometry.Positions < FoldPositions;

        // Folded chunks get at least FoldChunkColumns columns each (in the narrowest part); the count depends on the batch
        // and the geometry only.
        var chunks = fold
            ? Math.Clamp(samples * _narrowestPart / FoldChunkColumns, 1, Math.Min(samples, MaxChunks))
            : Math.Min(samples, MaxChunks);
        var slots = Math.Min(chunks, WorkerPool.MaxDegreeOfParallelism);
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

        var blockSamples = 1;
        var trim = fold && _partsCopyWeights;
        var weightSize = trim ? _partWeights : Geometry.WeightSize;
        if (fold)
        {
            // A block is at most FoldBlockColumns wide (one sample at least); its column matrix is Ci·kh·kw × block.
            blockSamples = Math.Min((samples + chunks - 1) / chunks, Math.Max(1, FoldBlockColumns / Geometry.Positions));
            needColumns = true;
            for (var slot = 0; slot < slots; slot++)
            {
                Ensure(_foldedSides, slot, Geometry.ColumnChannels * Geometry.Positions * blockSamples);
            }
        }

        if (trim)
        {
            // Each part's weights: only the taps that reach the image from its outputs (the others multiply padding zeros).
            if (_trimmedWeights.Length < weightSize)
            {
                _trimmedWeights = new float[weightSize];
                _trimmedGradient = new float[weightSize];
            }

            fixed (float* w = weight.Data, t = _trimmedWeights)
            {
                foreach (var part in _parts)
                {
                    CopyTaps(Geometry, part, w, t + part.WeightOffset, false);
                }
            }

            if (dWeight is not null)
            {
                _trimmedGradient.AsSpan(0, weightSize).Clear();
            }
        }

        for (var slot = 0; slot < slots && needColumns; slot++)
        {
            Ensure(_columns, slot, fold ? _partColumns * blockSamples : Geometry.GroupRows * Geometry.Groups * ColumnStride(Geometry));
        }

        // A single chunk adds straight into the gradients (nothing to order), and runs on the calling thread so that its
        // GEMMs use every core (they split rows or columns, never the depth, so the sums do not depend on the core count).
        var accumulate = chunks > 1;
        for (var chunk = 0; chunk < chunks && accumulate; chunk++)
        {
            if (dWeight is not null)
            {
                Ensure(_weightGradients, chunk, weightSize);
            }

            if (dBias is not null)
            {
                Ensure(_biasGradients, chunk, dBias.Length);
            }
        }

        _epilogueApplied = _epilogue is not null && mode == Mode.Lower && chunks > 1;
        _job.Set(mode, image, columnSide, weight, bias, dWeight, dBias, target, chunks, direct, fold, blockSamples, accumulate);
        _job.SetFolded(weightSize, trim ? _trimmedWeights : weight.Data, dWeight is null ? null : trim ? _trimmedGradient : dWeight.Data);
        try
        {
            if (chunks == 1)
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
        for (var chunk = 0; chunk < chunks && accumulate; chunk++)
        {
            if (dWeight is not null)
            {
                var sum = trim ? _trimmedGradient.AsSpan(0, weightSize) : dWeight.Span;
                TensorPrimitives.Add(sum, _weightGradients[chunk].AsSpan(0, weightSize), sum);
            }

            if (dBias is not null)
            {
                TensorPrimitives.Add(dBias.Span, _biasGradients[chunk].AsSpan(0, dBias.Length), dBias.Span);
            }
        }

        if (trim && dWeight is not null)
        {
            fixed (float* dW = dWeight.Data, t = _trimmedGradient)
            {
                foreach (var part in _parts)
                {
                    CopyTaps(Geometry, part, dW, t + part.WeightOffset, true);
                }
            }
        }
    }

    /// <summary>
    /// The parts a folded convolution is computed in. Usually one: the whole output, with the kernel rows and columns
    /// that never reach the image dropped (<see cref="Trim"/>). On small outputs (at most 16 positions) where padding makes
    /// up 40 % or more of the taps (3x3 padded by 1 on 2x2 images: 56 %), the output is cut into rectangles whose
    /// positions use the same taps (corners, edges, inside), each a convolution of its own with only those taps, so that
    /// no multiplication by a padding zero is left.
    /// </summary>
    internal static Part[] Decompose(in ConvolutionGeometry g)
    {
        var rows = Segments(g.KernelHeight, g.StrideHeight, g.PadTop, g.DilationHeight, g.ImageHeight, g.OutputHeight);
        var columns = Segments(g.KernelWidth, g.StrideWidth, g.PadLeft, g.DilationWidth, g.ImageWidth, g.OutputWidth);
        long used = 0;
        var empty = false;
        foreach (var r in rows)
        {
            foreach (var c in columns)
            {
                used += (long)(r.End - r.First) * (c.End - c.First) * (r.Last - r.Tap) * (c.Last - c.Tap);
                empty |= r.Last <= r.Tap || c.Last <= c.Tap;
            }
        }

        var all = (long)g.Positions * g.KernelHeight * g.KernelWidth;
        if (!SplitSmallOutputs || empty || g.Positions > 16 || rows.Count * columns.Count == 1 || used * 5 > all * 3)
        {
            var (trimmed, _) = Trim(g);
            var top = (g.PadTop - trimmed.PadTop) / g.DilationHeight;
            var left = (g.PadLeft - trimmed.PadLeft) / g.DilationWidth;
            return [new Part(trimmed, 0, 0, top, left, 0)];
        }

        var parts = new List<Part>();
        var offset = 0;
        foreach (var r in rows)
        {
            foreach (var c in columns)
            {
                // Output (r.First + i, c.First + j) with tap (r.Tap + a, c.Tap + b) reads input row
                // (r.First + i)·s − pad + (r.Tap + a)·d = i·s − (pad − r.First·s − r.Tap·d) + a·d.
                var part = g with
                {
                    OutputHeight = r.End - r.First,
                    OutputWidth = c.End - c.First,
                    KernelHeight = r.Last - r.Tap,
                    KernelWidth = c.Last - c.Tap,
                    PadTop = g.PadTop - (r.First * g.StrideHeight) - (r.Tap * g.DilationHeight),
                    PadLeft = g.PadLeft - (c.First * g.StrideWidth) - (c.Tap * g.DilationWidth),
                };
                parts.Add(new Part(part, r.First, c.First, r.Tap, c.Tap, offset));
                offset += part.WeightSize;
            }
        }

        return [.. parts];
    }

    /// <summary>Runs of consecutive outputs [First, End) along one axis that use the same taps [Tap, Last).</summary>
    private static List<(int First, int End, int Tap, int Last)> Segments(int kernel, int stride, int pad, int dilation, int size, int outputs)
    {
        var segments = new List<(int First, int End, int Tap, int Last)>();
        for (var o = 0; o < outputs; o++)
        {
            int first = kernel, last = 0;
            for (var k = 0; k < kernel; k++)
            {
                var i = (o * stride) - pad + (k * dilation);
                if (i >= 0 && i < size)
                {
                    first = Math.Min(first, k);
                    last = k + 1;
                }
            }

            if (segments.Count > 0 && segments[^1].Tap == first && segments[^1].Last == last && segments[^1].End == o)
            {
                segments[^1] = (segments[^1].First, o + 1, first, last);
            }
            else
            {
                segments.Add((o, o + 1, first, last));
            }
        }

        return segments;
    }

    /// <summary>
    /// The geometry without the kernel rows and columns that fall into the padding for every output position (a 3x3
    /// convolution padded by 1 on a 1x1 image only ever uses its centre tap): the same outputs from fewer taps. False when
    /// every tap is used (or none is).
    /// </summary>
    internal static (ConvolutionGeometry Trimmed, bool Smaller) Trim(in ConvolutionGeometry g)
    {
        var (top, bottom) = UsedTaps(g.KernelHeight, g.StrideHeight, g.PadTop, g.DilationHeight, g.ImageHeight, g.OutputHeight);
        var (left, right) = UsedTaps(g.KernelWidth, g.StrideWidth, g.PadLeft, g.DilationWidth, g.ImageWidth, g.OutputWidth);
        if (bottom <= top || right <= left || (top == 0 && left == 0 && bottom == g.KernelHeight && right == g.KernelWidth))
        {
            return (g, false);
        }

        return (g with
        {
            KernelHeight = bottom - top,
            KernelWidth = right - left,
            PadTop = g.PadTop - (top * g.DilationHeight),
            PadLeft = g.PadLeft - (left * g.DilationWidth),
        }, true);
    }

    /// <summary>The taps [first, end) along one axis that reach the image for at least one output position.</summary>
    private static (int First, int End) UsedTaps(int kernel, int stride, int pad, int dilation, int size, int outputs)
    {
        int first = kernel, end = 0;
        for (var k = 0; k < kernel; k++)
        {
            // Input positions o·stride − pad + k·dilation for o in [0, outputs): used when one lies in [0, size).
            var lowest = (k * dilation) - pad;
            var highest = lowest + ((outputs - 1) * stride);
            var used = highest >= 0 && lowest < size && (stride == 1 || UsedAt(lowest, stride, outputs, size));
            if (used)
            {
                first = Math.Min(first, k);
                end = k + 1;
            }
        }

        return (first, end);
    }

    private static bool UsedAt(int lowest, int stride, int outputs, int size)
    {
        for (var o = 0; o < outputs; o++)
        {
            var i = lowest + (o * stride);
            if (i >= 0 && i < size)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// trimmed[co, c, i, j] = full[co, c, i + top, j + left] (a part's kernel weights), or with <paramref name="add"/>
    /// full[co, c, i + top, j + left] += trimmed[co, c, i, j] (its weight gradient into the full one).
    /// </summary>
    private static void CopyTaps(in ConvolutionGeometry full, in Part part, float* w, float* t, bool add)
    {
        int top = part.Top, left = part.Left;
        int kh = full.KernelHeight, kw = full.KernelWidth, th = part.Geometry.KernelHeight, tw = part.Geometry.KernelWidth;
        var planes = (long)full.ColumnChannels * (full.ImageChannels / full.Groups);
        for (long plane = 0; plane < planes; plane++)
        {
            for (var i = 0; i < th; i++)
            {
                var source = w + (((plane * kh) + i + top) * kw) + left;
                var destination = t + (((plane * th) + i) * tw);
                for (var j = 0; j < tw; j++)
                {
                    if (add)
                    {
                        source[j] += destination[j];
                    }
                    else
                    {
                        destination[j] = source[j];
                    }
                }
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
            var source = (forward ? _forwardSource : _flippedSource)!;
            fixed (float* w = weight.Data, d = forward ? _forwardWeights : _flippedWeights)
            {
                if (!source.Matches(w, weight.ValuesFixed))
                {
                    source.Invalidate();
                    if (forward)
                    {
                        DirectConvolution.TransposeWeights(g, w, d);
                    }
                    else
                    {
                        DirectConvolution.FlipWeights(g, w, d);
                    }

                    source.Take(w);
                }
            }
        }
    }

    /// <summary>Grows buffer <paramref name="index"/> of <paramref name="buffers"/> (adding empty ones before it) to at least <paramref name="length"/>.</summary>
    internal static void Ensure(List<float[]> buffers, int index, int length)
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
            if (j.WeightGradient is not null && j.Accumulate)
            {
                _weightGradients[chunk].AsSpan(0, j.Fold ? j.FoldWeightSize : j.WeightGradient.Length).Clear();
            }

            if (j.BiasGradient is not null && j.Accumulate)
            {
                _biasGradients[chunk].AsSpan(0, j.BiasGradient.Length).Clear();
            }

            if (j.Fold)
            {
                for (var n = first; n < end; n += j.BlockSamples)
                {
                    RunFoldedBlock(j, n, Math.Min(j.BlockSamples, end - n), slot, chunk);
                    ApplyEpilogue(j, n, Math.Min(j.BlockSamples, end - n));
                }

                return;
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

                ApplyEpilogue(j, n, 1);
            }

            if (lanes is not null)
            {
                fixed (float* l = lanes, dW = j.Accumulate ? _weightGradients[chunk] : j.WeightGradient!.Data)
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

    /// <summary>
    /// An inference pass's epilogue on the outputs of <paramref name="count"/> samples from <paramref name="first"/>, just
    /// written by this core (only when the batch is cut into several chunks: a single chunk's GEMMs use every core, and the
    /// epilogue then runs on every core after them).
    /// </summary>
    private void ApplyEpilogue(SampleJob j, int first, int count)
    {
        if (_epilogue is null || j.Mode != Mode.Lower || j.Chunks == 1)
        {
            return;
        }

        fixed (float* side = j.ColumnSide!.Data)
        {
            _epilogue.ApplySamples(side + ((long)first * Geometry.ColumnSideSize), count, Geometry.ColumnChannels, Geometry.Positions);
        }
    }

    private void RunSample(SampleJob j, int n, int slot, int chunk)
    {
        var g = Geometry;
        var columnsBuffer = _columns.Count > slot ? _columns[slot] : null;
        var dWeightArray = j.WeightGradient is null ? null : j.Accumulate ? _weightGradients[chunk] : j.WeightGradient.Data;
        var dBiasArray = j.BiasGradient is null ? null : j.Accumulate ? _biasGradients[chunk] : j.BiasGradient.Data;
        fixed (float* image0 = j.Image!.Data, side0 = j.ColumnSide!.Data, w = j.Weight!.Data, bias = j.Bias?.Data, target0 = j.Target?.Data)
        fixed (float* buffer = columnsBuffer, dW = dWeightArray, dB = dBiasArray)
        {
            var image = image0 + ((long)n * g.ImageSize);
            var side = side0 + ((long)n * g.ColumnSideSize);
            switch (j.Mode)
            {
                case Mode.Lower:
                    if (BandRows(g) is var band && band < g.OutputHeight)
                    {
                        LowerInBands(g, w, image, buffer, side, bias, band);
                    }
                    else
                    {
                        MultiplyColumns(g, w, Columns(g, image, buffer), side, bias);
                    }

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
        var dBiasArray = j.BiasGradient is null ? null : j.Accumulate ? _biasGradients[chunk] : j.BiasGradient.Data;
        fixed (float* image0 = j.Image!.Data, side0 = j.ColumnSide!.Data, bias = j.Bias?.Data, target0 = j.Target?.Data, w = j.Weight!.Data)
        fixed (float* buffer = padded, gradientBuffer = paddedGradient, columns = columnsBuffer, lanes = lanesArray, dB = dBiasArray)
        fixed (float* forwardWeights = _forwardWeights, flippedWeights = _flippedWeights, staging = _staging[slot])
        {
            var image = image0 + ((long)n * g.ImageSize);
            var side = side0 + ((long)n * g.ColumnSideSize);
            if (j.Mode == Mode.Lower)
            {
                DirectConvolution.Pad(_forwardPlan, image, buffer);
                fixed (byte* taps = ForwardChannelTaps)
                {
                    DirectConvolution.Convolve(_forwardPlan, buffer, forwardWeights, bias, side, staging, taps);
                }

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

    /// <summary>
    /// <paramref name="count"/> samples from <paramref name="first"/> of <see cref="Mode.Lower"/> or <see cref="Mode.LowerBackward"/>
    /// as one GEMM per group: the samples' column matrices side by side (Ci·kh·kw × count·Ho·Wo), the column side gathered
    /// into (or scattered from) Co × count·Ho·Wo.
    /// </summary>
    private void RunFoldedBlock(SampleJob j, int first, int count, int slot, int chunk)
    {
        var full = Geometry;
        var dWeightArray = j.WeightGradient is null ? null : j.Accumulate ? _weightGradients[chunk] : j.FoldGradient;
        var dBiasArray = j.BiasGradient is null ? null : j.Accumulate ? _biasGradients[chunk] : j.BiasGradient.Data;
        var parts = j.FoldWeights == j.Weight!.Data ? _wholePart : _parts;
        fixed (float* image0 = j.Image!.Data, side0 = j.ColumnSide!.Data, w0 = j.FoldWeights, bias = j.Bias?.Data, target0 = j.Target?.Data)
        fixed (float* columns = _columns[slot], folded = _foldedSides[slot], dW0 = dWeightArray, dB = dBiasArray)
        {
            var image = image0 + ((long)first * full.ImageSize);
            var side = side0 + ((long)first * full.ColumnSideSize);
            var target = target0 == null ? null : target0 + ((long)first * full.ImageSize);
            if (target != null)
            {
                new Span<float>(target, count * full.ImageSize).Clear();
            }

            foreach (var part in parts)
            {
                var g = part.Geometry;
                var p = g.Positions;
                var width = count * p;
                var rows = g.GroupRows;
                var outputs = g.GroupColumnChannels;
                var w = w0 + part.WeightOffset;
                var dW = dW0 == null ? null : dW0 + part.WeightOffset;
                if (j.Mode == Mode.Lower || dW != null)
                {
                    for (var s = 0; s < count; s++)
                    {
                        Im2Col.Lower(g, image + ((long)s * g.ImageSize), columns + ((long)s * p), width);
                    }
                }

                if (j.Mode == Mode.Lower)
                {
                    for (var group = 0; group < g.Groups; group++)
                    {
                        Gemm.Multiply(
                            false, false, outputs, width, rows, 1f,
                            w + ((long)group * outputs * rows), rows,
                            columns + ((long)group * rows * width), width,
                            0f, folded + ((long)group * outputs * width), width);
                    }

                    Unfold(folded, side, full, part, count, bias);
                    continue;
                }

                // image = x, side = ∂C/∂y, target = ∂C/∂x.
                Fold(side, folded, full, part, count);
                if (dW != null)
                {
                    for (var group = 0; group < g.Groups; group++)
                    {
                        Gemm.Multiply(
                            false, true, outputs, rows, width, 1f,
                            folded + ((long)group * outputs * width), width,
                            columns + ((long)group * rows * width), width,
                            1f, dW + ((long)group * outputs * rows), rows);
                    }
                }

                if (dB != null)
                {
                    AddChannelSums(folded, g.ColumnChannels, width, dB);
                }

                if (target != null)
                {
                    // The column buffer is free again: it takes Wᵀ·∂C/∂y, which col2im adds into the input gradients.
                    for (var group = 0; group < g.Groups; group++)
                    {
                        Gemm.Multiply(
                            true, false, rows, width, outputs, 1f,
                            w + ((long)group * outputs * rows), rows,
                            folded + ((long)group * outputs * width), width,
                            0f, columns + ((long)group * rows * width), width);
                    }

                    for (var s = 0; s < count; s++)
                    {
                        Im2Col.Raise(g, columns + ((long)s * p), target + ((long)s * g.ImageSize), width);
                    }
                }
            }
        }
    }

    /// <summary>
    /// folded[c, s·p + i] = side[s, c, the part's output position i]: the part's outputs of <paramref name="count"/> samples
    /// as one Co × count·p matrix.
    /// </summary>
    private static void Fold(float* side, float* folded, in ConvolutionGeometry full, in Part part, int count) =>
        Move(side, folded, full, part, count, null, true);

    /// <summary>The inverse of <see cref="Fold"/> (+ bias[c]).</summary>
    private static void Unfold(float* folded, float* side, in ConvolutionGeometry full, in Part part, int count, float* bias) =>
        Move(side, folded, full, part, count, bias, false);

    private static void Move(float* side, float* folded, in ConvolutionGeometry full, in Part part, int count, float* bias, bool fold)
    {
        var channels = full.ColumnChannels;
        int rh = part.Geometry.OutputHeight, rw = part.Geometry.OutputWidth, wo = full.OutputWidth;
        var p = rh * rw;
        var whole = rw == wo;
        var width = (long)count * p;
        for (var s = 0; s < count; s++)
        {
            for (var c = 0; c < channels; c++)
            {
                var plane = side + ((((long)s * channels) + c) * full.Positions) + (part.Row * wo) + part.Column;
                var block = folded + (c * width) + ((long)s * p);
                var runs = whole ? 1 : rh;
                var run = whole ? p : rw;
                for (var i = 0; i < runs; i++)
                {
                    var a = plane + ((long)i * wo);
                    var b = block + ((long)i * rw);
                    if (fold)
                    {
                        Im2Col.CopyRun(b, a, run);
                    }
                    else if (bias == null)
                    {
                        Im2Col.CopyRun(a, b, run);
                    }
                    else if (run >= 32)
                    {
                        TensorPrimitives.Add(new ReadOnlySpan<float>(b, run), bias[c], new Span<float>(a, run));
                    }
                    else
                    {
                        // Runs of a few values (small outputs): a call costs more than the additions.
                        var add = bias[c];
                        for (var j = 0; j < run; j++)
                        {
                            a[j] = b[j] + add;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One rectangle of a folded convolution's output: <see cref="Geometry"/> is the convolution restricted to it (output
    /// size, only its taps, padding shifted), <see cref="Row"/> and <see cref="Column"/> its place in the output,
    /// <see cref="Top"/> and <see cref="Left"/> its first tap in the full kernel, <see cref="WeightOffset"/> where its
    /// weights start in the parts' weight buffer.
    /// </summary>
    internal readonly record struct Part(ConvolutionGeometry Geometry, int Row, int Column, int Top, int Left, int WeightOffset);

    /// <summary>The column matrix of one image: the image itself for a pointwise convolution, else im2col into the buffer.</summary>
    private static float* Columns(in ConvolutionGeometry g, float* image, float* buffer)
    {
        if (g.IsPointwise)
        {
            return image;
        }

        Im2Col.Lower(g, image, buffer, ColumnStride(g));
        return buffer;
    }

    /// <summary>
    /// The distance between rows of one sample's column matrix: its positions, or as <see cref="PaddedStride"/> pads them
    /// (32×32 outputs: 1,024 positions); a pointwise convolution's matrix is the image itself.
    /// </summary>
    private static int ColumnStride(in ConvolutionGeometry g) => g.IsPointwise ? g.Positions : PaddedStride(g.Positions);

    /// <summary>
    /// A row stride for a column matrix of <paramref name="width"/> positions: the width, or 16 more when rows that long would
    /// start a multiple of 4 KiB apart (<see cref="Gemm.StrideConflicts"/>), where the GEMM's reads of a panel's rows all fall
    /// in the same cache sets. The padded stride lets the GEMM read the matrix in place (64×1024×576 on one thread: 153 →
    /// 184 GFLOP/s); the padding is never read. Rows under 512 positions are left as they are.
    /// </summary>
    private static int PaddedStride(int width) => width >= 512 && Gemm.StrideConflicts(width) ? width + 16 : width;

    /// <summary>
    /// Output rows a band of the forward pass computes at once: all of them, unless one sample's column matrix holds more
    /// than <see cref="BandValues"/> values, in which case as many rows as keep a band's columns within it (at least one).
    /// A band's column matrix then stays in L2 between im2col writing it and the GEMM reading it, instead of going out to
    /// memory and back (a 64→32 3x3 convolution on 64x64: 9.4 MB a sample). Fixed by the geometry, so a sample gets the same
    /// bits alone as in any batch.
    /// </summary>
    private static int BandRows(in ConvolutionGeometry g)
    {
        if (g.IsPointwise || g.Groups != 1 || (long)g.GroupRows * g.Positions <= BandValues)
        {
            return g.OutputHeight;
        }

        return Math.Max(1, BandValues / (g.GroupRows * g.OutputWidth));
    }

    /// <summary>The most values of one band's column matrix (768 KiB: it stays in a Zen core's 1 MiB L2 beside the packed weights).</summary>
    private const int BandValues = 192 * 1024;

    /// <summary>side = W·columns (+ bias per channel), im2col and GEMM band by band of <paramref name="bandRows"/> output rows.</summary>
    private static void LowerInBands(in ConvolutionGeometry g, float* w, float* image, float* buffer, float* side, float* bias, int bandRows)
    {
        var p = g.Positions;
        var wo = g.OutputWidth;
        var rows = g.GroupRows;
        var beta = StartAtBias(g, side, bias);

        for (var first = 0; first < g.OutputHeight; first += bandRows)
        {
            var end = Math.Min(first + bandRows, g.OutputHeight);
            var width = (end - first) * wo;
            var stride = Math.Min(PaddedStride(width), ColumnStride(g));
            Im2Col.Lower(g, image, buffer, stride, first, end);
            Gemm.Multiply(false, false, g.ColumnChannels, width, rows, 1f, w, rows, buffer, stride, beta, side + ((long)first * wo), p);
        }
    }


    /// <summary>Fills each output channel of one sample with its bias and returns the GEMM's beta: 1 over a bias, 0 without one.</summary>
    private static float StartAtBias(in ConvolutionGeometry g, float* side, float* bias)
    {
        if (bias == null)
        {
            return 0f;
        }

        var p = g.Positions;
        for (var c = 0; c < g.ColumnChannels; c++)
        {
            new Span<float>(side + ((long)c * p), p).Fill(bias[c]);
        }

        return 1f;
    }

    /// <summary>side = W·columns (+ bias per channel), group by group.</summary>
    private static void MultiplyColumns(in ConvolutionGeometry g, float* w, float* columns, float* side, float* bias)
    {
        var p = g.Positions;
        var stride = ColumnStride(g);
        var rows = g.GroupRows;
        var outputs = g.GroupColumnChannels;
        var beta = StartAtBias(g, side, bias);

        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                false, false, outputs, p, rows, 1f,
                w + ((long)group * outputs * rows), rows,
                columns + ((long)group * rows * stride), stride,
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
        var stride = ColumnStride(g);
        var beta = pointwise && bias != null ? 1f : 0f;
        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                true, false, rows, p, outputs, 1f,
                w + ((long)group * outputs * rows), rows,
                side + ((long)group * outputs * p), p,
                beta, columns + ((long)group * rows * stride), stride);
        }

        if (!pointwise)
        {
            Im2Col.Raise(g, columns, image, stride);
        }
    }

    /// <summary>dW += side·columnsᵀ, group by group.</summary>
    private static void AddWeightGradient(in ConvolutionGeometry g, float* side, float* columns, float* dW)
    {
        var p = g.Positions;
        var stride = ColumnStride(g);
        var rows = g.GroupRows;
        var outputs = g.GroupColumnChannels;
        for (var group = 0; group < g.Groups; group++)
        {
            Gemm.Multiply(
                false, true, outputs, rows, p, 1f,
                side + ((long)group * outputs * p), p,
                columns + ((long)group * rows * stride), stride,
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

        public bool Fold { get; private set; }

        public int BlockSamples { get; private set; }

        /// <summary>Values of the weights in the folded layout (all parts).</summary>
        public int FoldWeightSize { get; private set; }

        /// <summary>The weights the folded GEMMs read: the layer's, or the parts' (<see cref="Decompose"/>).</summary>
        public float[]? FoldWeights { get; private set; }

        /// <summary>Where a single folded chunk adds its weight gradient (in the layout of <see cref="FoldWeights"/>).</summary>
        public float[]? FoldGradient { get; private set; }

        public void SetFolded(int weightSize, float[]? weights, float[]? gradient)
        {
            FoldWeightSize = weightSize;
            FoldWeights = weights;
            FoldGradient = gradient;
        }

        /// <summary>True when chunks add into their own accumulators (reduced in chunk order afterwards); false for a single chunk, which adds into the gradients.</summary>
        public bool Accumulate { get; private set; }

        public void Set(
            Mode mode, Tensor image, Tensor columnSide, Tensor weight, Tensor? bias, Tensor? dWeight, Tensor? dBias, Tensor? target, int chunks,
            bool direct = false, bool fold = false, int blockSamples = 1, bool accumulate = true)
        {
            Chunks = chunks;
            Direct = direct;
            Fold = fold;
            BlockSamples = blockSamples;
            Accumulate = accumulate;
            Mode = mode;
            Image = image;
            ColumnSide = columnSide;
            Weight = weight;
            Bias = bias;
            WeightGradient = dWeight;
            BiasGradient = dBias;
            Target = target;
        }

        public void Clear()
        {
            Set(Mode.Lower, null!, null!, null!, null, null, null, null, 0);
            SetFolded(0, null, null);
        }

        public override void Execute(int index) => engine.RunChunk(this, index);
    }
}
