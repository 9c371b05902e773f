using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Layers;

/// <summary>
/// A max pooling's forward pass for inference (no positions recorded) with AVX-512, one plane at a time and separably:
/// first the maximum of each window's columns along every input row (16 windows a vector; stride 2 by two-source
/// permutes), then the maximum of those down each window's rows. A ResNet's 3×3 stride-2 pooling with padding 1 on
/// 112×112 or 16×16 maps, where the window-by-window form spends most of its time on the border columns and the lanes.
/// </summary>
/// <remarks>
/// The result has the bits of <see cref="MaxPool2D"/>'s window-by-window form: both take the first maximum in row-major
/// order (a value replaces the running maximum when it is greater, or NaN where the maximum is not), and along rows then
/// down columns that is the first maximum of the first row that holds it. Positions outside the plane (the padding) hold
/// −∞, which never replaces a real value and gives the same maximum when every real value is −∞ (a window always holds
/// one).
/// </remarks>
internal static unsafe class SeparableMaxPooling
{
    /// <summary>True where this form runs: AVX-512, strides 1 and 2.</summary>
    public static bool Supports(int stride) => Avx512F.IsSupported && stride is 1 or 2;

    /// <summary>The scratch one plane needs: a row of window maxima for every input row.</summary>
    public static int ScratchSize(int inputHeight, int outputWidth) => inputHeight * Round16(outputWidth);

    /// <summary>y = the max pooling of one plane x (size × size windows, the given stride and padding).</summary>
    public static void Forward(
        float* x, float* y, float* scratch, int height, int width, int outputHeight, int outputWidth, int size, int stride, int padTop, int padLeft)
    {
        // Along the rows: scratch[r, ow] = max of x[r, ow·stride − padLeft + k] over k in [0, size) inside the row.
        if (width <= 16 && size <= 16)
        {
            NarrowRows(x, scratch, height, width, outputWidth, size, stride, padLeft);
        }
        else
        {
            Rows(x, scratch, height, width, outputWidth, size, stride, padLeft);
        }

        var rowStride = Round16(outputWidth);
        var minusInfinity = Vector512.Create(float.NegativeInfinity);

        // Down the columns: y[oh, ow] = max of scratch[oh·stride − padTop + k, ow] over k inside the plane.
        var lanes = Vector512<int>.Indices;
        var lastMask = Vector512.LessThan(lanes, Vector512.Create(outputWidth - ((outputWidth - 1) & ~15))).AsSingle();
        for (var oh = 0; oh < outputHeight; oh++)
        {
            var top = (oh * stride) - padTop;
            int r0 = Math.Max(0, top), r1 = Math.Min(height, top + size);
            var target = y + ((long)oh * outputWidth);
            for (var ow = 0; ow < outputWidth; ow += 16)
            {
                var max = minusInfinity;
                for (var r = r0; r < r1; r++)
                {
                    max = Take(max, Vector512.Load(scratch + ((long)r * rowStride) + ow));
                }

                if (ow + 16 <= outputWidth)
                {
                    max.Store(target + ow);
                }
                else
                {
                    Avx512F.MaskStore(target + ow, lastMask, max);
                }
            }
        }
    }

    private static int Round16(int value) => (value + 15) & ~15;

    /// <summary>
    /// The pass along the rows, row by row (each read once, in order): each window column k of a block of 16 windows is
    /// one load of 16 values (stride 1) or two (stride 2, then the even lanes); a block whose loads leave the row masks
    /// them (the others load whole).
    /// </summary>
    private static void Rows(float* x, float* scratch, int height, int width, int outputWidth, int size, int stride, int padLeft)
    {
        var rowStride = Round16(outputWidth);
        var minusInfinity = Vector512.Create(float.NegativeInfinity);
        var reach = (16 * stride) + size - 1;
        for (var r = 0; r < height; r++)
        {
            var row = x + ((long)r * width);
            var maxima = scratch + ((long)r * rowStride);
            for (var ow = 0; ow < outputWidth; ow += 16)
            {
                var first = (ow * stride) - padLeft;
                var max = minusInfinity;
                if (first >= 0 && first + reach <= width)
                {
                    var p = row + first;
                    for (var k = 0; k < size; k++)
                    {
                        max = Take(max, stride == 1 ? Vector512.Load(p + k) : Avx512F.PermuteVar16x32x2(Vector512.Load(p + k), Even, Vector512.Load(p + k + 16)));
                    }
                }
                else
                {
                    for (var k = 0; k < size; k++)
                    {
                        max = Take(max, stride == 1 ? Load(row, first + k, width, minusInfinity) : Strided(row, first + k, width, minusInfinity));
                    }
                }

                max.Store(maxima + ow);
            }
        }
    }

    /// <summary>
    /// The pass along the rows of a plane at most 16 wide: each row is one load, and window column k of every window one
    /// permute of it (lane l takes column l·stride − padLeft + k, or −∞ outside the row) — a 16×16 map's row in 1 load
    /// and 3 permutes instead of 6 masked loads.
    /// </summary>
    private static void NarrowRows(float* x, float* scratch, int height, int width, int outputWidth, int size, int stride, int padLeft)
    {
        var minusInfinity = Vector512.Create(float.NegativeInfinity);
        var lanes = Vector512<int>.Indices;
        var inRow = Vector512.LessThan(lanes, Vector512.Create(width)).AsSingle();
        var rowStride = Round16(outputWidth);

        // Window column k's permute: lane l takes column l·stride − padLeft + k; columns outside [0, width) take index 16,
        // the second source's −∞.
        var indices = stackalloc Vector512<int>[size];
        for (var k = 0; k < size; k++)
        {
            var columns = (lanes * stride) + Vector512.Create(k - padLeft);
            var inside = Vector512.GreaterThanOrEqual(columns, Vector512<int>.Zero) & Vector512.LessThan(columns, Vector512.Create(width));
            indices[k] = Vector512.ConditionalSelect(inside, columns, Vector512.Create(16));
        }

        for (var r = 0; r < height; r++)
        {
            var row = Avx512F.MaskLoad(x + ((long)r * width), inRow, minusInfinity);
            var max = minusInfinity;
            for (var k = 0; k < size; k++)
            {
                max = Take(max, Avx512F.PermuteVar16x32x2(row, indices[k], minusInfinity));
            }

            max.Store(scratch + ((long)r * rowStride));
        }
    }

    /// <summary>The running maximum after <paramref name="v"/>: v where it is greater, or NaN where the maximum is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Take(Vector512<float> max, Vector512<float> v)
    {
        var take = Vector512.GreaterThan(v, max) | Vector512.AndNot(Vector512.Equals(max, max), Vector512.Equals(v, v));
        return Vector512.ConditionalSelect(take, v, max);
    }

    /// <summary>Lane l takes lane 2l of two vectors (the even columns of 32).</summary>
    private static readonly Vector512<int> Even = Vector512<int>.Indices * 2;

    /// <summary>row[start + l] for lanes l = 0..15, −∞ outside [0, width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* row, int start, int width, Vector512<float> outside)
    {
        var columns = Vector512<int>.Indices + Vector512.Create(start);
        var inside = (Vector512.GreaterThanOrEqual(columns, Vector512<int>.Zero) & Vector512.LessThan(columns, Vector512.Create(width))).AsSingle();
        return Avx512F.MaskLoad(row + start, inside, outside);
    }

    /// <summary>row[start + 2l] for lanes l = 0..15 (two loads and an even-lane permute), −∞ outside [0, width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Strided(float* row, int start, int width, Vector512<float> outside) =>
        Avx512F.PermuteVar16x32x2(Load(row, start, width, outside), Even, Load(row, start + 16, width, outside));
}
