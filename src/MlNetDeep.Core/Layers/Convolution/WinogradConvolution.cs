using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetDeep.Kernels;

namespace MlNetDeep.Layers;

/// <summary>
/// A 3x3, stride-1 convolution by Winograd's minimal filtering algorithm F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms
/// for Convolutional Neural Networks", CVPR 2016) — a layer's forward pass, and on the turned filters its input gradient
/// (<see cref="TryCreateInputGradient"/>; the weight gradient stays im2col's): each 2x2 tile of a channel's output is
/// Aᵀ[Σ_ci (G·g·Gᵀ) ⊙ (Bᵀ·d·B)]A, where d is the 4x4 input patch under the tile and g the 3x3 filter; the 36
/// multiply-adds a tile takes per input channel become 16, and the sums over input channels are 16 GEMMs, one per
/// element of the 4x4 transform: M_e [Co × tiles] = U_e [Co × Ci] · V_e [Ci × tiles].
/// </summary>
/// <remarks>
/// <para>
/// Taken for 3x3 stride-1 layers with at least <see cref="MinChannels"/> channels on each side that the direct kernels do
/// not take (more than 56 input channels), where the im2col + GEMM path spends a third of its time or more moving the
/// column matrix: ResNets' and VGG nets' stages at any image size, the U-Net's decoder; and for the forward pass of those
/// the direct kernels take, from <see cref="DirectMinChannels"/> input channels on (<see cref="OutrunsDirectKernels"/>). Any padding; tiles that reach past
/// the output are cut. With AVX-512 the input and output transforms work on rows of one or two vectors: a row wider than
/// 30 outputs is cut into strips of at most 15 tiles, each transformed as a narrow row. Without AVX-512 the transforms
/// are scalar, and only outputs of fewer than <see cref="MaxScalarPositions"/> positions (or up to 30 wide and fewer than
/// <see cref="MaxPositions"/>) are taken.
/// </para>
/// <para>
/// A batch is cut into blocks of tile rows (a tile row is two output rows of one sample's channels; a block holds about
/// <see cref="TargetColumns"/> tiles, fewer for many channels, and may span samples), run on the worker pool, each on a
/// slot of buffers kept between calls: the input transform V, the products M and one zero-bordered input plane. A batch
/// that fits one block (a small one, or one whose filter bank holds at least <see cref="SharedFilterValues"/> values of U)
/// is one block whose 16 element GEMMs and tile rows the cores share instead, so that a large U is read once. Every
/// output is computed from its own tile's input only, and each GEMM's depth is the input channels, never split, so a
/// sample gets the same bits alone as in any batch and on any core count. The filter transform U (stored in the GEMM
/// kernel's packed layout) is kept with a copy of the weights it came from (<see cref="WeightSnapshot"/>), so that
/// repeated inference calls skip it; after an optimizer step it is made again on every core. The values differ from a direct convolution's by rounding
/// only (the transforms add and subtract, and halve exactly).
/// </para>
/// </remarks>
internal sealed unsafe class WinogradConvolution : ParallelJob
{
    /// <summary>The fewest input and output channels: with fewer the transforms cost more than the GEMMs save.</summary>
    internal const int MinChannels = 16;

    /// <summary>
    /// The fewest input channels for which the forward pass by Winograd is taken over the direct kernels: at batch 8 on two
    /// cores, 32 → 32 at 64x64 1.50 → 1.14 ms, 48 → 48 3.36 → 2.33 ms, 32 → 16 at 128x128 3.40 → 2.97 ms; with 16 input
    /// channels the two are level.
    /// </summary>
    internal const int DirectMinChannels = 32;

    /// <summary>Without AVX-512, the most output positions (fewer than) of an output up to 30 wide.</summary>
    internal const int MaxPositions = 1024;

    /// <summary>
    /// Without AVX-512, from this many output positions on only outputs up to 30 wide are taken: with the scalar
    /// transforms, wider rows gain nothing there.
    /// </summary>
    internal const int MaxScalarPositions = 512;

    /// <summary>The most tiles of a strip: its bordered row (2·15 + 2 values) fits two vectors.</summary>
    private const int StripTiles = 15;

    /// <summary>The tiles a block aims at (the GEMMs' column count).</summary>
    private const int TargetColumns = 256;

    /// <summary>The most values of one slot's input transform (1 Mi floats), which caps the columns for many channels.</summary>
    private const int MaxTransformValues = 1 << 20;

    /// <summary>
    /// The fewest values of U (16 per filter: 256 → 256 channels make 1M) for which a batch whose tiles fit one block has
    /// its element GEMMs shared by the cores instead of its tiles.
    /// </summary>
    internal const long SharedFilterValues = 1L << 20;

    /// <summary>Elements of a 4x4 transform.</summary>
    private const int Elements = 16;

    private readonly ConvolutionGeometry _g;
    private readonly bool _flipped;
    private readonly int _tilesHigh;
    private readonly int _tilesWide;
    private readonly int _blockRows;
    private readonly int _ld;
    private readonly int _paddedHeight;
    private readonly int _paddedWidth;
    private readonly long _inputStride;
    private readonly long _productStride;
    private readonly bool _vector;
    private readonly bool _wide;
    private readonly Strip[] _strips = [];
    private readonly List<float[]> _inputs = [];
    private readonly List<float[]> _products = [];
    private readonly List<float[]> _planes = [];
    private float[] _filters = [];
    private WeightSnapshot? _source;
    private int[] _slotBusy = [];
    private float* _x;
    private float* _y;
    private float* _bias;
    private ConvolutionEpilogue? _epilogue;
    private int _rows;
    private int _perBlock;
    private bool _byElement;
    private int _transformParts;
    private int _transformPhase;
    private int _filterParts;
    private float* _weight;

    private WinogradConvolution(in ConvolutionGeometry g, bool flipped)
    {
        _g = g;
        _flipped = flipped;
        _tilesHigh = (g.OutputHeight + 1) / 2;
        _tilesWide = (g.OutputWidth + 1) / 2;
        var channels = Math.Max(g.ImageChannels, g.ColumnChannels);
        var columns = Math.Min(TargetColumns, MaxTransformValues / (Elements * channels));
        _blockRows = Math.Max(1, columns / _tilesWide);

        // The rows of V_e and M_e are _ld apart: a multiple of 16 floats, kept off multiples of 4 KiB so that the GEMM reads
        // V_e in place without its rows colliding in the same cache sets,
        // and 16 floats of slack, which the output transform's whole-vector loads may run into.
        _ld = ((_blockRows * _tilesWide + 15) / 16 * 16) + 16;
        var offset = _ld * sizeof(float) % 4096;
        if (Math.Min(offset, 4096 - offset) < 512)
        {
            _ld += 128;
        }

        _paddedHeight = PaddedSide(g.OutputHeight);
        _paddedWidth = PaddedSide(g.OutputWidth);
        _vector = Avx512F.IsSupported;
        if (_vector)
        {
            // Strips of equal tiles (the last may have fewer), each a bordered row of at most two vectors.
            var count = (_tilesWide + StripTiles - 1) / StripTiles;
            var tiles = (_tilesWide + count - 1) / count;
            _wide = (2 * tiles) + 2 > Vector512<float>.Count;
            _strips = new Strip[count];
            for (var k = 0; k < count; k++)
            {
                var first = k * tiles;
                _strips[k] = new Strip(g, first, Math.Min(tiles, _tilesWide - first));
            }
        }

        // The element matrices V_e and M_e are one matrix and 32 floats apart, so that a tile's 16 values (one in each)
        // fall in different cache sets: at whole multiples of 4 KiB apart they would evict one another from L1.
        _inputStride = ((long)g.ImageChannels * _ld) + 32;
        _productStride = ((long)g.ColumnChannels * _ld) + 32;
    }

    /// <summary>Switch for tests and tuning: false sends every convolution through the other paths; read when a layer is built.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// True when the forward pass by Winograd outruns the direct kernels' on a convolution they take: with AVX-512 and at
    /// least <see cref="DirectMinChannels"/> input channels (the transforms' share falls as the GEMMs deepen). The backward
    /// passes stay on the direct kernels.
    /// </summary>
    internal static bool OutrunsDirectKernels(in ConvolutionGeometry g) => Avx512F.IsSupported && g.ImageChannels >= DirectMinChannels;

    /// <summary>The Winograd form of <paramref name="g"/>'s forward pass, or null when it does not apply or does not pay (see the remarks).</summary>
    internal static WinogradConvolution? TryCreate(in ConvolutionGeometry g) => TryCreate(g, false);

    /// <summary>
    /// The Winograd form of <paramref name="g"/>'s input gradient, or null: for a stride-1 convolution, ∂C/∂x is the
    /// convolution of ∂C/∂y, padded by 2 − p, with the filters flipped and their channel axes swapped
    /// (<see cref="DirectPlan.InputGradient"/>'s geometry), which this computes from the forward weights as they are.
    /// </summary>
    internal static WinogradConvolution? TryCreateInputGradient(in ConvolutionGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.KernelHeight == 3 && g.KernelWidth == 3 && g.PadTop <= 2 && g.PadLeft <= 2
            ? TryCreate(
                new ConvolutionGeometry(
                    g.ColumnChannels, g.OutputHeight, g.OutputWidth, g.ImageChannels, g.ImageHeight, g.ImageWidth, 3, 3, 1, 1,
                    2 - g.PadTop, 2 - g.PadLeft, g.DilationHeight, g.DilationWidth, g.Groups),
                true)
            : null;

    private static WinogradConvolution? TryCreate(in ConvolutionGeometry g, bool flipped) =>
        Enabled && g.Groups == 1 && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.DilationHeight == 1 && g.DilationWidth == 1 && g.PadTop >= 0 && g.PadLeft >= 0
        && g.OutputHeight > 0 && g.OutputWidth > 0
        && (Avx512F.IsSupported || g.Positions < MaxScalarPositions
            || (g.Positions < MaxPositions && PaddedSide(g.OutputWidth) <= 2 * Vector512<float>.Count))
        && g.ImageChannels >= MinChannels && g.ColumnChannels >= MinChannels
        && g.PadTop + g.ImageHeight <= PaddedSide(g.OutputHeight) && g.PadLeft + g.ImageWidth <= PaddedSide(g.OutputWidth)
            ? new WinogradConvolution(g, flipped)
            : null;

    /// <summary>side[n] = conv(image[n]) + bias (per output channel), for every sample.</summary>
    /// <param name="image">The input images.</param>
    /// <param name="side">The outputs.</param>
    /// <param name="samples">The batch size.</param>
    /// <param name="weight">The weights.</param>
    /// <param name="weightsFixed">True when the weights can no longer change: the transformed filters, once made, are kept without a comparison.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="epilogue">Applied to each output row run as it is written (an inference pass's batch normalisation and/or ReLU), or null.</param>
    public void Forward(float* image, float* side, int samples, float* weight, bool weightsFixed, float* bias, ConvolutionEpilogue? epilogue = null)
    {
        if (samples == 0)
        {
            return;
        }

        PrepareFilters(weight, weightsFixed);
        var g = _g;

        // At least one block per core when the batch has the tile rows (a block's GEMMs are too small to share); a tile's
        // values do not depend on the blocks it is cut into.
        var threads = WorkerPool.IsInsideJob ? 1 : WorkerPool.MaxDegreeOfParallelism;
        var rows = samples * _tilesHigh;
        _perBlock = Math.Min(_blockRows, (rows + threads - 1) / threads);

        // A filter bank of at least SharedFilterValues values of U (256 → 256 channels: 1M, 4 MB) whose tiles fit one block is
        // read once, its element GEMMs shared by the cores, instead of whole by every core for its share of the tiles.
        if (_vector && threads > 1 && rows <= _blockRows && (long)g.ImageChannels * g.ColumnChannels * Elements >= SharedFilterValues)
        {
            _perBlock = rows;
        }

        var blocks = (rows + _perBlock - 1) / _perBlock;
        var slots = blocks > 1 ? Math.Min(blocks, threads) : 1;
        if (_slotBusy.Length < slots)
        {
            _slotBusy = new int[slots];
        }

        for (var slot = 0; slot < slots; slot++)
        {
            ConvolutionEngine.Ensure(_inputs, slot, (int)(Elements * _inputStride));
            ConvolutionEngine.Ensure(_products, slot, (int)(Elements * _productStride));
            ConvolutionEngine.Ensure(_planes, slot, _vector ? 0 : _paddedHeight * _paddedWidth);
        }

        _x = image;
        _y = side;
        _bias = bias;
        _epilogue = epilogue;
        _rows = rows;
        try
        {
            if (blocks > 1)
            {
                WorkerPool.For(blocks, this);
            }
            else
            {
                // One block (a small batch, a large filter bank, or a call inside another job): its 16 element GEMMs are
                // shared by the cores when there are several, each GEMM whole on one core (a GEMM of a few columns is too
                // small to split), and so are the transforms, by tile rows.
                Transform(0, rows, threads);
                if (threads > 1)
                {
                    _byElement = true;
                    WorkerPool.For(Elements, this);
                    _byElement = false;
                }
                else
                {
                    for (var e = 0; e < Elements; e++)
                    {
                        Multiply(e, 0, rows);
                    }
                }

                Transform(1, rows, threads);
            }
        }
        finally
        {
            _x = _y = _bias = null;
            _epilogue = null;
            _byElement = false;
        }
    }

    /// <summary>
    /// Runs one part of the filter transform (while <see cref="PrepareFilters"/> runs), one block of tile rows on a free
    /// slot, or, for a single block, the GEMM of element <paramref name="index"/> or one part of its transforms.
    /// </summary>
    public override void Execute(int index)
    {
        if (_filterParts > 0)
        {
            fixed (float* u = _filters)
            {
                TransformFilters(_weight, u, index);
            }

            _source!.CopyPart(_weight, index, _filterParts);
            return;
        }

        if (_byElement)
        {
            Multiply(index, 0, _rows);
            return;
        }

        if (_transformParts > 0)
        {
            var first = (int)((long)_rows * index / _transformParts);
            var count = (int)((long)_rows * (index + 1) / _transformParts) - first;
            if (_transformPhase == 0)
            {
                TransformInputs(first, count, 0, 0);
            }
            else
            {
                TransformOutputs(first, count, 0, 0);
            }

            return;
        }

        var slot = 0;
        while (Interlocked.CompareExchange(ref _slotBusy[slot], 1, 0) != 0)
        {
            slot = (slot + 1) % _slotBusy.Length;
        }

        try
        {
            var firstRow = index * _perBlock;
            var count = Math.Min(_perBlock, _rows - firstRow);
            TransformInputs(firstRow, count, slot);
            for (var e = 0; e < Elements; e++)
            {
                Multiply(e, slot, count);
            }

            TransformOutputs(firstRow, count, slot);
        }
        finally
        {
            Volatile.Write(ref _slotBusy[slot], 0);
        }
    }

    /// <summary>
    /// V of tile rows [first, first + count) of the batch (row r is sample r / tilesHigh's tile row r mod tilesHigh) into
    /// the slot's V, column (r − first)·tilesWide + tile.
    /// </summary>
    private void TransformInputs(int first, int count, int slot) => TransformInputs(first, count, slot, first);

    /// <summary>As above, the columns counted from tile row <paramref name="origin"/> (the block's first).</summary>
    private void TransformInputs(int first, int count, int slot, int origin)
    {
        var g = _g;
        fixed (float* v = _inputs[slot], plane = _planes[slot])
        {
            foreach (var (sample, top, end, row) in new TileRowRuns(first, count, _tilesHigh))
            {
                var x = _x + ((long)sample * g.ImageSize);
                for (var c = 0; c < g.ImageChannels; c++)
                {
                    var source = x + ((long)c * g.ImageHeight * g.ImageWidth);
                    var target = v + ((long)c * _ld) + ((row - origin) * _tilesWide);
                    if (_vector)
                    {
                        TransformInputRows(source, target, top, end);
                    }
                    else
                    {
                        TransformInput(source, plane, target, top, end);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The input (<paramref name="phase"/> 0) or output (1) transforms of a single block of <paramref name="rows"/> tile
    /// rows on slot 0, cut by tile rows between the cores when there are several (each tile is transformed alone).
    /// </summary>
    private void Transform(int phase, int rows, int threads)
    {
        var parts = _vector ? Math.Min(threads, rows) : 1;
        if (parts <= 1)
        {
            if (phase == 0)
            {
                TransformInputs(0, rows, 0);
            }
            else
            {
                TransformOutputs(0, rows, 0);
            }

            return;
        }

        _transformParts = parts;
        _transformPhase = phase;
        try
        {
            WorkerPool.For(parts, this);
        }
        finally
        {
            _transformParts = 0;
        }
    }

    /// <summary>M_e = U_e·V_e for the slot's tile rows (U_e is kept packed as the GEMM's kernel reads it: panels of 8 output channels, input channel by input channel).</summary>
    private void Multiply(int e, int slot, int rows)
    {
        var g = _g;
        int ci = g.ImageChannels, co = g.ColumnChannels;
        var columns = rows * _tilesWide;
        fixed (float* v = _inputs[slot], m = _products[slot], u = _filters)
        {
            Gemm.MultiplyPackedA(co, columns, ci, u + (e * Gemm.PackedASize(co, ci)), v + (e * _inputStride), _ld, m + (e * _productStride), _ld);
        }
    }

    /// <summary>The outputs of tile rows [first, first + count) of the batch from the slot's M, with the bias.</summary>
    private void TransformOutputs(int first, int count, int slot) => TransformOutputs(first, count, slot, first);

    /// <summary>As above, the columns counted from tile row <paramref name="origin"/> (the block's first).</summary>
    private void TransformOutputs(int first, int count, int slot, int origin)
    {
        var g = _g;
        fixed (float* m = _products[slot])
        {
            foreach (var (sample, top, end, row) in new TileRowRuns(first, count, _tilesHigh))
            {
                var y = _y + ((long)sample * g.ColumnSideSize);
                for (var c = 0; c < g.ColumnChannels; c++)
                {
                    var source = m + ((long)c * _ld) + ((row - origin) * _tilesWide);
                    var target = y + ((long)c * g.Positions);
                    var bias = _bias == null ? 0f : _bias[c];
                    if (_vector)
                    {
                        TransformOutputRows(source, target, bias, top, end);
                    }
                    else
                    {
                        TransformOutput(source, target, bias, top, end);
                    }

                    if (_epilogue is not null)
                    {
                        // The rows just written, while they are in this core's cache.
                        var firstRow = 2 * top;
                        _epilogue.ApplyPlane(target + ((long)firstRow * g.OutputWidth), (Math.Min(g.OutputHeight, 2 * end) - firstRow) * g.OutputWidth, c);
                    }
                }
            }
        }
    }

    /// <summary>
    /// V's entries of tile rows [top, end) of one input plane: the padded rows they read are copied into a zero-bordered
    /// plane, then every tile's 4x4 patch d becomes Bᵀ·d·B, written to element e's matrix at the tile's column (counted
    /// from the first tile of row <paramref name="top"/>; rows of one channel: V + e·Ci·ld).
    /// </summary>
    private void TransformInput(float* x, float* plane, float* v, int top, int end)
    {
        var g = _g;
        int wp = _paddedWidth, h = g.ImageHeight, w = g.ImageWidth;
        var first = 2 * top;
        var last = (2 * end) + 2;
        new Span<float>(plane, (last - first) * wp).Clear();
        for (var r = Math.Max(0, first - g.PadTop); r < Math.Min(h, last - g.PadTop); r++)
        {
            new ReadOnlySpan<float>(x + (r * w), w).CopyTo(new Span<float>(plane + ((r + g.PadTop - first) * wp) + g.PadLeft, w));
        }

        var stride = _inputStride;
        var column = stackalloc float[16];
        var tile = 0;
        for (var ty = 0; ty < last - first - 2; ty += 2)
        {
            for (var tx = 0; tx < wp - 2; tx += 2, tile++)
            {
                var p = plane + (ty * wp) + tx;
                var q = v + tile;
                for (var col = 0; col < 4; col++)
                {
                    // Bᵀ·d down each column of the patch: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
                    float d0 = p[col], d1 = p[wp + col], d2 = p[(2 * wp) + col], d3 = p[(3 * wp) + col];
                    column[col] = d0 - d2;
                    column[4 + col] = d1 + d2;
                    column[8 + col] = d2 - d1;
                    column[12 + col] = d1 - d3;
                }

                for (var row = 0; row < 4; row++)
                {
                    // ·B along each row: the same four combinations of the row's columns.
                    float t0 = column[4 * row], t1 = column[(4 * row) + 1], t2 = column[(4 * row) + 2], t3 = column[(4 * row) + 3];
                    var e = q + (4 * row * stride);
                    e[0] = t0 - t2;
                    e[stride] = t1 + t2;
                    e[2 * stride] = t2 - t1;
                    e[3 * stride] = t1 - t3;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="TransformInput"/> with AVX-512, strip by strip: a strip's tile row's four input rows are loaded as pairs
    /// of vectors with the border's zeros (masked loads; the second vector zero when one is enough), combined down the
    /// columns as whole rows, and the columns 2t..2t+3 of every tile t of the strip gathered from both by two-source
    /// permutes, so that each of the 16 elements is one vector of the strip's tiles, stored with the strip's tile mask.
    /// </summary>
    private void TransformInputRows(float* x, float* v, int top, int end)
    {
        var g = _g;
        int h = g.ImageHeight, w = g.ImageWidth, pt = g.PadTop, tw = _tilesWide;
        var stride = _inputStride;
        var wide = _wide;
        foreach (var strip in _strips)
        {
            Vector512<float> low = strip.InputLow, high = strip.InputHigh, tiles = strip.TileMask;
            var shift = strip.Shift;
            var first = 2 * top;
            var (r0, s0) = Row(x, first - pt, h, w, shift, low, high, wide);
            var (r1, s1) = Row(x, first + 1 - pt, h, w, shift, low, high, wide);
            for (int ty = first, tile = strip.FirstTile; ty < 2 * end; ty += 2, tile += tw)
            {
                var (r2, s2) = Row(x, ty + 2 - pt, h, w, shift, low, high, wide);
                var (r3, s3) = Row(x, ty + 3 - pt, h, w, shift, low, high, wide);
                var q = v + tile;
                Store4(r0 - r2, s0 - s2, q, stride, tiles);
                Store4(r1 + r2, s1 + s2, q + (4 * stride), stride, tiles);
                Store4(r2 - r1, s2 - s1, q + (8 * stride), stride, tiles);
                Store4(r1 - r3, s1 - s3, q + (12 * stride), stride, tiles);
                (r0, s0, r1, s1) = (r2, s2, r3, s3);
            }
        }
    }

    /// <summary>
    /// Padded row <paramref name="r"/> of the image as a strip sees it (input row r, shifted right by
    /// <paramref name="shift"/>) as two vectors (values 0–15 and 16–31; the second zero unless <paramref name="wide"/>),
    /// zero outside the image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Low, Vector512<float> High) Row(float* x, int r, int h, int w, int shift, Vector512<float> low, Vector512<float> high, bool wide)
    {
        if ((uint)r >= (uint)h)
        {
            return (Vector512<float>.Zero, Vector512<float>.Zero);
        }

        var start = x + (r * w) - shift;
        return (Avx512F.MaskLoad(start, low, Vector512<float>.Zero), wide ? Avx512F.MaskLoad(start + 16, high, Vector512<float>.Zero) : Vector512<float>.Zero);
    }

    /// <summary>The four combinations ·B of a row's columns 2t..2t+3 for every tile t of a strip, stored as four element rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<float> low, Vector512<float> high, float* q, long stride, Vector512<float> tiles)
    {
        var c0 = Avx512F.PermuteVar16x32x2(low, Column0, high);
        var c1 = Avx512F.PermuteVar16x32x2(low, Column1, high);
        var c2 = Avx512F.PermuteVar16x32x2(low, Column2, high);
        var c3 = Avx512F.PermuteVar16x32x2(low, Column3, high);
        Avx512F.MaskStore(q, tiles, c0 - c2);
        Avx512F.MaskStore(q + stride, tiles, c1 + c2);
        Avx512F.MaskStore(q + (2 * stride), tiles, c2 - c1);
        Avx512F.MaskStore(q + (3 * stride), tiles, c1 - c3);
    }

    /// <summary>
    /// <see cref="TransformOutput"/> with AVX-512, strip by strip: a strip's tile row's 16 elements are one vector each
    /// (loaded whole: the lanes past the strip's tiles are not used), combined into the two output rows' even and odd
    /// columns, interleaved by permutes and stored with the strip's masks (an output row is exactly its width: the next
    /// plane may belong to another thread), in two vectors when wider than 16.
    /// </summary>
    private void TransformOutputRows(float* m, float* y, float bias, int top, int end)
    {
        var g = _g;
        int ho = g.OutputHeight, wo = g.OutputWidth, tw = _tilesWide;
        var stride = _productStride;
        var b = Vector512.Create(bias);
        var wide = _wide;
        foreach (var strip in _strips)
        {
            Vector512<float> low = strip.OutputLow, high = strip.OutputHigh;
            var column = 2 * strip.FirstTile;
            for (int oy = 2 * top, tile = strip.FirstTile; oy < Math.Min(ho, 2 * end); oy += 2, tile += tw)
            {
                var q = m + tile;
                var (top0, bottom0) = Down(q, stride);
                var (top1, bottom1) = Down(q + stride, stride);
                var (top2, bottom2) = Down(q + (2 * stride), stride);
                var (top3, bottom3) = Down(q + (3 * stride), stride);
                StoreRow(top0 + top1 + top2, top1 - top2 - top3, y + (oy * wo) + column, low, high, b, wide);
                if (oy + 1 < ho)
                {
                    StoreRow(bottom0 + bottom1 + bottom2, bottom1 - bottom2 - bottom3, y + ((oy + 1) * wo) + column, low, high, b, wide);
                }
            }
        }
    }

    /// <summary>An output row from its even and odd columns (one lane a tile), plus the bias, in one or two masked stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector512<float> even, Vector512<float> odd, float* y, Vector512<float> low, Vector512<float> high, Vector512<float> bias, bool wide)
    {
        Avx512F.MaskStore(y, low, Avx512F.PermuteVar16x32x2(even, Interleave, odd) + bias);
        if (wide)
        {
            Avx512F.MaskStore(y + 16, high, Avx512F.PermuteVar16x32x2(even, InterleaveHigh, odd) + bias);
        }
    }

    /// <summary>Aᵀ·M down column j of every tile of a row (q = element j's row): m0 + m1 + m2 and m1 − m2 − m3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Top, Vector512<float> Bottom) Down(float* q, long stride)
    {
        var m0 = Vector512.Load(q);
        var m1 = Vector512.Load(q + (4 * stride));
        var m2 = Vector512.Load(q + (8 * stride));
        var m3 = Vector512.Load(q + (12 * stride));
        return (m0 + m1 + m2, m1 - m2 - m3);
    }
    /// <summary>A mask of the lanes l with first ≤ l &lt; end.</summary>
    private static Vector512<float> Lanes(int first, int end)
    {
        var lanes = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return Vector512.GreaterThanOrEqual(lanes, Vector512.Create((float)first)) & Vector512.LessThan(lanes, Vector512.Create((float)end));
    }

    private static readonly Vector512<int> Column0 = Gather(0);
    private static readonly Vector512<int> Column1 = Gather(1);
    private static readonly Vector512<int> Column2 = Gather(2);
    private static readonly Vector512<int> Column3 = Gather(3);

    /// <summary>Lane l takes tile l/2's first value from the first source when l is even, its second from the second when odd.</summary>
    private static readonly Vector512<int> Interleave = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);

    /// <summary><see cref="Interleave"/> for tiles 8–15 (output columns 16–31).</summary>
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Lane t takes column 2t + k of a row of two vectors (the last lanes, past any tile, clamped into them).</summary>
    private static Vector512<int> Gather(int k)
    {
        var lanes = new int[16];
        for (var t = 0; t < 16; t++)
        {
            lanes[t] = Math.Min((2 * t) + k, 31);
        }

        return Vector512.Create(lanes);
    }

    /// <summary>
    /// Tile rows [top, end) of one output channel of one sample from its products (element e of tile t at m + e·Co·ld + t,
    /// t counted from the first tile of row <paramref name="top"/>): Y = Aᵀ·M·A per tile, plus the bias, cut at the
    /// output's edge.
    /// </summary>
    private void TransformOutput(float* m, float* y, float bias, int top, int end)
    {
        var g = _g;
        int ho = g.OutputHeight, wo = g.OutputWidth;
        var stride = _productStride;
        var p = stackalloc float[8];
        var tile = 0;
        for (var oy = 2 * top; oy < Math.Min(ho, 2 * end); oy += 2)
        {
            for (var ox = 0; ox < wo; ox += 2, tile++)
            {
                var q = m + tile;
                for (var col = 0; col < 4; col++)
                {
                    // Aᵀ·M down each column: m0 + m1 + m2 (top row) and m1 − m2 − m3 (bottom row).
                    float m0 = q[col * stride], m1 = q[(4 + col) * stride], m2 = q[(8 + col) * stride], m3 = q[(12 + col) * stride];
                    p[col] = m0 + m1 + m2;
                    p[4 + col] = m1 - m2 - m3;
                }

                // ·A along each row: columns 0 + 1 + 2 and 1 − 2 − 3, cut at the output's edge.
                for (var row = 0; row < 2 && oy + row < ho; row++)
                {
                    var o = y + ((oy + row) * wo) + ox;
                    var r = p + (4 * row);
                    o[0] = r[0] + r[1] + r[2] + bias;
                    if (ox + 1 < wo)
                    {
                        o[1] = r[1] - r[2] - r[3] + bias;
                    }
                }
            }
        }
    }
    /// <summary>
    /// U_e [Co × Ci] = (G·g·Gᵀ)_e for every filter g, unless the weights are bit for bit those U was made from.
    /// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    /// </summary>
    private void PrepareFilters(float* weight, bool weightsFixed)
    {
        var g = _g;
        int ci = g.ImageChannels, co = g.ColumnChannels;
        var size = g.WeightSize;
        if (_filters.Length == 0)
        {
            _filters = new float[Elements * Gemm.PackedASize(co, ci)];
            _source = new WeightSnapshot(size);
        }

        if (_source!.Matches(weight, weightsFixed))
        {
            return;
        }

        // In parts of whole 16-channel blocks, each with its share of the copy of the weights, on every core when there are
        // several (the transform and the copy are mostly memory traffic).
        _source.Invalidate();
        _weight = weight;
        _filterParts = WorkerPool.IsInsideJob ? 1 : Math.Min((co + 15) / 16, 8);
        try
        {
            if (_filterParts > 1)
            {
                WorkerPool.For(_filterParts, this);
            }
            else
            {
                Execute(0);
            }
        }
        finally
        {
            _filterParts = 0;
            _weight = null;
        }

        _source.Validate();
    }

    /// <summary>
    /// U's entries, 16 output channels at a time (one vector lane each), input channel by input channel (so that the 16
    /// filters read stay on the same few pages): the filters' nine taps are gathered across the 16 output channels (two
    /// AVX2 gathers each), G·g·Gᵀ is computed on the vectors, and each element's 16 values stored as the GEMM reads them
    /// (<see cref="Gemm.MultiplyPackedA"/>: 8 values in each of two panels of 8 output channels; lanes past the last channel
    /// are zero, which pads the last panel).
    /// </summary>
    private void TransformFilters(float* weight, float* u, int part)
    {
        var blocks = (_g.ColumnChannels + 15) / 16;
        var first = blocks * part / _filterParts * 16;
        var end = Math.Min(_g.ColumnChannels, blocks * (part + 1) / _filterParts * 16);
        int ci = _g.ImageChannels, co = _g.ColumnChannels;
        var plane = Gemm.PackedASize(co, ci);

        // The filter from input channel c to output channel o starts at c·cStride + o·oStride; for the input gradient it is
        // the forward filter from (its input) o to (its output) c, turned by 180 degrees.
        long oStride = _flipped ? 9 : (long)ci * 9, cStride = _flipped ? (long)co * 9 : 9;
        var gather = Avx2.IsSupported ? Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)oStride : default;
        var lanes = stackalloc float[16 * 9];
        var half = Vector512.Create(0.5f);
        for (var o = first; o < end; o += 16)
        {
            var count = Math.Min(16, co - o);
            for (var c = 0; c < ci; c++)
            {
                var f = weight + (c * cStride) + (o * oStride);
                Vector512<float> g0, g1, g2, g3, g4, g5, g6, g7, g8;
                if (count == 16 && Avx2.IsSupported)
                {
                    g0 = Taps(f, 0, oStride, gather);
                    g1 = Taps(f, 1, oStride, gather);
                    g2 = Taps(f, 2, oStride, gather);
                    g3 = Taps(f, 3, oStride, gather);
                    g4 = Taps(f, 4, oStride, gather);
                    g5 = Taps(f, 5, oStride, gather);
                    g6 = Taps(f, 6, oStride, gather);
                    g7 = Taps(f, 7, oStride, gather);
                    g8 = Taps(f, 8, oStride, gather);
                }
                else
                {
                    for (var k = 0; k < 9; k++)
                    {
                        for (var l = 0; l < 16; l++)
                        {
                            lanes[(k * 16) + l] = l < count ? f[(l * oStride) + k] : 0f;
                        }
                    }

                    g0 = Vector512.Load(lanes);
                    g1 = Vector512.Load(lanes + 16);
                    g2 = Vector512.Load(lanes + 32);
                    g3 = Vector512.Load(lanes + 48);
                    g4 = Vector512.Load(lanes + 64);
                    g5 = Vector512.Load(lanes + 80);
                    g6 = Vector512.Load(lanes + 96);
                    g7 = Vector512.Load(lanes + 112);
                    g8 = Vector512.Load(lanes + 128);
                }

                if (_flipped)
                {
                    // The forward filter turned by 180 degrees: tap k is the forward filter's tap 8 − k.
                    (g0, g1, g2, g3, g5, g6, g7, g8) = (g8, g7, g6, g5, g3, g2, g1, g0);
                }

                // G·g (G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]) row by row, each row's three columns then ·Gᵀ.
                // U_e in the GEMM's packed layout: output channel o's panel (o / 8), input channel c's 8 values.
                var e = u + ((((long)o / 8 * ci) + c) * 8);
                var panel = (long)ci * 8;
                FilterRow(g0, g1, g2, e, plane, panel, count, half);
                FilterRow(half * (g0 + g3 + g6), half * (g1 + g4 + g7), half * (g2 + g5 + g8), e + (4 * plane), plane, panel, count, half);
                FilterRow(half * (g0 - g3 + g6), half * (g1 - g4 + g7), half * (g2 - g5 + g8), e + (8 * plane), plane, panel, count, half);
                FilterRow(g6, g7, g8, e + (12 * plane), plane, panel, count, half);
            }
        }
    }

    /// <summary>Tap <paramref name="k"/> of 16 filters <paramref name="stride"/> apart (two AVX2 gathers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps(float* f, int k, long stride, Vector256<int> gather) =>
        Vector512.Create(Avx2.GatherVector256(f + k, gather, sizeof(float)), Avx2.GatherVector256(f + k + (8 * stride), gather, sizeof(float)));

    /// <summary>One row (a0, a1, a2) of G·g times Gᵀ: the four elements a0, ½(a0 + a1 + a2), ½(a0 − a1 + a2), a2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterRow(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, float* e, long plane, long panel, int count, Vector512<float> half)
    {
        StoreLanes(a0, e, panel, count);
        StoreLanes(half * (a0 + a1 + a2), e + plane, panel, count);
        StoreLanes(half * (a0 - a1 + a2), e + (2 * plane), panel, count);
        StoreLanes(a2, e + (3 * plane), panel, count);
    }

    /// <summary>
    /// Stores 16 output channels' values into U's packed layout: the first 8 at <paramref name="target"/> (their panel), the
    /// other 8 one panel on when there are more than 8 channels (lanes past the last channel hold zeros: their taps were zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector512<float> v, float* target, long panel, int count)
    {
        v.GetLower().Store(target);
        if (count > 8)
        {
            v.GetUpper().Store(target + panel);
        }
    }

    /// <summary>The side of the zero-bordered input plane for an output side: the 4-wide patches of its 2-wide tiles.</summary>
    private static int PaddedSide(int output) => (2 * ((output + 1) / 2)) + 2;

    /// <summary>
    /// A strip of a row of tiles for the AVX-512 transforms: its first tile and the masks of its lanes — the input values
    /// of its bordered row (lane j is padded column 2·first + j: input column 2·first + j − left padding), its tiles, and
    /// its outputs (lane j is output column 2·first + j).
    /// </summary>
    private readonly struct Strip
    {
        public Strip(in ConvolutionGeometry g, int firstTile, int tiles)
        {
            FirstTile = firstTile;
            Shift = g.PadLeft - (2 * firstTile);
            InputLow = Lanes(Shift, Shift + g.ImageWidth);
            InputHigh = Lanes(Shift - 16, Shift + g.ImageWidth - 16);
            TileMask = Lanes(0, tiles);
            var outputs = Math.Min(2 * tiles, g.OutputWidth - (2 * firstTile));
            OutputLow = Lanes(0, outputs);
            OutputHigh = Lanes(-16, outputs - 16);
        }

        /// <summary>The strip's first tile in its row.</summary>
        public int FirstTile { get; }

        /// <summary>How far right of its input column lane 0's padded column lies (the left padding less the strip's start).</summary>
        public int Shift { get; }

        /// <summary>The lanes of the bordered row's first vector that hold input values.</summary>
        public Vector512<float> InputLow { get; }

        /// <summary>The lanes of the bordered row's second vector that hold input values.</summary>
        public Vector512<float> InputHigh { get; }

        /// <summary>The lanes of the strip's tiles.</summary>
        public Vector512<float> TileMask { get; }

        /// <summary>The lanes of the strip's output columns in the first vector.</summary>
        public Vector512<float> OutputLow { get; }

        /// <summary>The lanes of the strip's output columns in the second vector.</summary>
        public Vector512<float> OutputHigh { get; }
    }
}
