using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Layers;

/// <summary>
/// AVX-512 and AVX2 kernels for the commonest max pooling, 2×2 windows with stride 2 over planes of even height and width
/// (LeNet's and VGG's): the batch is a flat sequence of "row pairs" (two adjacent input rows, 2·W values, giving one
/// output row of W/2 values), so planes need no separate treatment and each output row is sixteen windows a vector
/// (eight with AVX2).
/// </summary>
/// <remarks>
/// <para>
/// The maximum of a window is reduced in row-major order with the layer's rule (a later value replaces the maximum
/// only when it is greater, or when it is NaN and the maximum is not), so the value and position are those of the
/// scalar path. The position is recorded as a code 0..3 (top-left, top-right, bottom-left, bottom-right), one byte
/// per output, in blocks of sixteen bytes per sixteen outputs of a row (<see cref="CodeBytes"/>).
/// </para>
/// <para>
/// <c>rectify</c> fuses a ReLU in front of the pooling: the output is max(0, max(window)) (equal to the max of the
/// rectified window, NaN included), and the backward pass routes a gradient only where that output is positive,
/// which is exactly ReLU's derivative (taken as 0 at 0) applied after max pooling's routing.
/// </para>
/// </remarks>
internal static unsafe class PairPooling
{
    private static readonly Vector512<int> Even = Vector512<int>.Indices * 2;
    private static readonly Vector512<int> Odd = (Vector512<int>.Indices * 2) + Vector512<int>.One;
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>True when the kernels can run on this machine (AVX-512, or AVX2 where it is missing).</summary>
    public static bool IsSupported => Avx512F.IsSupported || Avx2.IsSupported;

    /// <summary>
    /// False runs the AVX2 kernels on a machine with AVX-512, so tests see both give the same bits (the AVX2 ones are
    /// what the many hosts without AVX-512 run).
    /// </summary>
    internal static bool Avx512Enabled { get; set; } = true;

    private static bool UseAvx512 => Avx512Enabled && Avx512F.IsSupported;

    /// <summary>The bytes of position codes for one output row of <paramref name="outputWidth"/> values.</summary>
    public static int CodeBytes(int outputWidth) => (outputWidth + 15) / 16 * 16;

    /// <summary>
    /// Pools the row pairs [<paramref name="first"/>, <paramref name="end"/>): y[p, j] = max of x[p, 0..1, 2j..2j+1],
    /// recording the positions in <paramref name="codes"/> unless it is null.
    /// </summary>
    /// <param name="x">The input, row pair p at p·2·<paramref name="outputWidth"/>·2.</param>
    /// <param name="y">The output, row p at p·<paramref name="outputWidth"/>.</param>
    /// <param name="codes">The position codes (p·<see cref="CodeBytes"/> on), or null not to record them.</param>
    /// <param name="outputWidth">W/2.</param>
    /// <param name="first">The first row pair.</param>
    /// <param name="end">One past the last row pair.</param>
    /// <param name="rectify">True to apply max(0, ·) to the output (a fused ReLU before the pooling).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* x, float* y, byte* codes, int outputWidth, int first, int end, bool rectify)
    {
        if (!UseAvx512 || outputWidth <= 8)
        {
            // Rows of up to eight windows fill a 256-bit vector: the 512-bit kernel would compute as much to drop.
            ForwardAvx2(x, y, codes, outputWidth, first, end, rectify);
            return;
        }

        var width = 2 * outputWidth;
        var codeRow = CodeBytes(outputWidth);

        // A short row's block reads and writes whole vectors while they stay within the pairs of this call: the values
        // past the row are dropped (its next rows are written after it); masked loads and stores cost far more.
        var readable = (long)end * 2 * width;
        var writable = (long)end * outputWidth;
        var even = Even;
        var odd = Odd;
        for (var p = first; p < end; p++)
        {
            var top = x + ((long)p * 2 * width);
            var bottom = top + width;
            var output = y + ((long)p * outputWidth);
            var code = codes == null ? null : codes + ((long)p * codeRow);
            for (var j = 0; j < outputWidth; j += 16)
            {
                var lanes = Math.Min(16, outputWidth - j);
                Vector512<float> t0, t1, b0, b1;
                if (lanes == 16 || (long)(bottom - x) + (2 * j) + 32 <= readable)
                {
                    t0 = Avx512F.LoadVector512(top + (2 * j));
                    t1 = Avx512F.LoadVector512(top + (2 * j) + 16);
                    b0 = Avx512F.LoadVector512(bottom + (2 * j));
                    b1 = Avx512F.LoadVector512(bottom + (2 * j) + 16);
                }
                else
                {
                    var low = Mask(2 * lanes);
                    var high = Mask((2 * lanes) - 16);
                    t0 = Avx512F.MaskLoad(top + (2 * j), low, Vector512<float>.Zero);
                    t1 = Avx512F.MaskLoad(top + (2 * j) + 16, high, Vector512<float>.Zero);
                    b0 = Avx512F.MaskLoad(bottom + (2 * j), low, Vector512<float>.Zero);
                    b1 = Avx512F.MaskLoad(bottom + (2 * j) + 16, high, Vector512<float>.Zero);
                }

                var max = Avx512F.PermuteVar16x32x2(t0, even, t1);
                var position = Vector512<int>.Zero;
                Take(Avx512F.PermuteVar16x32x2(t0, odd, t1), 1, ref max, ref position);
                Take(Avx512F.PermuteVar16x32x2(b0, even, b1), 2, ref max, ref position);
                Take(Avx512F.PermuteVar16x32x2(b0, odd, b1), 3, ref max, ref position);
                if (rectify)
                {
                    var keep = Vector512.GreaterThan(max, Vector512<float>.Zero) | ~Vector512.Equals(max, max);
                    max &= keep;
                }

                if (lanes == 16 || (long)(output - y) + j + 16 <= writable)
                {
                    Avx512F.Store(output + j, max);
                }
                else
                {
                    Avx512F.MaskStore(output + j, Mask(lanes), max);
                }

                if (code != null)
                {
                    Avx512F.ConvertToVector128Byte(position.AsUInt32()).Store(code + j);
                }
            }
        }
    }

    /// <summary>
    /// The backward of <see cref="Forward"/> over row pairs [<paramref name="first"/>, <paramref name="end"/>): writes
    /// every value of dx, dy[p, j] at the recorded position of window (p, j) and 0 elsewhere.
    /// </summary>
    /// <param name="dy">The output gradient, laid out as y.</param>
    /// <param name="y">The forward output, read only when <paramref name="rectify"/>.</param>
    /// <param name="codes">The positions recorded by <see cref="Forward"/>.</param>
    /// <param name="dx">The input gradient, laid out as x.</param>
    /// <param name="outputWidth">W/2.</param>
    /// <param name="first">The first row pair.</param>
    /// <param name="end">One past the last row pair.</param>
    /// <param name="rectify">True when the forward pass rectified: gradients pass only where y &gt; 0.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(float* dy, float* y, byte* codes, float* dx, int outputWidth, int first, int end, bool rectify)
    {
        if (!UseAvx512)
        {
            BackwardAvx2(dy, y, codes, dx, outputWidth, first, end, rectify);
            return;
        }

        var width = 2 * outputWidth;
        var codeRow = CodeBytes(outputWidth);

        // As in Forward: whole vectors while they stay within the pairs of this call (the next rows are written after).
        var readable = (long)end * outputWidth;
        var writable = (long)end * 2 * width;
        var interleaveLow = InterleaveLow;
        var interleaveHigh = InterleaveHigh;
        for (var p = first; p < end; p++)
        {
            var top = dx + ((long)p * 2 * width);
            var bottom = top + width;
            var row = (long)p * outputWidth;
            var code = codes + ((long)p * codeRow);
            for (var j = 0; j < outputWidth; j += 16)
            {
                var lanes = Math.Min(16, outputWidth - j);
                var whole = lanes == 16 || row + j + 16 <= readable;
                var mask = Mask(lanes);
                var g = whole ? Avx512F.LoadVector512(dy + row + j) : Avx512F.MaskLoad(dy + row + j, mask, Vector512<float>.Zero);
                if (rectify)
                {
                    var v = whole ? Avx512F.LoadVector512(y + row + j) : Avx512F.MaskLoad(y + row + j, mask, Vector512<float>.Zero);
                    g &= Vector512.GreaterThan(v, Vector512<float>.Zero);
                }

                var c = Avx512F.ConvertToVector512Int32(Vector128.Load(code + j));
                var g0 = g & Vector512.Equals(c, Vector512<int>.Zero).AsSingle();
                var g1 = g & Vector512.Equals(c, Vector512.Create(1)).AsSingle();
                var g2 = g & Vector512.Equals(c, Vector512.Create(2)).AsSingle();
                var g3 = g & Vector512.Equals(c, Vector512.Create(3)).AsSingle();
                var t0 = Avx512F.PermuteVar16x32x2(g0, interleaveLow, g1);
                var t1 = Avx512F.PermuteVar16x32x2(g0, interleaveHigh, g1);
                var b0 = Avx512F.PermuteVar16x32x2(g2, interleaveLow, g3);
                var b1 = Avx512F.PermuteVar16x32x2(g2, interleaveHigh, g3);
                if (lanes == 16)
                {
                    Avx512F.Store(top + (2 * j), t0);
                    Avx512F.Store(top + (2 * j) + 16, t1);
                    Avx512F.Store(bottom + (2 * j), b0);
                    Avx512F.Store(bottom + (2 * j) + 16, b1);
                }
                else if (j == 0 && (long)(bottom - dx) + 32 <= writable)
                {
                    // A row short enough for one block: the top row's values past its end land in the bottom row, the
                    // bottom row's in the next pair's top row, each written after (in address order) within this call.
                    Avx512F.Store(top, t0);
                    if (lanes > 8)
                    {
                        Avx512F.Store(top + 16, t1);
                    }

                    Avx512F.Store(bottom, b0);
                    if (lanes > 8)
                    {
                        Avx512F.Store(bottom + 16, b1);
                    }
                }
                else
                {
                    var low = Mask(2 * lanes);
                    var high = Mask((2 * lanes) - 16);
                    Avx512F.MaskStore(top + (2 * j), low, t0);
                    Avx512F.MaskStore(top + (2 * j) + 16, high, t1);
                    Avx512F.MaskStore(bottom + (2 * j), low, b0);
                    Avx512F.MaskStore(bottom + (2 * j) + 16, high, b1);
                }
            }
        }
    }

    /// <summary><see cref="Forward"/> with 256-bit vectors: eight windows a vector, the same values, positions and codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardAvx2(float* x, float* y, byte* codes, int outputWidth, int first, int end, bool rectify)
    {
        var width = 2 * outputWidth;
        var codeRow = CodeBytes(outputWidth);
        for (var p = first; p < end; p++)
        {
            var top = x + ((long)p * 2 * width);
            var bottom = top + width;
            var output = y + ((long)p * outputWidth);
            var code = codes == null ? null : codes + ((long)p * codeRow);
            for (var j = 0; j < outputWidth; j += 8)
            {
                var lanes = Math.Min(8, outputWidth - j);
                Vector256<float> t0, t1, b0, b1;
                if (lanes == 8)
                {
                    t0 = Avx.LoadVector256(top + (2 * j));
                    t1 = Avx.LoadVector256(top + (2 * j) + 8);
                    b0 = Avx.LoadVector256(bottom + (2 * j));
                    b1 = Avx.LoadVector256(bottom + (2 * j) + 8);
                }
                else
                {
                    var low = Mask256(2 * lanes);
                    var high = Mask256((2 * lanes) - 8);
                    t0 = Avx.MaskLoad(top + (2 * j), low);
                    t1 = Avx.MaskLoad(top + (2 * j) + 8, high);
                    b0 = Avx.MaskLoad(bottom + (2 * j), low);
                    b1 = Avx.MaskLoad(bottom + (2 * j) + 8, high);
                }

                var max = Evens(t0, t1);
                var position = Vector256<int>.Zero;
                Take(Odds(t0, t1), 1, ref max, ref position);
                Take(Evens(b0, b1), 2, ref max, ref position);
                Take(Odds(b0, b1), 3, ref max, ref position);
                if (rectify)
                {
                    var keep = Vector256.GreaterThan(max, Vector256<float>.Zero) | ~Vector256.Equals(max, max);
                    max &= keep;
                }

                if (lanes == 8)
                {
                    Avx.Store(output + j, max);
                }
                else
                {
                    Avx.MaskStore(output + j, Mask256(lanes), max);
                }

                if (code != null)
                {
                    // Codes 0..3 narrowed to bytes: the first eight bytes are the eight windows' (the row's code block is
                    // padded to sixteen bytes, so the store stays inside it).
                    var shorts = Vector256.Narrow(position, position);
                    *(ulong*)(code + j) = Vector256.Narrow(shorts, shorts).AsUInt64().ToScalar();
                }
            }
        }
    }

    /// <summary><see cref="Backward"/> with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardAvx2(float* dy, float* y, byte* codes, float* dx, int outputWidth, int first, int end, bool rectify)
    {
        var width = 2 * outputWidth;
        var codeRow = CodeBytes(outputWidth);
        for (var p = first; p < end; p++)
        {
            var top = dx + ((long)p * 2 * width);
            var bottom = top + width;
            var row = (long)p * outputWidth;
            var code = codes + ((long)p * codeRow);
            for (var j = 0; j < outputWidth; j += 8)
            {
                var lanes = Math.Min(8, outputWidth - j);
                var mask = Mask256(lanes);
                var g = lanes == 8 ? Avx.LoadVector256(dy + row + j) : Avx.MaskLoad(dy + row + j, mask);
                if (rectify)
                {
                    var v = lanes == 8 ? Avx.LoadVector256(y + row + j) : Avx.MaskLoad(y + row + j, mask);
                    g &= Vector256.GreaterThan(v, Vector256<float>.Zero);
                }

                var c = Avx2.ConvertToVector256Int32(code + j);
                var g0 = g & Vector256.Equals(c, Vector256<int>.Zero).AsSingle();
                var g1 = g & Vector256.Equals(c, Vector256.Create(1)).AsSingle();
                var g2 = g & Vector256.Equals(c, Vector256.Create(2)).AsSingle();
                var g3 = g & Vector256.Equals(c, Vector256.Create(3)).AsSingle();

                // Interleave: unpack works within 128-bit halves, the half swaps put windows 0-3 first and 4-7 second.
                var topLow = Avx.UnpackLow(g0, g1);
                var topHigh = Avx.UnpackHigh(g0, g1);
                var bottomLow = Avx.UnpackLow(g2, g3);
                var bottomHigh = Avx.UnpackHigh(g2, g3);
                var t0 = Avx.Permute2x128(topLow, topHigh, 0x20);
                var t1 = Avx.Permute2x128(topLow, topHigh, 0x31);
                var b0 = Avx.Permute2x128(bottomLow, bottomHigh, 0x20);
                var b1 = Avx.Permute2x128(bottomLow, bottomHigh, 0x31);
                if (lanes == 8)
                {
                    Avx.Store(top + (2 * j), t0);
                    Avx.Store(top + (2 * j) + 8, t1);
                    Avx.Store(bottom + (2 * j), b0);
                    Avx.Store(bottom + (2 * j) + 8, b1);
                }
                else
                {
                    var low = Mask256(2 * lanes);
                    var high = Mask256((2 * lanes) - 8);
                    Avx.MaskStore(top + (2 * j), low, t0);
                    Avx.MaskStore(top + (2 * j) + 8, high, t1);
                    Avx.MaskStore(bottom + (2 * j), low, b0);
                    Avx.MaskStore(bottom + (2 * j) + 8, high, b1);
                }
            }
        }
    }

    /// <summary>Values 0, 2, …, 14 of the sixteen in <paramref name="a"/> then <paramref name="b"/> (the left columns of eight windows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Evens(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();

    /// <summary>Values 1, 3, …, 15 of the sixteen in <paramref name="a"/> then <paramref name="b"/> (the right columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Odds(Vector256<float> a, Vector256<float> b) =>
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();

    /// <summary>The row-major rule of <see cref="Take(Vector512{float}, int, ref Vector512{float}, ref Vector512{int})"/> on eight windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, int code, ref Vector256<float> max, ref Vector256<int> position)
    {
        var take = Vector256.GreaterThan(v, max) | Vector256.AndNot(Vector256.Equals(max, max), Vector256.Equals(v, v));
        max = Vector256.ConditionalSelect(take, v, max);
        position = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(code), position);
    }

    /// <summary>A mask of the first <paramref name="count"/> of eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mask256(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <summary>Replaces the running maximum by <paramref name="v"/> where the row-major rule says so.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector512<float> v, int code, ref Vector512<float> max, ref Vector512<int> position)
    {
        var take = Vector512.GreaterThan(v, max) | Vector512.AndNot(Vector512.Equals(max, max), Vector512.Equals(v, v));
        max = Vector512.ConditionalSelect(take, v, max);
        position = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(code), position);
    }

    /// <summary>A mask of the first <paramref name="count"/> lanes (none when it is 0 or less, all from 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}
