using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Layers;

/// <summary>
/// im2col and its adjoint col2im for one sample. The column matrix has one row per (channel, ki, kj) —
/// row (c·kh + ki)·kw + kj — and one column per output position (oy·Wo + ox); entry = image[c, oy·sh − padTop + ki·dh,
/// ox·sw − padLeft + kj·dw], or 0 in the padding. The rows of a group of channels are contiguous, so group g's
/// column matrix starts at row g·(C/groups)·kh·kw.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Fills <paramref name="columns"/> (C·kh·kw × Ho·Wo) from <paramref name="image"/> (C×H×W).</summary>
    public static void Lower(in ConvolutionGeometry g, float* image, float* columns) => Lower(g, image, columns, g.Positions);

    /// <summary>
    /// Fills the C·kh·kw × Ho·Wo block of a wider column matrix whose rows are <paramref name="rowStride"/> values apart
    /// (the batch-folded layout: the samples of a block side by side).
    /// </summary>
    public static void Lower(in ConvolutionGeometry g, float* image, float* columns, int rowStride) =>
        Lower(g, image, columns, rowStride, 0, g.OutputHeight);

    /// <summary>
    /// Fills the columns of output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) only: a C·kh·kw ×
    /// (endRow − firstRow)·Wo matrix whose rows are <paramref name="rowStride"/> values apart (a band of the column matrix).
    /// </summary>
    public static void Lower(in ConvolutionGeometry g, float* image, float* columns, int rowStride, int firstRow, int endRow)
    {
        if (Avx2.IsSupported && firstRow == 0 && endRow == g.OutputHeight && g.Positions <= SmallOutput)
        {
            LowerSmall(g, image, columns, rowStride);
            return;
        }

        var wo = g.OutputWidth;
        var positions = rowStride;
        var row = 0;
        for (var c = 0; c < g.ImageChannels; c++)
        {
            var plane = image + ((long)c * g.ImageHeight * g.ImageWidth);
            for (var ki = 0; ki < g.KernelHeight; ki++)
            {
                for (var kj = 0; kj < g.KernelWidth; kj++, row++)
                {
                    var destination = columns + ((long)row * positions);
                    var x0 = (kj * g.DilationWidth) - g.PadLeft;
                    var (start, end) = ValidRange(x0, g.StrideWidth, g.ImageWidth, wo);
                    for (var oy = firstRow; oy < endRow; oy++)
                    {
                        var d = destination + ((oy - firstRow) * wo);
                        var iy = (oy * g.StrideHeight) - g.PadTop + (ki * g.DilationHeight);
                        if ((uint)iy >= (uint)g.ImageHeight || end <= start)
                        {
                            Unsafe.InitBlockUnaligned(d, 0, (uint)wo * sizeof(float));
                            continue;
                        }

                        if (start > 0)
                        {
                            Unsafe.InitBlockUnaligned(d, 0, (uint)start * sizeof(float));
                        }

                        if (end < wo)
                        {
                            Unsafe.InitBlockUnaligned(d + end, 0, (uint)(wo - end) * sizeof(float));
                        }

                        var s = plane + (iy * g.ImageWidth) + x0;
                        if (g.StrideWidth == 1)
                        {
                            CopyRun(d + start, s + start, end - start);
                        }
                        else if (g.StrideWidth == 2 && Avx512F.IsSupported)
                        {
                            CopyEven(d + start, s + (2 * start), end - start);
                        }
                        else
                        {
                            for (var ox = start; ox < end; ox++)
                            {
                                d[ox] = s[ox * g.StrideWidth];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// destination[i] = source[2i] for i &lt; <paramref name="count"/> (a stride-2 row): two vectors of the source a vector of
    /// the destination, their even lanes taken by one permute; the last vector's loads and store masked, so that nothing
    /// past source[2·count − 2] is read and nothing past the run written.
    /// </summary>
    private static void CopyEven(float* destination, float* source, int count)
    {
        var i = 0;
        for (; i + 16 < count; i += 16)
        {
            Avx512F.PermuteVar16x32x2(Vector512.Load(source + (2 * i)), EvenLanes, Vector512.Load(source + (2 * i) + 16)).Store(destination + i);
        }

        if (i < count)
        {
            var lanes = Vector512<int>.Indices;
            var read = (2 * (count - i)) - 1;
            var low = Avx512F.MaskLoad(source + (2 * i), Vector512.LessThan(lanes, Vector512.Create(read)).AsSingle(), Vector512<float>.Zero);
            var high = Avx512F.MaskLoad(source + (2 * i) + 16, Vector512.LessThan(lanes, Vector512.Create(read - 16)).AsSingle(), Vector512<float>.Zero);
            Avx512F.MaskStore(destination + i, Vector512.LessThan(lanes, Vector512.Create(count - i)).AsSingle(), Avx512F.PermuteVar16x32x2(low, EvenLanes, high));
        }
    }

    /// <summary>Lane l takes lane 2l of the pair of vectors (the even lanes of the first, then of the second).</summary>
    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    /// <summary>The most output positions lowered by gathers (<see cref="LowerSmall"/>): two 8-lane gathers a row.</summary>
    internal const int SmallOutput = 16;

    /// <summary>
    /// im2col of an output of at most <see cref="SmallOutput"/> positions (a ResNet's strided convolutions and projections
    /// at 32×32: 4×4, 2×2, 1×1 outputs), where the row-by-row copies are runs of one to four values: each kernel tap's
    /// image offsets for every output position are computed once, and each row (channel, tap) is then one or two masked
    /// gathers from the channel's plane, zeros where the tap falls in the padding.
    /// </summary>
    private static void LowerSmall(in ConvolutionGeometry g, float* image, float* columns, int rowStride)
    {
        var positions = g.Positions;
        var taps = g.KernelHeight * g.KernelWidth;
        var plane = (long)g.ImageHeight * g.ImageWidth;
        var offsets = stackalloc int[SmallOutput];
        var lanes = Vector256<int>.Indices;
        var lowCount = Vector256.Create(Math.Min(positions, 8));
        var highCount = Vector256.Create(Math.Max(positions - 8, 0));
        for (var ki = 0; ki < g.KernelHeight; ki++)
        {
            for (var kj = 0; kj < g.KernelWidth; kj++)
            {
                // offsets[p]: the image position tap (ki, kj) reads for output position p, −1 in the padding.
                for (var p = 0; p < SmallOutput; p++)
                {
                    var oy = p / g.OutputWidth;
                    var ox = p - (oy * g.OutputWidth);
                    var iy = (oy * g.StrideHeight) - g.PadTop + (ki * g.DilationHeight);
                    var ix = (ox * g.StrideWidth) - g.PadLeft + (kj * g.DilationWidth);
                    offsets[p] = p < positions && (uint)iy < (uint)g.ImageHeight && (uint)ix < (uint)g.ImageWidth ? (iy * g.ImageWidth) + ix : -1;
                }

                var low = Vector256.Load(offsets);
                var high = Vector256.Load(offsets + 8);
                var lowTaken = Vector256.GreaterThan(low, Vector256.Create(-1)).AsSingle();
                var highTaken = Vector256.GreaterThan(high, Vector256.Create(-1)).AsSingle();
                var lowStore = Vector256.LessThan(lanes, lowCount).AsSingle();
                var highStore = Vector256.LessThan(lanes, highCount).AsSingle();
                var row = (ki * g.KernelWidth) + kj;
                for (var c = 0; c < g.ImageChannels; c++, row += taps)
                {
                    var source = image + (c * plane);
                    var destination = columns + ((long)row * rowStride);
                    Store(destination, positions, lowStore, Avx2.GatherMaskVector256(Vector256<float>.Zero, source, low, lowTaken, sizeof(float)));
                    if (positions > 8)
                    {
                        Store(destination + 8, positions - 8, highStore, Avx2.GatherMaskVector256(Vector256<float>.Zero, source, high, highTaken, sizeof(float)));
                    }
                }
            }
        }
    }

    /// <summary>The first <paramref name="count"/> lanes of <paramref name="values"/> (a whole store for 8 or more).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* destination, int count, Vector256<float> mask, Vector256<float> values)
    {
        if (count >= 8)
        {
            values.Store(destination);
        }
        else
        {
            Avx.MaskStore(destination, mask, values);
        }
    }

    /// <summary>Adds every entry of <paramref name="columns"/> into the image position it was lowered from (padding is dropped).</summary>
    public static void Raise(in ConvolutionGeometry g, float* columns, float* image) => Raise(g, columns, image, g.Positions);

    /// <summary>As <see cref="Raise(in ConvolutionGeometry, float*, float*)"/>, from a block of a wider column matrix (rows <paramref name="rowStride"/> apart).</summary>
    public static void Raise(in ConvolutionGeometry g, float* columns, float* image, int rowStride)
    {
        var wo = g.OutputWidth;
        var positions = rowStride;
        var row = 0;
        for (var c = 0; c < g.ImageChannels; c++)
        {
            var plane = image + ((long)c * g.ImageHeight * g.ImageWidth);
            for (var ki = 0; ki < g.KernelHeight; ki++)
            {
                for (var kj = 0; kj < g.KernelWidth; kj++, row++)
                {
                    var source = columns + ((long)row * positions);
                    var x0 = (kj * g.DilationWidth) - g.PadLeft;
                    var (start, end) = ValidRange(x0, g.StrideWidth, g.ImageWidth, wo);
                    if (end <= start)
                    {
                        continue;
                    }

                    for (var oy = 0; oy < g.OutputHeight; oy++)
                    {
                        var iy = (oy * g.StrideHeight) - g.PadTop + (ki * g.DilationHeight);
                        if ((uint)iy >= (uint)g.ImageHeight)
                        {
                            continue;
                        }

                        var s = source + (oy * wo);
                        var d = plane + (iy * g.ImageWidth) + x0;
                        if (g.StrideWidth == 1)
                        {
                            var target = new Span<float>(d + start, end - start);
                            TensorPrimitives.Add(target, new ReadOnlySpan<float>(s + start, end - start), target);
                        }
                        else
                        {
                            for (var ox = start; ox < end; ox++)
                            {
                                d[ox * g.StrideWidth] += s[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> floats between buffers that do not overlap. The runs of im2col are an output row
    /// long (tens of values, thousands of them a sample), where a call to memmove costs more than the copy: eight-value
    /// vectors, the last one overlapping the one before (four-value ones for 4 to 7 values, one by one below), do it in a few
    /// instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRun(float* destination, float* source, int count)
    {
        if (!Vector256.IsHardwareAccelerated || count > 64)
        {
            Unsafe.CopyBlockUnaligned(destination, source, (uint)count * sizeof(float));
            return;
        }

        if (count < 8)
        {
            // 4 to 7 values: two overlapping 4-value vectors; fewer: one by one.
            if (count >= 4)
            {
                var last = Vector128.Load(source + count - 4);
                Vector128.Store(Vector128.Load(source), destination);
                Vector128.Store(last, destination + count - 4);
                return;
            }

            for (var j = 0; j < count; j++)
            {
                destination[j] = source[j];
            }

            return;
        }

        var i = 0;
        for (; i + 8 <= count; i += 8)
        {
            Vector256.Store(Vector256.Load(source + i), destination + i);
        }

        if (i < count)
        {
            Vector256.Store(Vector256.Load(source + count - 8), destination + count - 8);
        }
    }

    /// <summary>The output columns [start, end) whose input column ox·stride + x0 lies inside [0, width).</summary>
    private static (int Start, int End) ValidRange(int x0, int stride, int width, int outputWidth)
    {
        var start = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
        var last = width - 1 - x0;
        var end = last < 0 ? 0 : Math.Min(outputWidth, (last / stride) + 1);
        return (Math.Min(start, outputWidth), end);
    }
}
