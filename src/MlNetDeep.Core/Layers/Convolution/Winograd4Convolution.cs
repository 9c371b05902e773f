using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// A 3x3, stride-1 convolution's inference pass by Winograd's F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", CVPR 2016) with AVX-512, its transforms vectorised across 16 channels: each 4x4 tile
/// of the output comes from a 6x6 patch d of the input as Aᵀ·[Σ_c (G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A, so that the 36 elements of
/// the transformed tiles are 36 GEMMs M_e [tiles × Co] = V_e [tiles × Ci] · U_e [Ci × Co] — 36 multiplications a tile
/// and channel pair for 144 (4 times fewer than a direct convolution, 1.78 times fewer than F(2x2, 3x3)).
/// </summary>
/// <remarks>
/// <para>
/// Points 0, ±1, ±2 and ∞: Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1], Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0;
/// 0 1 −1 8 −8 1]. The values differ from a direct convolution's by rounding only (the transforms scale by up to 8 and
/// 5; the tests hold them to 1e-5 of the output's scale times √(9·Ci)). The engine takes this form for inference passes
/// only, on outputs of at most <see cref="MaxInputValues"/> input values a sample, or of at most 28x28 positions from at least
/// <see cref="WideChannels"/> channels (<see cref="MaxWidePositions"/>): training changes the weights at every
/// step, and U (36·Ci·Co values, 2.25 times F(2x2)'s) would be made again at every forward pass, so the training passes
/// keep <see cref="WinogradConvolution"/>'s F(2x2) or the direct kernels.
/// </para>
/// <para>
/// A batch is cut into blocks of tile rows (four output rows of one sample; a block may span samples), run on the
/// worker pool, each on a slot of buffers kept between calls. A block's input rows are first copied channels-last in
/// 16-channel groups, zero-bordered ([Ci/16][rows][width][16], by 16x16 transposes), so that a tile's 36 input values of
/// 16 channels are 36 vector loads; the output transform's 16 vectors of a tile (a position each, 16 channels) are
/// transposed back to 16 channels' 4x4 outputs. Every output comes from its own tile only, and each GEMM's depth is the
/// input channels, never split, so a sample gets the same bits alone as in any batch and on any core count. U, made
/// from the weights (16 output channels a vector, the taps gathered), is kept with a copy of the weights it came from
/// (<see cref="WeightSnapshot"/>).
/// </para>
/// </remarks>
internal sealed unsafe class Winograd4Convolution : ParallelJob
{
    /// <summary>The fewest input channels: with fewer the transforms cost more than the GEMMs save.</summary>
    internal const int MinChannels = 32;

    /// <summary>
    /// The most input or output channels: U (36·Ci·Co values, read whole by every block) is 36 MiB at 512, and a block holds
    /// 56 tiles there (<see cref="MaxTransformValues"/>).
    /// </summary>
    internal const int MaxChannels = 512;

    /// <summary>The fewest input channels for which outputs up to <see cref="MaxWidePositions"/> take the form, past <see cref="MaxInputValues"/>.</summary>
    internal const int WideChannels = 128;

    /// <summary>
    /// The most output positions (28x28) of a layer of at least <see cref="WideChannels"/> input channels. ResNet-18 at
    /// 224x224 (128 channels at 28x28, 256 at 14x14, 512 at 7x7) gained 2.7–3.6 %, VGG-16 11 %, AlexNet 2 % at batch 8, measured
    /// in the network (batches alternated between two copies built with and without it); the U-Net, FCN and PSPNet rows and
    /// the ResNets at 32x32 stayed level (0.99–1.01).
    /// </summary>
    internal const int MaxWidePositions = 28 * 28;

    /// <summary>
    /// The most input values of one sample (input channels × output positions: 64 channels at 16x16, 128 at 8x8) of a layer
    /// of fewer than <see cref="WideChannels"/> input channels. On larger ones (64 channels at 56x56, a U-Net's 32x32 to
    /// 128x128 outputs) F(2x2, 3x3) was measured as fast or faster at batch 8 on two cores.
    /// </summary>
    internal const int MaxInputValues = 64 * 256;

    /// <summary>Elements of a 6x6 transform.</summary>
    private const int Elements = 36;

    /// <summary>The tiles a block aims at (the GEMMs' row count).</summary>
    private const int TargetTiles = 128;

    /// <summary>The most values of one slot's input transform (1 Mi floats), which caps the tiles for many channels.</summary>
    private const int MaxTransformValues = 1 << 20;

    private readonly ConvolutionGeometry _g;
    private readonly int _tilesHigh;
    private readonly int _tilesWide;
    private readonly int _blockRows;
    private readonly int _inputPad;
    private readonly int _outputPad;
    private readonly int _paddedWidth;
    private readonly long _inputStride;
    private readonly long _productStride;
    private readonly long _blockedPlane;
    private readonly List<float[]> _blocked = [];
    private readonly List<float[]> _inputs = [];
    private readonly List<float[]> _products = [];
    private float[] _filters = [];
    private WeightSnapshot? _source;
    private int[] _slotBusy = [];
    private float* _x;
    private float* _y;
    private float* _bias;
    private ConvolutionEpilogue? _epilogue;
    private int _rows;
    private int _perBlock;

    private Winograd4Convolution(in ConvolutionGeometry g)
    {
        _g = g;
        _tilesHigh = (g.OutputHeight + 3) / 4;
        _tilesWide = (g.OutputWidth + 3) / 4;
        _inputPad = Round16(g.ImageChannels);
        _outputPad = Round16(g.ColumnChannels);
        var tiles = Math.Min(TargetTiles, MaxTransformValues / (Elements * Math.Max(_inputPad, _outputPad)));
        _blockRows = Math.Max(1, tiles / _tilesWide);
        _paddedWidth = (4 * _tilesWide) + 2;
        var blockTiles = _blockRows * _tilesWide;

        // Element matrices a whole number of rows apart plus 16 floats, so that a tile's 36 values do not share cache sets.
        _inputStride = ((long)blockTiles * _inputPad) + 16;
        _productStride = ((long)blockTiles * _outputPad) + 16;
        _blockedPlane = (long)((4 * _blockRows) + 2) * _paddedWidth * 16;
    }

    /// <summary>Switch for tests and tuning: false sends every convolution through the other paths; read when a layer is built.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>The F(4x4, 3x3) form of <paramref name="g"/>'s inference pass, or null where it does not apply (see the remarks).</summary>
    internal static Winograd4Convolution? TryCreate(in ConvolutionGeometry g) =>
        Enabled && Avx512F.IsSupported && g.Groups == 1 && g.KernelHeight == 3 && g.KernelWidth == 3
        && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1 && g.DilationWidth == 1
        && g.PadTop >= 0 && g.PadLeft >= 0 && g.OutputHeight >= 4 && g.OutputWidth >= 4
        && ((long)g.ImageChannels * g.Positions <= MaxInputValues || (g.ImageChannels >= WideChannels && g.Positions <= MaxWidePositions))
        && g.ImageChannels >= MinChannels && g.ImageChannels <= MaxChannels
        && g.ColumnChannels >= WinogradConvolution.MinChannels && g.ColumnChannels <= MaxChannels
        && g.PadTop + g.ImageHeight <= (4 * ((g.OutputHeight + 3) / 4)) + 2 && g.PadLeft + g.ImageWidth <= (4 * ((g.OutputWidth + 3) / 4)) + 2
            ? new Winograd4Convolution(g)
            : null;

    /// <summary>side[n] = conv(image[n]) + bias (per output channel), for every sample.</summary>
    /// <param name="image">The input images.</param>
    /// <param name="side">The outputs.</param>
    /// <param name="samples">The batch size.</param>
    /// <param name="weight">The weights.</param>
    /// <param name="weightsFixed">True when the weights can no longer change: U, once made, is kept without a comparison.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="epilogue">Applied to the outputs in the output transform (an inference pass's batch normalisation and/or ReLU), or null.</param>
    public void Forward(float* image, float* side, int samples, float* weight, bool weightsFixed, float* bias, ConvolutionEpilogue? epilogue = null)
    {
        if (samples == 0)
        {
            return;
        }

        PrepareFilters(weight, weightsFixed);
        var threads = WorkerPool.IsInsideJob ? 1 : WorkerPool.MaxDegreeOfParallelism;
        var rows = samples * _tilesHigh;

        // Blocks of at most _blockRows tile rows, as many as a multiple of the threads, of nearly equal size.
        var blocks = (rows + _blockRows - 1) / _blockRows;
        blocks = Math.Min(rows, (blocks + threads - 1) / threads * threads);
        _perBlock = (rows + blocks - 1) / blocks;
        blocks = (rows + _perBlock - 1) / _perBlock;
        var slots = Math.Min(blocks, threads);
        if (_slotBusy.Length < slots)
        {
            _slotBusy = new int[slots];
        }

        for (var slot = 0; slot < slots; slot++)
        {
            ConvolutionEngine.Ensure(_blocked, slot, (int)(_blockedPlane * (_inputPad / 16)));
            ConvolutionEngine.Ensure(_inputs, slot, (int)(Elements * _inputStride));
            ConvolutionEngine.Ensure(_products, slot, (int)(Elements * _productStride));
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
                Execute(0);
            }
        }
        finally
        {
            _x = _y = _bias = null;
            _epilogue = null;
        }
    }

    /// <summary>Block <paramref name="index"/> of tile rows on a free slot: input transforms, 36 GEMMs, output transforms.</summary>
    public override void Execute(int index)
    {
        var slot = 0;
        while (Interlocked.CompareExchange(ref _slotBusy[slot], 1, 0) != 0)
        {
            slot = (slot + 1) % _slotBusy.Length;
        }

        try
        {
            var first = index * _perBlock;
            var count = Math.Min(_perBlock, _rows - first);
            var g = _g;
            fixed (float* blocked = _blocked[slot], v = _inputs[slot], m = _products[slot], u = _filters)
            {
                foreach (var (sample, top, end, row) in new TileRowRuns(first, count, _tilesHigh))
                {
                    ChannelsLast(_x + ((long)sample * g.ImageSize), blocked, top, end);
                    TransformInputs(blocked, v + ((long)(row - first) * _tilesWide * _inputPad), end - top);
                }

                var tiles = count * _tilesWide;
                for (var e = 0; e < Elements; e++)
                {
                    Gemm.Multiply(
                        false, false, tiles, g.ColumnChannels, g.ImageChannels, 1f,
                        v + (e * _inputStride), _inputPad,
                        u + ((long)e * g.ImageChannels * _outputPad), _outputPad,
                        0f, m + (e * _productStride), _outputPad);
                }

                foreach (var (sample, top, end, row) in new TileRowRuns(first, count, _tilesHigh))
                {
                    TransformOutputs(m + ((long)(row - first) * _tilesWide * _outputPad), _y + ((long)sample * g.ColumnSideSize), top, end);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _slotBusy[slot], 0);
        }
    }
    private static int Round16(int value) => (value + 15) & ~15;

    /// <summary>
    /// The padded input rows that tile rows [top, end) of one sample read, channels last in groups of 16:
    /// blocked[group][r][x][lane] = image[16·group + lane, 4·top + r − padTop, x − padLeft], zero outside the image and for
    /// channels past the last. The image rows are taken as one run of positions, 16 at a time (16 channels' runs, one
    /// 16x16 transpose), so that narrow images fill the vectors too.
    /// </summary>
    private void ChannelsLast(float* image, float* blocked, int top, int end)
    {
        var g = _g;
        int h = g.ImageHeight, w = g.ImageWidth, wp = _paddedWidth, pl = g.PadLeft;
        var rows = (4 * (end - top)) + 2;
        var plane = (long)h * w;
        var groups = _inputPad / 16;
        var vectors = stackalloc Vector512<float>[16];

        // The image rows the padded rows [0, rows) hold: [firstRow, endRow); the rest of the buffer is padding.
        var firstRow = Math.Max(0, (4 * top) - g.PadTop);
        var endRow = Math.Min(h, (4 * top) - g.PadTop + rows);
        for (var group = 0; group < groups; group++)
        {
            var target = blocked + (group * _blockedPlane);
            for (var r = 0; r < rows; r++)
            {
                var iy = (4 * top) + r - g.PadTop;
                var row = target + ((long)r * wp * 16);
                if (iy < firstRow || iy >= endRow)
                {
                    Clear(row, wp);
                    continue;
                }

                Clear(row, pl);
                Clear(row + ((pl + w) * 16), wp - pl - w);
            }

            var channels = Math.Min(16, g.ImageChannels - (16 * group));
            var source = image + ((long)16 * group * plane);
            var last = endRow * w;
            var iyRun = firstRow;
            var ixRun = 0;
            for (var p = firstRow * w; p < last; p += 16)
            {
                var count = Math.Min(16, last - p);
                VectorOps.TransposeTile(source + p, (int)plane, channels, count, vectors);
                for (var j = 0; j < count; j++)
                {
                    var r = iyRun + g.PadTop - (4 * top);
                    vectors[j].Store(target + ((((long)r * wp) + pl + ixRun) * 16));
                    if (++ixRun == w)
                    {
                        ixRun = 0;
                        iyRun++;
                    }
                }
            }
        }
    }

    /// <summary>Zeros <paramref name="vectors"/> vectors of 16 from <paramref name="target"/> on (a few a row: no call to memset).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(float* target, int vectors)
    {
        for (var i = 0; i < vectors; i++)
        {
            Vector512<float>.Zero.Store(target + (16 * i));
        }
    }

    /// <summary>V_e rows of the tiles of <paramref name="tileRows"/> tile rows whose channels-last input is <paramref name="blocked"/>.</summary>
    private void TransformInputs(float* blocked, float* v, int tileRows)
    {
        var wp = _paddedWidth;
        var groups = _inputPad / 16;
        var t = stackalloc Vector512<float>[Elements];
        var e = stackalloc Vector512<float>[6];
        var four = Vector512.Create(4f);
        var five = Vector512.Create(5f);
        var two = Vector512.Create(2f);
        for (var group = 0; group < groups; group++)
        {
            var plane = blocked + (group * _blockedPlane);
            for (var ty = 0; ty < tileRows; ty++)
            {
                for (var tx = 0; tx < _tilesWide; tx++)
                {
                    var patch = plane + ((((long)4 * ty * wp) + (4 * tx)) * 16);

                    // Bᵀ·d down each of the patch's 6 columns: t[i, j].
                    for (var j = 0; j < 6; j++)
                    {
                        var p = patch + (j * 16);
                        var stride = wp * 16;
                        var d0 = Vector512.Load(p);
                        var d1 = Vector512.Load(p + stride);
                        var d2 = Vector512.Load(p + (2 * stride));
                        var d3 = Vector512.Load(p + (3 * stride));
                        var d4 = Vector512.Load(p + (4 * stride));
                        var d5 = Vector512.Load(p + (5 * stride));
                        BTranspose(d0, d1, d2, d3, d4, d5, t + j, 6, four, five, two);
                    }

                    // (Bᵀ·d)·B along each row: element e = 6·i + j of V, at the tile's row, this group's 16 channels.
                    var target = v + ((((long)ty * _tilesWide) + tx) * _inputPad) + (16 * group);
                    for (var i = 0; i < 6; i++)
                    {
                        var row = t + (6 * i);
                        BTranspose(row[0], row[1], row[2], row[3], row[4], row[5], e, 1, four, five, two);
                        for (var j = 0; j < 6; j++)
                        {
                            e[j].Store(target + (((6 * i) + j) * _inputStride));
                        }
                    }
                }
            }
        }
    }

    /// <summary>r = Bᵀ·(d0 … d5), written to r[0], r[step], … r[5·step].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BTranspose(
        Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        Vector512<float>* r, int step, Vector512<float> four, Vector512<float> five, Vector512<float> two)
    {
        // r0 = 4d0 − 5d2 + d4; r1 = −4(d1 + d2) + d3 + d4; r2 = 4(d1 − d2) − d3 + d4;
        // r3 = −2(d1 − d3) − d2 + d4; r4 = 2(d1 − d3) − d2 + d4; r5 = 4d1 − 5d3 + d5.
        var d4MinusD2 = d4 - d2;
        var d3PlusD4 = d3 + d4;
        var d4MinusD3 = d4 - d3;
        var twoD1MinusD3 = two * (d1 - d3);
        r[0] = Avx512F.FusedMultiplyAdd(four, d0, Avx512F.FusedMultiplyAddNegated(five, d2, d4));
        r[step] = Avx512F.FusedMultiplyAddNegated(four, d1 + d2, d3PlusD4);
        r[2 * step] = Avx512F.FusedMultiplyAdd(four, d1 - d2, d4MinusD3);
        r[3 * step] = d4MinusD2 - twoD1MinusD3;
        r[4 * step] = d4MinusD2 + twoD1MinusD3;
        r[5 * step] = Avx512F.FusedMultiplyAdd(four, d1, Avx512F.FusedMultiplyAddNegated(five, d3, d5));
    }

    /// <summary>
    /// The outputs of tile rows [top, end) of one sample (rows of its tile rows from <paramref name="m"/>'s first), with
    /// the bias: Aᵀ·m·A for 16 channels a vector, transposed to each channel's 4x4 outputs.
    /// </summary>
    private void TransformOutputs(float* m, float* y, int top, int end)
    {
        var g = _g;
        int ho = g.OutputHeight, wo = g.OutputWidth;
        var positions = (long)ho * wo;
        var groups = _outputPad / 16;
        var t = stackalloc Vector512<float>[24];
        var o = stackalloc Vector512<float>[16];
        var two = Vector512.Create(2f);
        var four = Vector512.Create(4f);
        var eight = Vector512.Create(8f);
        var epilogue = _epilogue;
        for (var group = 0; group < groups; group++)
        {
            var channels = Math.Min(16, g.ColumnChannels - (16 * group));
            var bias = _bias == null ? Vector512<float>.Zero
                : Avx512F.MaskLoad(_bias + (16 * group), Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(channels)).AsSingle(), Vector512<float>.Zero);
            for (var ty = top; ty < end; ty++)
            {
                var oy = 4 * ty;
                var rowsHere = Math.Min(4, ho - oy);
                for (var tx = 0; tx < _tilesWide; tx++)
                {
                    var source = m + ((((long)(ty - top) * _tilesWide) + tx) * _outputPad) + (16 * group);

                    // Aᵀ·m down each of the 6 columns: t[i, j] for i < 4.
                    for (var j = 0; j < 6; j++)
                    {
                        var p = source + (j * _productStride);
                        var stride = 6 * _productStride;
                        ATranspose(
                            Vector512.Load(p), Vector512.Load(p + stride), Vector512.Load(p + (2 * stride)),
                            Vector512.Load(p + (3 * stride)), Vector512.Load(p + (4 * stride)), Vector512.Load(p + (5 * stride)),
                            t + j, 6, two, four, eight);
                    }

                    // (Aᵀ·m)·A along each row: output (i, j) of the tile, 16 channels, plus the bias.
                    for (var i = 0; i < 4; i++)
                    {
                        var row = t + (6 * i);
                        ATranspose(row[0], row[1], row[2], row[3], row[4], row[5], o + (4 * i), 1, two, four, eight);
                        for (var j = 0; j < 4; j++)
                        {
                            o[(4 * i) + j] += bias;
                            if (epilogue is not null)
                            {
                                o[(4 * i) + j] = epilogue.ApplyChannels(o[(4 * i) + j], group);
                            }
                        }
                    }

                    // o[position] holds 16 channels; after the transpose o[c] holds channel c's 16 positions (row-major 4x4).
                    VectorOps.TransposeTile((float*)o, 16, 16, 16, o);
                    var ox = 4 * tx;
                    var columns = Math.Min(4, wo - ox);
                    var target = y + ((long)16 * group * positions) + ((long)oy * wo) + ox;
                    for (var c = 0; c < channels; c++, target += positions)
                    {
                        var values = o[c];
                        if (columns == 4 && rowsHere == 4)
                        {
                            Avx512F.ExtractVector128(values, 0).Store(target);
                            Avx512F.ExtractVector128(values, 1).Store(target + wo);
                            Avx512F.ExtractVector128(values, 2).Store(target + (2 * wo));
                            Avx512F.ExtractVector128(values, 3).Store(target + (3 * wo));
                            continue;
                        }

                        for (var i = 0; i < rowsHere; i++)
                        {
                            for (var j = 0; j < columns; j++)
                            {
                                target[(i * wo) + j] = values.GetElement((4 * i) + j);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>o = Aᵀ·(m0 … m5), written to o[0], o[step], o[2·step], o[3·step].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ATranspose(
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        Vector512<float>* o, int step, Vector512<float> two, Vector512<float> four, Vector512<float> eight)
    {
        // o0 = m0 + (m1 + m2) + (m3 + m4); o1 = (m1 − m2) + 2(m3 − m4); o2 = (m1 + m2) + 4(m3 + m4); o3 = (m1 − m2) + 8(m3 − m4) + m5.
        var sum12 = m1 + m2;
        var difference12 = m1 - m2;
        var sum34 = m3 + m4;
        var difference34 = m3 - m4;
        o[0] = m0 + sum12 + sum34;
        o[step] = Avx512F.FusedMultiplyAdd(two, difference34, difference12);
        o[2 * step] = Avx512F.FusedMultiplyAdd(four, sum34, sum12);
        o[3 * step] = Avx512F.FusedMultiplyAdd(eight, difference34, difference12) + m5;
    }

    /// <summary>
    /// U_e [Ci × Co] = (G·g·Gᵀ)_e for every filter g (16 output channels a vector, their taps gathered), unless the weights
    /// are bit for bit those U was made from.
    /// </summary>
    private void PrepareFilters(float* weight, bool weightsFixed)
    {
        var g = _g;
        int ci = g.ImageChannels, co = g.ColumnChannels;
        var size = g.WeightSize;
        if (_filters.Length == 0)
        {
            _filters = new float[(long)Elements * ci * _outputPad];
            _source = new WeightSnapshot(size);
        }

        if (_source!.Matches(weight, weightsFixed))
        {
            return;
        }

        _source.Invalidate();
        var filter = ci * 9;
        var quarter = Vector512.Create(0.25f);
        var sixth = Vector512.Create(1f / 6f);
        var twelfth = Vector512.Create(1f / 12f);
        var twentyFourth = Vector512.Create(1f / 24f);
        var gathered = stackalloc Vector512<float>[9];
        var t = stackalloc Vector512<float>[18];
        var e = stackalloc Vector512<float>[6];
        fixed (float* u = _filters)
        {
            for (var group = 0; group < _outputPad / 16; group++)
            {
                var channels = Math.Min(16, co - (16 * group));
                var index = Vector256<int>.Indices * Vector256.Create(filter);
                var lowTaken = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(channels)).AsSingle();
                var highTaken = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(channels - 8)).AsSingle();
                var first = weight + ((long)16 * group * filter);
                for (var c = 0; c < ci; c++)
                {
                    for (var k = 0; k < 9; k++)
                    {
                        var tap = first + (c * 9) + k;
                        var low = Avx2.GatherMaskVector256(Vector256<float>.Zero, tap, index, lowTaken, sizeof(float));
                        var high = channels > 8
                            ? Avx2.GatherMaskVector256(Vector256<float>.Zero, tap + (8 * filter), index, highTaken, sizeof(float))
                            : Vector256<float>.Zero;
                        gathered[k] = Vector512.Create(low, high);
                    }

                    // G·g down the 3 columns (t[i, j], i < 6), then (G·g)·Gᵀ along each row.
                    for (var j = 0; j < 3; j++)
                    {
                        FilterColumn(gathered[j], gathered[3 + j], gathered[6 + j], t + j, 3, quarter, sixth, twelfth, twentyFourth);
                    }

                    var target = u + ((long)c * _outputPad) + (16 * group);
                    for (var i = 0; i < 6; i++)
                    {
                        FilterColumn(t[3 * i], t[(3 * i) + 1], t[(3 * i) + 2], e, 1, quarter, sixth, twelfth, twentyFourth);
                        for (var j = 0; j < 6; j++)
                        {
                            e[j].Store(target + ((long)((6 * i) + j) * ci * _outputPad));
                        }
                    }
                }
            }
        }

        _source.Take(weight);
    }

    /// <summary>u = G·(g0, g1, g2), written to u[0], u[step], … u[5·step].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterColumn(
        Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float>* u, int step,
        Vector512<float> quarter, Vector512<float> sixth, Vector512<float> twelfth, Vector512<float> twentyFourth)
    {
        // u0 = g0/4; u1 = −(g0 + g1 + g2)/6; u2 = −(g0 − g1 + g2)/6; u3 = g0/24 + g1/12 + g2/6; u4 = g0/24 − g1/12 + g2/6; u5 = g2.
        var outer = g0 + g2;
        var even = Avx512F.FusedMultiplyAdd(twentyFourth, g0, sixth * g2);
        var odd = twelfth * g1;
        u[0] = quarter * g0;
        u[step] = -(sixth * (outer + g1));
        u[2 * step] = -(sixth * (outer - g1));
        u[3 * step] = even + odd;
        u[4 * step] = even - odd;
        u[5 * step] = g2;
    }
}
