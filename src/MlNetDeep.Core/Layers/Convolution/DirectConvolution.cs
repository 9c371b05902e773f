using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Layers;

/// <summary>
/// One stride-1 convolution computed directly (no im2col), vectorised along output rows with AVX-512: 16 output columns
/// per vector, up to 8 output channels × 4 output rows per register tile, weights broadcast, bias fused. The input is
/// first copied into a zero-bordered buffer (<see cref="DirectConvolution.Pad"/>), so every tap is one unaligned load; kernel rows that
/// fall entirely into the top or bottom border are skipped.
/// </summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="PadTop">Zero rows above the input.</param>
/// <param name="PadLeft">Zero columns left of the input.</param>
/// <param name="Outputs">Output channels.</param>
/// <param name="OutputHeight">Output height.</param>
/// <param name="OutputWidth">Output width.</param>
/// <param name="KernelHeight">Kernel height.</param>
/// <param name="KernelWidth">Kernel width.</param>
internal readonly record struct DirectPlan(
    int Channels, int Height, int Width, int PadTop, int PadLeft, int Outputs, int OutputHeight, int OutputWidth, int KernelHeight, int KernelWidth)
{
    /// <summary>Rows of one padded input plane: Ho + kh − 1.</summary>
    public int PaddedHeight => OutputHeight + KernelHeight - 1;

    /// <summary>Columns (row stride) of one padded input plane: Wo + kw − 1.</summary>
    public int PaddedWidth => OutputWidth + KernelWidth - 1;

    /// <summary>Values of one padded plane.</summary>
    public int PlaneSize => PaddedHeight * PaddedWidth;

    /// <summary>Values of the padded buffer, with slack for the loads that run past the last row.</summary>
    public int BufferSize => (Channels * PlaneSize) + 32;

    /// <summary>Taps of one filter: Channels·kh·kw.</summary>
    public int Taps => Channels * KernelHeight * KernelWidth;

    /// <summary>True when the input fits inside the padded buffer with non-negative borders.</summary>
    public bool Fits =>
        PadTop >= 0 && PadLeft >= 0 && PadTop + Height <= PaddedHeight && PadLeft + Width <= PaddedWidth && OutputWidth > 0 && OutputHeight > 0;

    /// <summary>The forward pass of a convolution: image → column side.</summary>
    public static DirectPlan Forward(in ConvolutionGeometry g) => new(
        g.ImageChannels, g.ImageHeight, g.ImageWidth, g.PadTop, g.PadLeft, g.ColumnChannels, g.OutputHeight, g.OutputWidth, g.KernelHeight, g.KernelWidth);

    /// <summary>
    /// The input gradient of a stride-1 convolution as a convolution of the output gradient (padded by k − 1 − p) with the
    /// flipped, transposed kernel (<see cref="DirectConvolution.FlipWeights"/>): column side → image.
    /// </summary>
    public static DirectPlan InputGradient(in ConvolutionGeometry g) => new(
        g.ColumnChannels, g.OutputHeight, g.OutputWidth, g.KernelHeight - 1 - g.PadTop, g.KernelWidth - 1 - g.PadLeft, g.ImageChannels,
        g.ImageHeight, g.ImageWidth, g.KernelHeight, g.KernelWidth);
}

/// <summary>
/// Direct AVX-512 convolution kernels for small stride-1 convolutions (such as LeNet-5's), where im2col + GEMM spends more
/// time moving the column matrix than multiplying: forward (<see cref="Convolve"/>), weight gradient
/// (<see cref="AddWeightGradient"/>, folded into the gradient per chunk by <see cref="FinishWeightGradient"/>) and, through
/// <see cref="DirectPlan.InputGradient"/>, the input gradient. Each call works on one sample on the calling thread.
/// Two layouts: row vectors (16 output columns per vector, weights broadcast; weight gradients as 16 partial sums per weight)
/// and, when rows are short and the output channels a multiple of 16 (<see cref="ChannelVectors"/>), channel vectors
/// (16 output channels per vector, inputs broadcast; results transposed through a staging buffer).
/// </summary>
internal static unsafe class DirectConvolution
{
    private const int MaxTaps = 512;

    /// <summary>Switch for tests and tuning: false sends every convolution through im2col + GEMM.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>True when <paramref name="g"/> is computed by these kernels.</summary>
    public static bool Supports(in ConvolutionGeometry g) =>
        Enabled && Avx512F.IsSupported && g.Groups == 1 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1
        && g.DilationWidth == 1 && !g.IsPointwise && g.GroupRows <= MaxTaps && DirectPlan.Forward(g).Fits;

    /// <summary>True when the input gradient of <paramref name="g"/> (already <see cref="Supports"/>) is computed by these kernels.</summary>
    public static bool SupportsInputGradient(in ConvolutionGeometry g) =>
        DirectPlan.InputGradient(g).Fits && g.ColumnChannels * g.KernelHeight * g.KernelWidth <= MaxTaps;

    /// <summary>wT[tap][co] = w[co][tap]: the forward kernel's weight layout.</summary>
    public static void TransposeWeights(in ConvolutionGeometry g, float* w, float* wT)
    {
        var taps = g.GroupRows;
        var outputs = g.ColumnChannels;
        for (var co = 0; co < outputs; co++)
        {
            for (var t = 0; t < taps; t++)
            {
                wT[(t * outputs) + co] = w[(co * taps) + t];
            }
        }
    }

    /// <summary>
    /// The input-gradient kernel's weights: f[((co·kh + ki)·kw + kj)][ci] = w[co][ci][kh − 1 − ki][kw − 1 − kj].
    /// </summary>
    public static void FlipWeights(in ConvolutionGeometry g, float* w, float* f)
    {
        int kh = g.KernelHeight, kw = g.KernelWidth, ci = g.ImageChannels;
        for (var o = 0; o < g.ColumnChannels; o++)
        {
            for (var c = 0; c < ci; c++)
            {
                for (var i = 0; i < kh; i++)
                {
                    for (var j = 0; j < kw; j++)
                    {
                        f[((((o * kh) + i) * kw) + j) * ci + c] = w[((((o * ci) + c) * kh) + (kh - 1 - i)) * kw + (kw - 1 - j)];
                    }
                }
            }
        }
    }

    /// <summary>Copies one sample (Channels×Height×Width) into the inside of <paramref name="buffer"/>, whose border stays zero.</summary>
    public static void Pad(in DirectPlan p, float* source, float* buffer)
    {
        var wp = p.PaddedWidth;
        for (var c = 0; c < p.Channels; c++)
        {
            var s = source + ((long)c * p.Height * p.Width);
            var d = buffer + ((long)c * p.PlaneSize) + (p.PadTop * wp) + p.PadLeft;
            if (p.PadLeft == 0 && wp == p.Width)
            {
                Unsafe.CopyBlockUnaligned(d, s, (uint)(p.Height * p.Width) * sizeof(float));
                continue;
            }

            for (var i = 0; i < p.Height; i++)
            {
                Unsafe.CopyBlockUnaligned(d + (i * wp), s + (i * p.Width), (uint)p.Width * sizeof(float));
            }
        }
    }

    /// <summary>
    /// y[co] = bias[co] + Σ w·x over the taps, for one sample: <paramref name="padded"/> from <see cref="Pad"/>,
    /// <paramref name="w"/> as [tap][co] (<see cref="TransposeWeights"/> or <see cref="FlipWeights"/>), y as Outputs×Ho×Wo;
    /// <paramref name="taps"/> (or null) as in <see cref="Convolve"/>.
    /// </summary>
    private static void ConvolveRows(in DirectPlan p, float* padded, float* w, float* bias, float* y, byte* taps)
    {
        int ho = p.OutputHeight, wo = p.OutputWidth, kh = p.KernelHeight, kw = p.KernelWidth, wp = p.PaddedWidth;
        var yPlane = (nint)ho * wo;
        for (var co0 = 0; co0 < p.Outputs; co0 += 8)
        {
            var co = Math.Min(8, p.Outputs - co0);
            var tileRows = co <= 6 ? 4 : 3;
            for (var ox0 = 0; ox0 < wo; ox0 += 16)
            {
                var mask = Mask(wo - ox0);
                for (var oy0 = 0; oy0 < ho; oy0 += tileRows)
                {
                    var rows = Math.Min(tileRows, ho - oy0);
                    var kiStart = Math.Max(0, p.PadTop - (oy0 + rows - 1));
                    var kiEnd = Math.Max(kiStart, Math.Min(kh, p.PadTop + p.Height - oy0));
                    Forward(
                        co, rows, padded + (oy0 * wp) + ox0, wp, p.PlaneSize, p.Channels, kh, kiStart, kiEnd, kw,
                        w + co0, p.Outputs, bias == null ? null : bias + co0, y + (co0 * yPlane) + (oy0 * wo) + ox0, wo, yPlane, mask, taps);
                }
            }
        }
    }

    /// <summary>
    /// lanes[co][tap][0..16) += partial sums of dy[co]·x(tap) over one sample: <paramref name="padded"/> the sample's input from
    /// <see cref="Pad"/>, <paramref name="dy"/> its output gradient (Outputs×Ho×Wo).
    /// </summary>
    private static void AddWeightGradientRows(in DirectPlan p, float* padded, float* dy, float* lanes)
    {
        int ho = p.OutputHeight, wo = p.OutputWidth, kh = p.KernelHeight, kw = p.KernelWidth, wp = p.PaddedWidth;
        var taps = p.Taps;
        var yPlane = (nint)ho * wo;
        var tile = p.Outputs % 4 == 0 ? 4 : p.Outputs % 3 == 0 ? 3 : 4;
        for (var co0 = 0; co0 < p.Outputs; co0 += tile)
        {
            var co = Math.Min(tile, p.Outputs - co0);
            for (var c = 0; c < p.Channels; c++)
            {
                for (var ki = 0; ki < kh; ki++)
                {
                    var rowBegin = Math.Max(0, p.PadTop - ki);
                    var rowEnd = Math.Min(ho, p.PadTop + p.Height - ki);
                    if (rowBegin >= rowEnd)
                    {
                        continue;
                    }

                    for (var kj0 = 0; kj0 < kw; kj0 += 5)
                    {
                        var tap = (((c * kh) + ki) * kw) + kj0;
                        Weight(
                            co, Math.Min(5, kw - kj0), padded + ((nint)c * p.PlaneSize) + (ki * wp) + kj0, wp, dy + (co0 * yPlane), yPlane,
                            rowBegin, rowEnd, wo, lanes + ((((nint)co0 * taps) + tap) * 16), (nint)taps * 16);
                    }
                }
            }
        }
    }

    /// <summary>
    /// True when <paramref name="p"/> runs on the channel-vector kernels (16 output channels per vector, x broadcast): output
    /// channels a multiple of 16 and output rows that would leave at least a fifth of the row vectors' lanes idle.
    /// </summary>
    public static bool ChannelVectors(in DirectPlan p) =>
        p.Outputs % 16 == 0 && p.OutputWidth * 5 < 4 * 16 * ((p.OutputWidth + 15) / 16);

    /// <summary>Floats of the weight-gradient accumulator of one slot (see <see cref="AddWeightGradient"/>).</summary>
    public static int WeightAccumulatorSize(in DirectPlan p) => p.Taps * p.Outputs * (ChannelVectors(p) ? 1 : 16);

    /// <summary>
    /// y = bias + the convolution of one sample (see <see cref="ConvolveRows"/>);
    /// <paramref name="staging"/> (Outputs·Ho·Wo floats) holds the position-major result of the channel-vector kernels.
    /// <paramref name="taps"/>, when not null, gives per input channel c the kernel rows taps[2c] and columns taps[2c + 1]
    /// from the first that can be non-zero (the rest are zero weights): the row-vector kernels skip the others.
    /// </summary>
    public static void Convolve(in DirectPlan p, float* padded, float* w, float* bias, float* y, float* staging, byte* taps = null)
    {
        if (!ChannelVectors(p))
        {
            ConvolveRows(p, padded, w, bias, y, taps);
            return;
        }

        int ho = p.OutputHeight, wo = p.OutputWidth, kh = p.KernelHeight, kw = p.KernelWidth, wp = p.PaddedWidth, co = p.Outputs;
        var tiles = (wo + 11) / 12;
        var cols = (wo + tiles - 1) / tiles;
        var tileRows = Math.Min(3, 24 / cols);
        for (var co0 = 0; co0 < co; co0 += 16)
        {
            for (var oy0 = 0; oy0 < ho; oy0 += tileRows)
            {
                var rows = Math.Min(tileRows, ho - oy0);
                var kiStart = Math.Max(0, p.PadTop - (oy0 + rows - 1));
                var kiEnd = Math.Max(kiStart, Math.Min(kh, p.PadTop + p.Height - oy0));
                for (var ox0 = 0; ox0 < wo; ox0 += cols)
                {
                    Channel(
                        rows, Math.Min(cols, wo - ox0), padded + (oy0 * wp) + ox0, wp, p.PlaneSize, p.Channels, kh, kiStart, kiEnd, kw,
                        w + co0, co, bias == null ? null : bias + co0, staging + ((((nint)oy0 * wo) + ox0) * co) + co0, co, (nint)wo * co);
                }
            }
        }

        Transpose(staging, ho * wo, co, y);
    }

    /// <summary>
    /// Adds one sample's weight gradient into <paramref name="accumulator"/> (<see cref="WeightAccumulatorSize"/> floats, cleared
    /// per chunk and folded into the gradient by <see cref="FinishWeightGradient"/>): [tap][co] for the channel-vector kernels,
    /// else 16 partial sums per weight. <paramref name="staging"/> holds dy position-major for the channel-vector kernels.
    /// </summary>
    public static void AddWeightGradient(in DirectPlan p, float* padded, float* dy, float* accumulator, float* staging)
    {
        if (!ChannelVectors(p))
        {
            AddWeightGradientRows(p, padded, dy, accumulator);
            return;
        }

        int ho = p.OutputHeight, wo = p.OutputWidth, kh = p.KernelHeight, kw = p.KernelWidth, wp = p.PaddedWidth, co = p.Outputs;
        Transpose(dy, co, ho * wo, staging);
        for (var co0 = 0; co0 < co; co0 += 16)
        {
            for (var c = 0; c < p.Channels; c++)
            {
                for (var ki0 = 0; ki0 < kh; ki0 += 5)
                {
                    for (var kj0 = 0; kj0 < kw; kj0 += 5)
                    {
                        var tap = (((c * kh) + ki0) * kw) + kj0;
                        ChannelWeight(
                            Math.Min(5, kh - ki0), Math.Min(5, kw - kj0), padded + ((nint)c * p.PlaneSize) + (ki0 * wp) + kj0, wp,
                            staging + co0, co, ho, wo, accumulator + ((nint)tap * co) + co0, (nint)kw * co, co);
                    }
                }
            }
        }
    }

    /// <summary>gradient[co][tap] += the chunk's accumulated weight gradient (see <see cref="AddWeightGradient"/>).</summary>
    public static void FinishWeightGradient(in DirectPlan p, float* accumulator, float* gradient)
    {
        if (!ChannelVectors(p))
        {
            SumLanes(accumulator, p.Taps * p.Outputs, gradient);
            return;
        }

        int taps = p.Taps, co = p.Outputs;
        for (var o = 0; o < co; o++)
        {
            var g = gradient + ((nint)o * taps);
            for (var t = 0; t < taps; t++)
            {
                g[t] += accumulator[((nint)t * co) + o];
            }
        }
    }

    /// <summary>destination[c][r] = source[r][c] for a rows×columns source.</summary>
    private static void Transpose(float* source, int rows, int columns, float* destination)
    {
        for (var c = 0; c < columns; c++)
        {
            var d = destination + ((nint)c * rows);
            var s = source + c;
            for (var r = 0; r < rows; r++)
            {
                d[r] = s[(nint)r * columns];
            }
        }
    }

    /// <summary>target[i] += Σ lanes[i][0..16) for <paramref name="count"/> weights, 16 weights at a time by a transposing add tree.</summary>
    public static void SumLanes(float* lanes, int count, float* target)
    {
        var i = 0;
        for (; i + 16 <= count; i += 16)
        {
            var l = lanes + ((nint)i * 16);
            var u0 = Pair(l, 0);
            var u1 = Pair(l, 2);
            var u2 = Pair(l, 4);
            var u3 = Pair(l, 6);
            var u4 = Pair(l, 8);
            var u5 = Pair(l, 10);
            var u6 = Pair(l, 12);
            var u7 = Pair(l, 14);

            // Blocks of 4 partial sums: w[m] block b belongs to weight 4m + b.
            var w0 = Avx512F.Shuffle4x128(u0, u1, 0x88) + Avx512F.Shuffle4x128(u0, u1, 0xDD);
            var w1 = Avx512F.Shuffle4x128(u2, u3, 0x88) + Avx512F.Shuffle4x128(u2, u3, 0xDD);
            var w2 = Avx512F.Shuffle4x128(u4, u5, 0x88) + Avx512F.Shuffle4x128(u4, u5, 0xDD);
            var w3 = Avx512F.Shuffle4x128(u6, u7, 0x88) + Avx512F.Shuffle4x128(u6, u7, 0xDD);
            var x0 = Avx512F.UnpackLow(w0, w1) + Avx512F.UnpackHigh(w0, w1);
            var x1 = Avx512F.UnpackLow(w2, w3) + Avx512F.UnpackHigh(w2, w3);
            var r = Avx512F.UnpackLow(x0.AsDouble(), x1.AsDouble()).AsSingle() + Avx512F.UnpackHigh(x0.AsDouble(), x1.AsDouble()).AsSingle();

            // Lane 4b + j holds weight 4j + b.
            var sums = Avx512F.PermuteVar16x32(r, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
            Vector512.Store(Vector512.Load(target + i) + sums, target + i);
        }

        for (; i < count; i++)
        {
            target[i] += Vector512.Sum(Vector512.Load(lanes + ((nint)i * 16)));
        }
    }

    /// <summary>Weights k and k + 1 folded to 8 partial sums each: blocks [k, k, k + 1, k + 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(float* lanes, int k)
    {
        var a = Vector512.Load(lanes + (k * 16));
        var b = Vector512.Load(lanes + ((k + 1) * 16));
        return Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);
    }

    /// <summary>The first <paramref name="count"/> lanes set (all when count ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    private static void Forward(
        int co, int rows, float* x, nint rowStride, nint planeStride, int channels, int kh, int kiStart, int kiEnd, int kw,
        float* w, nint coStride, float* bias, float* y, nint yRowStride, nint yPlaneStride, Vector512<float> mask, byte* taps)
    {
        switch (co * 8 + rows)
        {
            case 9:
                ForwardTile<C1, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 10:
                ForwardTile<C1, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 11:
                ForwardTile<C1, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 12:
                ForwardTile<C1, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 17:
                ForwardTile<C2, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 18:
                ForwardTile<C2, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 19:
                ForwardTile<C2, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 20:
                ForwardTile<C2, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 25:
                ForwardTile<C3, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 26:
                ForwardTile<C3, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 27:
                ForwardTile<C3, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 28:
                ForwardTile<C3, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 33:
                ForwardTile<C4, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 34:
                ForwardTile<C4, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 35:
                ForwardTile<C4, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 36:
                ForwardTile<C4, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 41:
                ForwardTile<C5, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 42:
                ForwardTile<C5, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 43:
                ForwardTile<C5, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 44:
                ForwardTile<C5, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 49:
                ForwardTile<C6, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 50:
                ForwardTile<C6, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 51:
                ForwardTile<C6, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 52:
                ForwardTile<C6, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 57:
                ForwardTile<C7, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 58:
                ForwardTile<C7, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 59:
                ForwardTile<C7, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 60:
                ForwardTile<C7, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 65:
                ForwardTile<C8, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 66:
                ForwardTile<C8, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 67:
                ForwardTile<C8, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            case 68:
                ForwardTile<C8, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, y, yRowStride, yPlaneStride, mask, taps);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(co));
        }
    }

    private static void Weight(
        int co, int taps, float* x, nint rowStride, float* dy, nint dyPlaneStride, int rowBegin, int rowEnd, int wo, float* lanes, nint laneCoStride)
    {
        switch (co * 8 + taps)
        {
            case 9:
                WeightTile<C1, C1>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 10:
                WeightTile<C1, C2>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 11:
                WeightTile<C1, C3>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 12:
                WeightTile<C1, C4>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 13:
                WeightTile<C1, C5>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 17:
                WeightTile<C2, C1>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 18:
                WeightTile<C2, C2>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 19:
                WeightTile<C2, C3>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 20:
                WeightTile<C2, C4>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 21:
                WeightTile<C2, C5>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 25:
                WeightTile<C3, C1>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 26:
                WeightTile<C3, C2>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 27:
                WeightTile<C3, C3>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 28:
                WeightTile<C3, C4>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 29:
                WeightTile<C3, C5>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 33:
                WeightTile<C4, C1>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 34:
                WeightTile<C4, C2>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 35:
                WeightTile<C4, C3>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 36:
                WeightTile<C4, C4>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            case 37:
                WeightTile<C4, C5>(x, rowStride, dy, dyPlaneStride, rowBegin, rowEnd, wo, lanes, laneCoStride);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(co));
        }
    }

    /// <summary>
    /// One register tile of the forward kernel: <typeparamref name="TCo"/> output channels × <typeparamref name="TRows"/> output
    /// rows × 16 output columns. y[c, r, 0..16) = bias[c] + Σ over channels, kernel rows [kiStart, kiEnd) and kernel columns of
    /// w[(channel·kh + ki)·kw + kj][c] · x[channel, r + ki, kj..kj+16), stored under <paramref name="mask"/>; the kernel rows
    /// and columns of each channel end at <paramref name="taps"/>' (see <see cref="Convolve"/>) when it is not null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardTile<TCo, TRows>(
        float* x, nint rowStride, nint planeStride, int channels, int kh, int kiStart, int kiEnd, int kw,
        float* w, nint coStride, float* bias, float* y, nint yRowStride, nint yPlaneStride, Vector512<float> mask, byte* taps)
        where TCo : struct, IConstant
        where TRows : struct, IConstant
    {
        var co = TCo.Value;
        var rows = TRows.Value;
        var b0 = bias != null && co > 0 ? Vector512.Create(bias[0]) : Vector512<float>.Zero;
        var b1 = bias != null && co > 1 ? Vector512.Create(bias[1]) : Vector512<float>.Zero;
        var b2 = bias != null && co > 2 ? Vector512.Create(bias[2]) : Vector512<float>.Zero;
        var b3 = bias != null && co > 3 ? Vector512.Create(bias[3]) : Vector512<float>.Zero;
        var b4 = bias != null && co > 4 ? Vector512.Create(bias[4]) : Vector512<float>.Zero;
        var b5 = bias != null && co > 5 ? Vector512.Create(bias[5]) : Vector512<float>.Zero;
        var b6 = bias != null && co > 6 ? Vector512.Create(bias[6]) : Vector512<float>.Zero;
        var b7 = bias != null && co > 7 ? Vector512.Create(bias[7]) : Vector512<float>.Zero;
        Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a04 = b4, a05 = b5, a06 = b6, a07 = b7;
        Vector512<float> a10 = b0, a11 = b1, a12 = b2, a13 = b3, a14 = b4, a15 = b5, a16 = b6, a17 = b7;
        Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a24 = b4, a25 = b5, a26 = b6, a27 = b7;
        Vector512<float> a30 = b0, a31 = b1, a32 = b2, a33 = b3, a34 = b4, a35 = b5, a36 = b6, a37 = b7;
        var rs2 = rowStride * 2;
        var rs3 = rowStride * 3;
        for (var channel = 0; channel < channels; channel++)
        {
            int rowEnd = kiEnd, columns = kw;
            if (taps != null)
            {
                rowEnd = Math.Min(kiEnd, (int)taps[2 * channel]);
                columns = taps[(2 * channel) + 1];
            }

            for (var ki = kiStart; ki < rowEnd; ki++)
            {
                var xr = x + (channel * planeStride) + (ki * rowStride);
                var wr = w + ((((nint)channel * kh) + ki) * kw * coStride);
                for (var kj = 0; kj < columns; kj++, xr++, wr += coStride)
                {
                    var x0 = Vector512.Load(xr);
                    var x1 = rows > 1 ? Vector512.Load(xr + rowStride) : default;
                    var x2 = rows > 2 ? Vector512.Load(xr + rs2) : default;
                    var x3 = rows > 3 ? Vector512.Load(xr + rs3) : default;
                    Vector512<float> wv;
                    wv = Vector512.Create(wr[0]);
                    a00 = Avx512F.FusedMultiplyAdd(x0, wv, a00);
                    if (rows > 1)
                    {
                        a10 = Avx512F.FusedMultiplyAdd(x1, wv, a10);
                    }
                    if (rows > 2)
                    {
                        a20 = Avx512F.FusedMultiplyAdd(x2, wv, a20);
                    }
                    if (rows > 3)
                    {
                        a30 = Avx512F.FusedMultiplyAdd(x3, wv, a30);
                    }
                    if (co > 1)
                    {
                        wv = Vector512.Create(wr[1]);
                        a01 = Avx512F.FusedMultiplyAdd(x0, wv, a01);
                        if (rows > 1)
                        {
                            a11 = Avx512F.FusedMultiplyAdd(x1, wv, a11);
                        }
                        if (rows > 2)
                        {
                            a21 = Avx512F.FusedMultiplyAdd(x2, wv, a21);
                        }
                        if (rows > 3)
                        {
                            a31 = Avx512F.FusedMultiplyAdd(x3, wv, a31);
                        }
                    }
                    if (co > 2)
                    {
                        wv = Vector512.Create(wr[2]);
                        a02 = Avx512F.FusedMultiplyAdd(x0, wv, a02);
                        if (rows > 1)
                        {
                            a12 = Avx512F.FusedMultiplyAdd(x1, wv, a12);
                        }
                        if (rows > 2)
                        {
                            a22 = Avx512F.FusedMultiplyAdd(x2, wv, a22);
                        }
                        if (rows > 3)
                        {
                            a32 = Avx512F.FusedMultiplyAdd(x3, wv, a32);
                        }
                    }
                    if (co > 3)
                    {
                        wv = Vector512.Create(wr[3]);
                        a03 = Avx512F.FusedMultiplyAdd(x0, wv, a03);
                        if (rows > 1)
                        {
                            a13 = Avx512F.FusedMultiplyAdd(x1, wv, a13);
                        }
                        if (rows > 2)
                        {
                            a23 = Avx512F.FusedMultiplyAdd(x2, wv, a23);
                        }
                        if (rows > 3)
                        {
                            a33 = Avx512F.FusedMultiplyAdd(x3, wv, a33);
                        }
                    }
                    if (co > 4)
                    {
                        wv = Vector512.Create(wr[4]);
                        a04 = Avx512F.FusedMultiplyAdd(x0, wv, a04);
                        if (rows > 1)
                        {
                            a14 = Avx512F.FusedMultiplyAdd(x1, wv, a14);
                        }
                        if (rows > 2)
                        {
                            a24 = Avx512F.FusedMultiplyAdd(x2, wv, a24);
                        }
                        if (rows > 3)
                        {
                            a34 = Avx512F.FusedMultiplyAdd(x3, wv, a34);
                        }
                    }
                    if (co > 5)
                    {
                        wv = Vector512.Create(wr[5]);
                        a05 = Avx512F.FusedMultiplyAdd(x0, wv, a05);
                        if (rows > 1)
                        {
                            a15 = Avx512F.FusedMultiplyAdd(x1, wv, a15);
                        }
                        if (rows > 2)
                        {
                            a25 = Avx512F.FusedMultiplyAdd(x2, wv, a25);
                        }
                        if (rows > 3)
                        {
                            a35 = Avx512F.FusedMultiplyAdd(x3, wv, a35);
                        }
                    }
                    if (co > 6)
                    {
                        wv = Vector512.Create(wr[6]);
                        a06 = Avx512F.FusedMultiplyAdd(x0, wv, a06);
                        if (rows > 1)
                        {
                            a16 = Avx512F.FusedMultiplyAdd(x1, wv, a16);
                        }
                        if (rows > 2)
                        {
                            a26 = Avx512F.FusedMultiplyAdd(x2, wv, a26);
                        }
                        if (rows > 3)
                        {
                            a36 = Avx512F.FusedMultiplyAdd(x3, wv, a36);
                        }
                    }
                    if (co > 7)
                    {
                        wv = Vector512.Create(wr[7]);
                        a07 = Avx512F.FusedMultiplyAdd(x0, wv, a07);
                        if (rows > 1)
                        {
                            a17 = Avx512F.FusedMultiplyAdd(x1, wv, a17);
                        }
                        if (rows > 2)
                        {
                            a27 = Avx512F.FusedMultiplyAdd(x2, wv, a27);
                        }
                        if (rows > 3)
                        {
                            a37 = Avx512F.FusedMultiplyAdd(x3, wv, a37);
                        }
                    }
                }
            }
        }
        Avx512F.MaskStore(y + (0 * yPlaneStride) + (0 * yRowStride), mask, a00);
        if (rows > 1)
        {
            Avx512F.MaskStore(y + (0 * yPlaneStride) + (1 * yRowStride), mask, a10);
        }
        if (rows > 2)
        {
            Avx512F.MaskStore(y + (0 * yPlaneStride) + (2 * yRowStride), mask, a20);
        }
        if (rows > 3)
        {
            Avx512F.MaskStore(y + (0 * yPlaneStride) + (3 * yRowStride), mask, a30);
        }
        if (co > 1)
        {
            Avx512F.MaskStore(y + (1 * yPlaneStride) + (0 * yRowStride), mask, a01);
        }
        if (co > 1 && rows > 1)
        {
            Avx512F.MaskStore(y + (1 * yPlaneStride) + (1 * yRowStride), mask, a11);
        }
        if (co > 1 && rows > 2)
        {
            Avx512F.MaskStore(y + (1 * yPlaneStride) + (2 * yRowStride), mask, a21);
        }
        if (co > 1 && rows > 3)
        {
            Avx512F.MaskStore(y + (1 * yPlaneStride) + (3 * yRowStride), mask, a31);
        }
        if (co > 2)
        {
            Avx512F.MaskStore(y + (2 * yPlaneStride) + (0 * yRowStride), mask, a02);
        }
        if (co > 2 && rows > 1)
        {
            Avx512F.MaskStore(y + (2 * yPlaneStride) + (1 * yRowStride), mask, a12);
        }
        if (co > 2 && rows > 2)
        {
            Avx512F.MaskStore(y + (2 * yPlaneStride) + (2 * yRowStride), mask, a22);
        }
        if (co > 2 && rows > 3)
        {
            Avx512F.MaskStore(y + (2 * yPlaneStride) + (3 * yRowStride), mask, a32);
        }
        if (co > 3)
        {
            Avx512F.MaskStore(y + (3 * yPlaneStride) + (0 * yRowStride), mask, a03);
        }
        if (co > 3 && rows > 1)
        {
            Avx512F.MaskStore(y + (3 * yPlaneStride) + (1 * yRowStride), mask, a13);
        }
        if (co > 3 && rows > 2)
        {
            Avx512F.MaskStore(y + (3 * yPlaneStride) + (2 * yRowStride), mask, a23);
        }
        if (co > 3 && rows > 3)
        {
            Avx512F.MaskStore(y + (3 * yPlaneStride) + (3 * yRowStride), mask, a33);
        }
        if (co > 4)
        {
            Avx512F.MaskStore(y + (4 * yPlaneStride) + (0 * yRowStride), mask, a04);
        }
        if (co > 4 && rows > 1)
        {
            Avx512F.MaskStore(y + (4 * yPlaneStride) + (1 * yRowStride), mask, a14);
        }
        if (co > 4 && rows > 2)
        {
            Avx512F.MaskStore(y + (4 * yPlaneStride) + (2 * yRowStride), mask, a24);
        }
        if (co > 4 && rows > 3)
        {
            Avx512F.MaskStore(y + (4 * yPlaneStride) + (3 * yRowStride), mask, a34);
        }
        if (co > 5)
        {
            Avx512F.MaskStore(y + (5 * yPlaneStride) + (0 * yRowStride), mask, a05);
        }
        if (co > 5 && rows > 1)
        {
            Avx512F.MaskStore(y + (5 * yPlaneStride) + (1 * yRowStride), mask, a15);
        }
        if (co > 5 && rows > 2)
        {
            Avx512F.MaskStore(y + (5 * yPlaneStride) + (2 * yRowStride), mask, a25);
        }
        if (co > 5 && rows > 3)
        {
            Avx512F.MaskStore(y + (5 * yPlaneStride) + (3 * yRowStride), mask, a35);
        }
        if (co > 6)
        {
            Avx512F.MaskStore(y + (6 * yPlaneStride) + (0 * yRowStride), mask, a06);
        }
        if (co > 6 && rows > 1)
        {
            Avx512F.MaskStore(y + (6 * yPlaneStride) + (1 * yRowStride), mask, a16);
        }
        if (co > 6 && rows > 2)
        {
            Avx512F.MaskStore(y + (6 * yPlaneStride) + (2 * yRowStride), mask, a26);
        }
        if (co > 6 && rows > 3)
        {
            Avx512F.MaskStore(y + (6 * yPlaneStride) + (3 * yRowStride), mask, a36);
        }
        if (co > 7)
        {
            Avx512F.MaskStore(y + (7 * yPlaneStride) + (0 * yRowStride), mask, a07);
        }
        if (co > 7 && rows > 1)
        {
            Avx512F.MaskStore(y + (7 * yPlaneStride) + (1 * yRowStride), mask, a17);
        }
        if (co > 7 && rows > 2)
        {
            Avx512F.MaskStore(y + (7 * yPlaneStride) + (2 * yRowStride), mask, a27);
        }
        if (co > 7 && rows > 3)
        {
            Avx512F.MaskStore(y + (7 * yPlaneStride) + (3 * yRowStride), mask, a37);
        }
    }

    /// <summary>
    /// One register tile of the weight-gradient kernel: lanes[c][j] += Σ over output rows [rowBegin, rowEnd) and columns of
    /// dy[c, oy, ox] · x[oy, ox + j] for <typeparamref name="TCo"/> channels c and <typeparamref name="TKj"/> kernel columns j, kept
    /// as 16 partial sums per weight (summed once per chunk).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTile<TCo, TKj>(
        float* x, nint rowStride, float* dy, nint dyPlaneStride, int rowBegin, int rowEnd, int wo, float* lanes, nint laneCoStride)
        where TCo : struct, IConstant
        where TKj : struct, IConstant
    {
        var co = TCo.Value;
        var taps = TKj.Value;
        Vector512<float> a00 = Vector512<float>.Zero, a01 = Vector512<float>.Zero, a02 = Vector512<float>.Zero, a03 = Vector512<float>.Zero, a04 = Vector512<float>.Zero;
        Vector512<float> a10 = Vector512<float>.Zero, a11 = Vector512<float>.Zero, a12 = Vector512<float>.Zero, a13 = Vector512<float>.Zero, a14 = Vector512<float>.Zero;
        Vector512<float> a20 = Vector512<float>.Zero, a21 = Vector512<float>.Zero, a22 = Vector512<float>.Zero, a23 = Vector512<float>.Zero, a24 = Vector512<float>.Zero;
        Vector512<float> a30 = Vector512<float>.Zero, a31 = Vector512<float>.Zero, a32 = Vector512<float>.Zero, a33 = Vector512<float>.Zero, a34 = Vector512<float>.Zero;
        for (var oy = rowBegin; oy < rowEnd; oy++)
        {
            var xr = x + (oy * rowStride);
            var dr = dy + (oy * wo);
            for (var ox = 0; ox < wo; ox += 16)
            {
                var mask = Mask(wo - ox);
                var d0 = Avx512F.MaskLoad(dr + ox, mask, Vector512<float>.Zero);
                var d1 = co > 1 ? Avx512F.MaskLoad(dr + ox + (1 * dyPlaneStride), mask, Vector512<float>.Zero) : default;
                var d2 = co > 2 ? Avx512F.MaskLoad(dr + ox + (2 * dyPlaneStride), mask, Vector512<float>.Zero) : default;
                var d3 = co > 3 ? Avx512F.MaskLoad(dr + ox + (3 * dyPlaneStride), mask, Vector512<float>.Zero) : default;
                Vector512<float> xv;
                xv = Vector512.Load(xr + ox + 0);
                a00 = Avx512F.FusedMultiplyAdd(d0, xv, a00);
                if (co > 1)
                {
                    a10 = Avx512F.FusedMultiplyAdd(d1, xv, a10);
                }
                if (co > 2)
                {
                    a20 = Avx512F.FusedMultiplyAdd(d2, xv, a20);
                }
                if (co > 3)
                {
                    a30 = Avx512F.FusedMultiplyAdd(d3, xv, a30);
                }
                if (taps > 1)
                {
                    xv = Vector512.Load(xr + ox + 1);
                    a01 = Avx512F.FusedMultiplyAdd(d0, xv, a01);
                    if (co > 1)
                    {
                        a11 = Avx512F.FusedMultiplyAdd(d1, xv, a11);
                    }
                    if (co > 2)
                    {
                        a21 = Avx512F.FusedMultiplyAdd(d2, xv, a21);
                    }
                    if (co > 3)
                    {
                        a31 = Avx512F.FusedMultiplyAdd(d3, xv, a31);
                    }
                }
                if (taps > 2)
                {
                    xv = Vector512.Load(xr + ox + 2);
                    a02 = Avx512F.FusedMultiplyAdd(d0, xv, a02);
                    if (co > 1)
                    {
                        a12 = Avx512F.FusedMultiplyAdd(d1, xv, a12);
                    }
                    if (co > 2)
                    {
                        a22 = Avx512F.FusedMultiplyAdd(d2, xv, a22);
                    }
                    if (co > 3)
                    {
                        a32 = Avx512F.FusedMultiplyAdd(d3, xv, a32);
                    }
                }
                if (taps > 3)
                {
                    xv = Vector512.Load(xr + ox + 3);
                    a03 = Avx512F.FusedMultiplyAdd(d0, xv, a03);
                    if (co > 1)
                    {
                        a13 = Avx512F.FusedMultiplyAdd(d1, xv, a13);
                    }
                    if (co > 2)
                    {
                        a23 = Avx512F.FusedMultiplyAdd(d2, xv, a23);
                    }
                    if (co > 3)
                    {
                        a33 = Avx512F.FusedMultiplyAdd(d3, xv, a33);
                    }
                }
                if (taps > 4)
                {
                    xv = Vector512.Load(xr + ox + 4);
                    a04 = Avx512F.FusedMultiplyAdd(d0, xv, a04);
                    if (co > 1)
                    {
                        a14 = Avx512F.FusedMultiplyAdd(d1, xv, a14);
                    }
                    if (co > 2)
                    {
                        a24 = Avx512F.FusedMultiplyAdd(d2, xv, a24);
                    }
                    if (co > 3)
                    {
                        a34 = Avx512F.FusedMultiplyAdd(d3, xv, a34);
                    }
                }
            }
        }
        Vector512.Store(Vector512.Load(lanes + (0 * laneCoStride) + 0) + a00, lanes + (0 * laneCoStride) + 0);
        if (taps > 1)
        {
            Vector512.Store(Vector512.Load(lanes + (0 * laneCoStride) + 16) + a01, lanes + (0 * laneCoStride) + 16);
        }
        if (taps > 2)
        {
            Vector512.Store(Vector512.Load(lanes + (0 * laneCoStride) + 32) + a02, lanes + (0 * laneCoStride) + 32);
        }
        if (taps > 3)
        {
            Vector512.Store(Vector512.Load(lanes + (0 * laneCoStride) + 48) + a03, lanes + (0 * laneCoStride) + 48);
        }
        if (taps > 4)
        {
            Vector512.Store(Vector512.Load(lanes + (0 * laneCoStride) + 64) + a04, lanes + (0 * laneCoStride) + 64);
        }
        if (co > 1)
        {
            Vector512.Store(Vector512.Load(lanes + (1 * laneCoStride) + 0) + a10, lanes + (1 * laneCoStride) + 0);
        }
        if (co > 1 && taps > 1)
        {
            Vector512.Store(Vector512.Load(lanes + (1 * laneCoStride) + 16) + a11, lanes + (1 * laneCoStride) + 16);
        }
        if (co > 1 && taps > 2)
        {
            Vector512.Store(Vector512.Load(lanes + (1 * laneCoStride) + 32) + a12, lanes + (1 * laneCoStride) + 32);
        }
        if (co > 1 && taps > 3)
        {
            Vector512.Store(Vector512.Load(lanes + (1 * laneCoStride) + 48) + a13, lanes + (1 * laneCoStride) + 48);
        }
        if (co > 1 && taps > 4)
        {
            Vector512.Store(Vector512.Load(lanes + (1 * laneCoStride) + 64) + a14, lanes + (1 * laneCoStride) + 64);
        }
        if (co > 2)
        {
            Vector512.Store(Vector512.Load(lanes + (2 * laneCoStride) + 0) + a20, lanes + (2 * laneCoStride) + 0);
        }
        if (co > 2 && taps > 1)
        {
            Vector512.Store(Vector512.Load(lanes + (2 * laneCoStride) + 16) + a21, lanes + (2 * laneCoStride) + 16);
        }
        if (co > 2 && taps > 2)
        {
            Vector512.Store(Vector512.Load(lanes + (2 * laneCoStride) + 32) + a22, lanes + (2 * laneCoStride) + 32);
        }
        if (co > 2 && taps > 3)
        {
            Vector512.Store(Vector512.Load(lanes + (2 * laneCoStride) + 48) + a23, lanes + (2 * laneCoStride) + 48);
        }
        if (co > 2 && taps > 4)
        {
            Vector512.Store(Vector512.Load(lanes + (2 * laneCoStride) + 64) + a24, lanes + (2 * laneCoStride) + 64);
        }
        if (co > 3)
        {
            Vector512.Store(Vector512.Load(lanes + (3 * laneCoStride) + 0) + a30, lanes + (3 * laneCoStride) + 0);
        }
        if (co > 3 && taps > 1)
        {
            Vector512.Store(Vector512.Load(lanes + (3 * laneCoStride) + 16) + a31, lanes + (3 * laneCoStride) + 16);
        }
        if (co > 3 && taps > 2)
        {
            Vector512.Store(Vector512.Load(lanes + (3 * laneCoStride) + 32) + a32, lanes + (3 * laneCoStride) + 32);
        }
        if (co > 3 && taps > 3)
        {
            Vector512.Store(Vector512.Load(lanes + (3 * laneCoStride) + 48) + a33, lanes + (3 * laneCoStride) + 48);
        }
        if (co > 3 && taps > 4)
        {
            Vector512.Store(Vector512.Load(lanes + (3 * laneCoStride) + 64) + a34, lanes + (3 * laneCoStride) + 64);
        }
    }

    /// <summary>
    /// One register tile of the channel-vector forward kernel: 16 output channels (one vector) × <typeparamref name="TRows"/> rows ×
    /// <typeparamref name="TCols"/> columns of output positions, x broadcast, w[tap][co..co+16) loaded; stored position-major into
    /// <paramref name="yT"/> (stride <paramref name="yStride"/> between positions, <paramref name="yRowStride"/> between rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChannelTile<TRows, TCols>(
        float* x, nint rowStride, nint planeStride, int channels, int kh, int kiStart, int kiEnd, int kw,
        float* w, nint coStride, float* bias, float* yT, nint yStride, nint yRowStride)
        where TRows : struct, IConstant
        where TCols : struct, IConstant
    {
        var rows = TRows.Value;
        var cols = TCols.Value;
        var b = bias != null ? Vector512.Load(bias) : Vector512<float>.Zero;
        Vector512<float> a0_0 = b, a0_1 = b, a0_2 = b, a0_3 = b, a0_4 = b, a0_5 = b, a0_6 = b, a0_7 = b, a0_8 = b, a0_9 = b, a0_10 = b, a0_11 = b;
        Vector512<float> a1_0 = b, a1_1 = b, a1_2 = b, a1_3 = b, a1_4 = b, a1_5 = b, a1_6 = b, a1_7 = b, a1_8 = b, a1_9 = b, a1_10 = b, a1_11 = b;
        Vector512<float> a2_0 = b, a2_1 = b, a2_2 = b, a2_3 = b, a2_4 = b, a2_5 = b, a2_6 = b, a2_7 = b, a2_8 = b, a2_9 = b, a2_10 = b, a2_11 = b;
        for (var channel = 0; channel < channels; channel++)
        {
            for (var ki = kiStart; ki < kiEnd; ki++)
            {
                var x0 = x + (channel * planeStride) + (ki * rowStride);
                var x1 = x0 + rowStride;
                var x2 = x1 + rowStride;
                var wr = w + ((((nint)channel * kh) + ki) * kw * coStride);
                for (var kj = 0; kj < kw; kj++, x0++, x1++, x2++, wr += coStride)
                {
                    var wv = Vector512.Load(wr);
                    a0_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[0]), wv, a0_0);
                    if (cols > 1)
                    {
                        a0_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[1]), wv, a0_1);
                    }
                    if (cols > 2)
                    {
                        a0_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[2]), wv, a0_2);
                    }
                    if (cols > 3)
                    {
                        a0_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[3]), wv, a0_3);
                    }
                    if (cols > 4)
                    {
                        a0_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[4]), wv, a0_4);
                    }
                    if (cols > 5)
                    {
                        a0_5 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[5]), wv, a0_5);
                    }
                    if (cols > 6)
                    {
                        a0_6 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[6]), wv, a0_6);
                    }
                    if (cols > 7)
                    {
                        a0_7 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[7]), wv, a0_7);
                    }
                    if (cols > 8)
                    {
                        a0_8 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[8]), wv, a0_8);
                    }
                    if (cols > 9)
                    {
                        a0_9 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[9]), wv, a0_9);
                    }
                    if (cols > 10)
                    {
                        a0_10 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[10]), wv, a0_10);
                    }
                    if (cols > 11)
                    {
                        a0_11 = Avx512F.FusedMultiplyAdd(Vector512.Create(x0[11]), wv, a0_11);
                    }
                    if (rows > 1)
                    {
                        a1_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[0]), wv, a1_0);
                        if (cols > 1)
                        {
                            a1_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[1]), wv, a1_1);
                        }
                        if (cols > 2)
                        {
                            a1_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[2]), wv, a1_2);
                        }
                        if (cols > 3)
                        {
                            a1_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[3]), wv, a1_3);
                        }
                        if (cols > 4)
                        {
                            a1_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[4]), wv, a1_4);
                        }
                        if (cols > 5)
                        {
                            a1_5 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[5]), wv, a1_5);
                        }
                        if (cols > 6)
                        {
                            a1_6 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[6]), wv, a1_6);
                        }
                        if (cols > 7)
                        {
                            a1_7 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[7]), wv, a1_7);
                        }
                        if (cols > 8)
                        {
                            a1_8 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[8]), wv, a1_8);
                        }
                        if (cols > 9)
                        {
                            a1_9 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[9]), wv, a1_9);
                        }
                        if (cols > 10)
                        {
                            a1_10 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[10]), wv, a1_10);
                        }
                        if (cols > 11)
                        {
                            a1_11 = Avx512F.FusedMultiplyAdd(Vector512.Create(x1[11]), wv, a1_11);
                        }
                    }
                    if (rows > 2)
                    {
                        a2_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[0]), wv, a2_0);
                        if (cols > 1)
                        {
                            a2_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[1]), wv, a2_1);
                        }
                        if (cols > 2)
                        {
                            a2_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[2]), wv, a2_2);
                        }
                        if (cols > 3)
                        {
                            a2_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[3]), wv, a2_3);
                        }
                        if (cols > 4)
                        {
                            a2_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[4]), wv, a2_4);
                        }
                        if (cols > 5)
                        {
                            a2_5 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[5]), wv, a2_5);
                        }
                        if (cols > 6)
                        {
                            a2_6 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[6]), wv, a2_6);
                        }
                        if (cols > 7)
                        {
                            a2_7 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[7]), wv, a2_7);
                        }
                        if (cols > 8)
                        {
                            a2_8 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[8]), wv, a2_8);
                        }
                        if (cols > 9)
                        {
                            a2_9 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[9]), wv, a2_9);
                        }
                        if (cols > 10)
                        {
                            a2_10 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[10]), wv, a2_10);
                        }
                        if (cols > 11)
                        {
                            a2_11 = Avx512F.FusedMultiplyAdd(Vector512.Create(x2[11]), wv, a2_11);
                        }
                    }
                }
            }
        }
        Vector512.Store(a0_0, yT + (0 * yRowStride) + (0 * yStride));
        if (cols > 1)
        {
            Vector512.Store(a0_1, yT + (0 * yRowStride) + (1 * yStride));
        }
        if (cols > 2)
        {
            Vector512.Store(a0_2, yT + (0 * yRowStride) + (2 * yStride));
        }
        if (cols > 3)
        {
            Vector512.Store(a0_3, yT + (0 * yRowStride) + (3 * yStride));
        }
        if (cols > 4)
        {
            Vector512.Store(a0_4, yT + (0 * yRowStride) + (4 * yStride));
        }
        if (cols > 5)
        {
            Vector512.Store(a0_5, yT + (0 * yRowStride) + (5 * yStride));
        }
        if (cols > 6)
        {
            Vector512.Store(a0_6, yT + (0 * yRowStride) + (6 * yStride));
        }
        if (cols > 7)
        {
            Vector512.Store(a0_7, yT + (0 * yRowStride) + (7 * yStride));
        }
        if (cols > 8)
        {
            Vector512.Store(a0_8, yT + (0 * yRowStride) + (8 * yStride));
        }
        if (cols > 9)
        {
            Vector512.Store(a0_9, yT + (0 * yRowStride) + (9 * yStride));
        }
        if (cols > 10)
        {
            Vector512.Store(a0_10, yT + (0 * yRowStride) + (10 * yStride));
        }
        if (cols > 11)
        {
            Vector512.Store(a0_11, yT + (0 * yRowStride) + (11 * yStride));
        }
        if (rows > 1)
        {
            Vector512.Store(a1_0, yT + (1 * yRowStride) + (0 * yStride));
        }
        if (rows > 1 && cols > 1)
        {
            Vector512.Store(a1_1, yT + (1 * yRowStride) + (1 * yStride));
        }
        if (rows > 1 && cols > 2)
        {
            Vector512.Store(a1_2, yT + (1 * yRowStride) + (2 * yStride));
        }
        if (rows > 1 && cols > 3)
        {
            Vector512.Store(a1_3, yT + (1 * yRowStride) + (3 * yStride));
        }
        if (rows > 1 && cols > 4)
        {
            Vector512.Store(a1_4, yT + (1 * yRowStride) + (4 * yStride));
        }
        if (rows > 1 && cols > 5)
        {
            Vector512.Store(a1_5, yT + (1 * yRowStride) + (5 * yStride));
        }
        if (rows > 1 && cols > 6)
        {
            Vector512.Store(a1_6, yT + (1 * yRowStride) + (6 * yStride));
        }
        if (rows > 1 && cols > 7)
        {
            Vector512.Store(a1_7, yT + (1 * yRowStride) + (7 * yStride));
        }
        if (rows > 1 && cols > 8)
        {
            Vector512.Store(a1_8, yT + (1 * yRowStride) + (8 * yStride));
        }
        if (rows > 1 && cols > 9)
        {
            Vector512.Store(a1_9, yT + (1 * yRowStride) + (9 * yStride));
        }
        if (rows > 1 && cols > 10)
        {
            Vector512.Store(a1_10, yT + (1 * yRowStride) + (10 * yStride));
        }
        if (rows > 1 && cols > 11)
        {
            Vector512.Store(a1_11, yT + (1 * yRowStride) + (11 * yStride));
        }
        if (rows > 2)
        {
            Vector512.Store(a2_0, yT + (2 * yRowStride) + (0 * yStride));
        }
        if (rows > 2 && cols > 1)
        {
            Vector512.Store(a2_1, yT + (2 * yRowStride) + (1 * yStride));
        }
        if (rows > 2 && cols > 2)
        {
            Vector512.Store(a2_2, yT + (2 * yRowStride) + (2 * yStride));
        }
        if (rows > 2 && cols > 3)
        {
            Vector512.Store(a2_3, yT + (2 * yRowStride) + (3 * yStride));
        }
        if (rows > 2 && cols > 4)
        {
            Vector512.Store(a2_4, yT + (2 * yRowStride) + (4 * yStride));
        }
        if (rows > 2 && cols > 5)
        {
            Vector512.Store(a2_5, yT + (2 * yRowStride) + (5 * yStride));
        }
        if (rows > 2 && cols > 6)
        {
            Vector512.Store(a2_6, yT + (2 * yRowStride) + (6 * yStride));
        }
        if (rows > 2 && cols > 7)
        {
            Vector512.Store(a2_7, yT + (2 * yRowStride) + (7 * yStride));
        }
        if (rows > 2 && cols > 8)
        {
            Vector512.Store(a2_8, yT + (2 * yRowStride) + (8 * yStride));
        }
        if (rows > 2 && cols > 9)
        {
            Vector512.Store(a2_9, yT + (2 * yRowStride) + (9 * yStride));
        }
        if (rows > 2 && cols > 10)
        {
            Vector512.Store(a2_10, yT + (2 * yRowStride) + (10 * yStride));
        }
        if (rows > 2 && cols > 11)
        {
            Vector512.Store(a2_11, yT + (2 * yRowStride) + (11 * yStride));
        }
    }

    /// <summary>
    /// One register tile of the channel-vector weight-gradient kernel: for <typeparamref name="TKh"/>×<typeparamref name="TKw"/> taps,
    /// dWT[tap][co..co+16) += Σ over output positions of x(position + tap) · dyT[position][co..co+16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChannelWeightTile<TKh, TKw>(
        float* x, nint rowStride, float* dyT, nint dyStride, int rows, int wo, float* dwT, nint tapRowStride, nint tapStride)
        where TKh : struct, IConstant
        where TKw : struct, IConstant
    {
        var kh = TKh.Value;
        var kw = TKw.Value;
        Vector512<float> a0_0 = Vector512<float>.Zero, a0_1 = Vector512<float>.Zero, a0_2 = Vector512<float>.Zero, a0_3 = Vector512<float>.Zero, a0_4 = Vector512<float>.Zero;
        Vector512<float> a1_0 = Vector512<float>.Zero, a1_1 = Vector512<float>.Zero, a1_2 = Vector512<float>.Zero, a1_3 = Vector512<float>.Zero, a1_4 = Vector512<float>.Zero;
        Vector512<float> a2_0 = Vector512<float>.Zero, a2_1 = Vector512<float>.Zero, a2_2 = Vector512<float>.Zero, a2_3 = Vector512<float>.Zero, a2_4 = Vector512<float>.Zero;
        Vector512<float> a3_0 = Vector512<float>.Zero, a3_1 = Vector512<float>.Zero, a3_2 = Vector512<float>.Zero, a3_3 = Vector512<float>.Zero, a3_4 = Vector512<float>.Zero;
        Vector512<float> a4_0 = Vector512<float>.Zero, a4_1 = Vector512<float>.Zero, a4_2 = Vector512<float>.Zero, a4_3 = Vector512<float>.Zero, a4_4 = Vector512<float>.Zero;
        var rs2 = rowStride * 2;
        var rs3 = rowStride * 3;
        var rs4 = rowStride * 4;
        for (var oy = 0; oy < rows; oy++)
        {
            var xr = x + (oy * rowStride);
            var dr = dyT + (oy * wo * dyStride);
            for (var ox = 0; ox < wo; ox++, xr++, dr += dyStride)
            {
                var d = Vector512.Load(dr);
                a0_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[0]), d, a0_0);
                if (kw > 1)
                {
                    a0_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[1]), d, a0_1);
                }
                if (kw > 2)
                {
                    a0_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[2]), d, a0_2);
                }
                if (kw > 3)
                {
                    a0_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[3]), d, a0_3);
                }
                if (kw > 4)
                {
                    a0_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[4]), d, a0_4);
                }
                if (kh > 1)
                {
                    a1_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[0 + rowStride]), d, a1_0);
                    if (kw > 1)
                    {
                        a1_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[1 + rowStride]), d, a1_1);
                    }
                    if (kw > 2)
                    {
                        a1_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[2 + rowStride]), d, a1_2);
                    }
                    if (kw > 3)
                    {
                        a1_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[3 + rowStride]), d, a1_3);
                    }
                    if (kw > 4)
                    {
                        a1_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[4 + rowStride]), d, a1_4);
                    }
                }
                if (kh > 2)
                {
                    a2_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[0 + rs2]), d, a2_0);
                    if (kw > 1)
                    {
                        a2_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[1 + rs2]), d, a2_1);
                    }
                    if (kw > 2)
                    {
                        a2_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[2 + rs2]), d, a2_2);
                    }
                    if (kw > 3)
                    {
                        a2_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[3 + rs2]), d, a2_3);
                    }
                    if (kw > 4)
                    {
                        a2_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[4 + rs2]), d, a2_4);
                    }
                }
                if (kh > 3)
                {
                    a3_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[0 + rs3]), d, a3_0);
                    if (kw > 1)
                    {
                        a3_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[1 + rs3]), d, a3_1);
                    }
                    if (kw > 2)
                    {
                        a3_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[2 + rs3]), d, a3_2);
                    }
                    if (kw > 3)
                    {
                        a3_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[3 + rs3]), d, a3_3);
                    }
                    if (kw > 4)
                    {
                        a3_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[4 + rs3]), d, a3_4);
                    }
                }
                if (kh > 4)
                {
                    a4_0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[0 + rs4]), d, a4_0);
                    if (kw > 1)
                    {
                        a4_1 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[1 + rs4]), d, a4_1);
                    }
                    if (kw > 2)
                    {
                        a4_2 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[2 + rs4]), d, a4_2);
                    }
                    if (kw > 3)
                    {
                        a4_3 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[3 + rs4]), d, a4_3);
                    }
                    if (kw > 4)
                    {
                        a4_4 = Avx512F.FusedMultiplyAdd(Vector512.Create(xr[4 + rs4]), d, a4_4);
                    }
                }
            }
        }
        Vector512.Store(Vector512.Load(dwT + (0 * tapRowStride) + (0 * tapStride)) + a0_0, dwT + (0 * tapRowStride) + (0 * tapStride));
        if (kw > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (0 * tapRowStride) + (1 * tapStride)) + a0_1, dwT + (0 * tapRowStride) + (1 * tapStride));
        }
        if (kw > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (0 * tapRowStride) + (2 * tapStride)) + a0_2, dwT + (0 * tapRowStride) + (2 * tapStride));
        }
        if (kw > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (0 * tapRowStride) + (3 * tapStride)) + a0_3, dwT + (0 * tapRowStride) + (3 * tapStride));
        }
        if (kw > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (0 * tapRowStride) + (4 * tapStride)) + a0_4, dwT + (0 * tapRowStride) + (4 * tapStride));
        }
        if (kh > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (1 * tapRowStride) + (0 * tapStride)) + a1_0, dwT + (1 * tapRowStride) + (0 * tapStride));
        }
        if (kh > 1 && kw > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (1 * tapRowStride) + (1 * tapStride)) + a1_1, dwT + (1 * tapRowStride) + (1 * tapStride));
        }
        if (kh > 1 && kw > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (1 * tapRowStride) + (2 * tapStride)) + a1_2, dwT + (1 * tapRowStride) + (2 * tapStride));
        }
        if (kh > 1 && kw > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (1 * tapRowStride) + (3 * tapStride)) + a1_3, dwT + (1 * tapRowStride) + (3 * tapStride));
        }
        if (kh > 1 && kw > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (1 * tapRowStride) + (4 * tapStride)) + a1_4, dwT + (1 * tapRowStride) + (4 * tapStride));
        }
        if (kh > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (2 * tapRowStride) + (0 * tapStride)) + a2_0, dwT + (2 * tapRowStride) + (0 * tapStride));
        }
        if (kh > 2 && kw > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (2 * tapRowStride) + (1 * tapStride)) + a2_1, dwT + (2 * tapRowStride) + (1 * tapStride));
        }
        if (kh > 2 && kw > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (2 * tapRowStride) + (2 * tapStride)) + a2_2, dwT + (2 * tapRowStride) + (2 * tapStride));
        }
        if (kh > 2 && kw > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (2 * tapRowStride) + (3 * tapStride)) + a2_3, dwT + (2 * tapRowStride) + (3 * tapStride));
        }
        if (kh > 2 && kw > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (2 * tapRowStride) + (4 * tapStride)) + a2_4, dwT + (2 * tapRowStride) + (4 * tapStride));
        }
        if (kh > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (3 * tapRowStride) + (0 * tapStride)) + a3_0, dwT + (3 * tapRowStride) + (0 * tapStride));
        }
        if (kh > 3 && kw > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (3 * tapRowStride) + (1 * tapStride)) + a3_1, dwT + (3 * tapRowStride) + (1 * tapStride));
        }
        if (kh > 3 && kw > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (3 * tapRowStride) + (2 * tapStride)) + a3_2, dwT + (3 * tapRowStride) + (2 * tapStride));
        }
        if (kh > 3 && kw > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (3 * tapRowStride) + (3 * tapStride)) + a3_3, dwT + (3 * tapRowStride) + (3 * tapStride));
        }
        if (kh > 3 && kw > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (3 * tapRowStride) + (4 * tapStride)) + a3_4, dwT + (3 * tapRowStride) + (4 * tapStride));
        }
        if (kh > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (4 * tapRowStride) + (0 * tapStride)) + a4_0, dwT + (4 * tapRowStride) + (0 * tapStride));
        }
        if (kh > 4 && kw > 1)
        {
            Vector512.Store(Vector512.Load(dwT + (4 * tapRowStride) + (1 * tapStride)) + a4_1, dwT + (4 * tapRowStride) + (1 * tapStride));
        }
        if (kh > 4 && kw > 2)
        {
            Vector512.Store(Vector512.Load(dwT + (4 * tapRowStride) + (2 * tapStride)) + a4_2, dwT + (4 * tapRowStride) + (2 * tapStride));
        }
        if (kh > 4 && kw > 3)
        {
            Vector512.Store(Vector512.Load(dwT + (4 * tapRowStride) + (3 * tapStride)) + a4_3, dwT + (4 * tapRowStride) + (3 * tapStride));
        }
        if (kh > 4 && kw > 4)
        {
            Vector512.Store(Vector512.Load(dwT + (4 * tapRowStride) + (4 * tapStride)) + a4_4, dwT + (4 * tapRowStride) + (4 * tapStride));
        }
    }

    private static void Channel(
        int rows, int cols, float* x, nint rowStride, nint planeStride, int channels, int kh, int kiStart, int kiEnd, int kw,
        float* w, nint coStride, float* bias, float* yT, nint yStride, nint yRowStride)
    {
        switch ((rows * 16) + cols)
        {
            case 17:
                ChannelTile<C1, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 18:
                ChannelTile<C1, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 19:
                ChannelTile<C1, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 20:
                ChannelTile<C1, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 21:
                ChannelTile<C1, C5>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 22:
                ChannelTile<C1, C6>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 23:
                ChannelTile<C1, C7>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 24:
                ChannelTile<C1, C8>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 25:
                ChannelTile<C1, C9>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 26:
                ChannelTile<C1, C10>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 27:
                ChannelTile<C1, C11>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 28:
                ChannelTile<C1, C12>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 33:
                ChannelTile<C2, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 34:
                ChannelTile<C2, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 35:
                ChannelTile<C2, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 36:
                ChannelTile<C2, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 37:
                ChannelTile<C2, C5>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 38:
                ChannelTile<C2, C6>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 39:
                ChannelTile<C2, C7>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 40:
                ChannelTile<C2, C8>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 41:
                ChannelTile<C2, C9>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 42:
                ChannelTile<C2, C10>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 43:
                ChannelTile<C2, C11>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 44:
                ChannelTile<C2, C12>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 49:
                ChannelTile<C3, C1>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 50:
                ChannelTile<C3, C2>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 51:
                ChannelTile<C3, C3>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 52:
                ChannelTile<C3, C4>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 53:
                ChannelTile<C3, C5>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 54:
                ChannelTile<C3, C6>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 55:
                ChannelTile<C3, C7>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            case 56:
                ChannelTile<C3, C8>(x, rowStride, planeStride, channels, kh, kiStart, kiEnd, kw, w, coStride, bias, yT, yStride, yRowStride);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    private static void ChannelWeight(
        int kh, int kw, float* x, nint rowStride, float* dyT, nint dyStride, int rows, int wo, float* dwT, nint tapRowStride, nint tapStride)
    {
        switch ((kh * 8) + kw)
        {
            case 9:
                ChannelWeightTile<C1, C1>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 10:
                ChannelWeightTile<C1, C2>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 11:
                ChannelWeightTile<C1, C3>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 12:
                ChannelWeightTile<C1, C4>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 13:
                ChannelWeightTile<C1, C5>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 17:
                ChannelWeightTile<C2, C1>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 18:
                ChannelWeightTile<C2, C2>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 19:
                ChannelWeightTile<C2, C3>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 20:
                ChannelWeightTile<C2, C4>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 21:
                ChannelWeightTile<C2, C5>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 25:
                ChannelWeightTile<C3, C1>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 26:
                ChannelWeightTile<C3, C2>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 27:
                ChannelWeightTile<C3, C3>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 28:
                ChannelWeightTile<C3, C4>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 29:
                ChannelWeightTile<C3, C5>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 33:
                ChannelWeightTile<C4, C1>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 34:
                ChannelWeightTile<C4, C2>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 35:
                ChannelWeightTile<C4, C3>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 36:
                ChannelWeightTile<C4, C4>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 37:
                ChannelWeightTile<C4, C5>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 41:
                ChannelWeightTile<C5, C1>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 42:
                ChannelWeightTile<C5, C2>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 43:
                ChannelWeightTile<C5, C3>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 44:
                ChannelWeightTile<C5, C4>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            case 45:
                ChannelWeightTile<C5, C5>(x, rowStride, dyT, dyStride, rows, wo, dwT, tapRowStride, tapStride);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kh));
        }
    }

    /// <summary>A compile-time integer for the tile sizes of the generic kernels (the JIT specialises per struct type).</summary>
    private interface IConstant
    {
        static abstract int Value { get; }
    }

    private struct C1 : IConstant
    {
        public static int Value => 1;
    }

    private struct C2 : IConstant
    {
        public static int Value => 2;
    }

    private struct C3 : IConstant
    {
        public static int Value => 3;
    }

    private struct C4 : IConstant
    {
        public static int Value => 4;
    }

    private struct C5 : IConstant
    {
        public static int Value => 5;
    }

    private struct C6 : IConstant
    {
        public static int Value => 6;
    }

    private struct C7 : IConstant
    {
        public static int Value => 7;
    }

    private struct C8 : IConstant
    {
        public static int Value => 8;
    }

    private struct C9 : IConstant
    {
        public static int Value => 9;
    }

    private struct C10 : IConstant
    {
        public static int Value => 10;
    }

    private struct C11 : IConstant
    {
        public static int Value => 11;
    }

    private struct C12 : IConstant
    {
        public static int Value => 12;
    }
}
