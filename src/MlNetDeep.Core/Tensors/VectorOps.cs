using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetDeep.Kernels;

namespace MlNetDeep.Tensors;

/// <summary>
/// Vectorised element-wise kernels that System.Numerics.Tensors does not fuse: activation derivatives,
/// bias broadcasts and row sums. AVX-512 where the hardware has it, AVX2 otherwise, scalar tails.
/// </summary>
internal static class VectorOps
{
    /// <summary>
    /// y = max(x, 0) with TensorPrimitives.Max's semantics (NaN propagates, −0 gives +0), but with ordinary stores:
    /// TensorPrimitives streams large outputs past the caches, and the next layer then reads them back from memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var a = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var b = Vector512.LoadUnsafe(ref rx, (nuint)(i + 16));
                Rectify(a).StoreUnsafe(ref ry, (nuint)i);
                Rectify(b).StoreUnsafe(ref ry, (nuint)(i + 16));
            }

            for (; i <= n - 16; i += 16)
            {
                Rectify(Vector512.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                (v & (Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v))).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            Unsafe.Add(ref ry, i) = v > 0 || float.IsNaN(v) ? v : 0f;
        }
    }

    /// <summary>max(v, 0) lane by lane: v where v &gt; 0 or v is NaN, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Rectify(Vector512<float> v) =>
        v & (Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v));

    /// <summary>dx = y &gt; 0 ? dy : 0 (ReLU's derivative, from its output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref ry, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) & mask.AsSingle()).StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref ry, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) & mask.AsSingle()).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref ry, i) > 0 ? Unsafe.Add(ref rdy, i) : 0f;
        }
    }

    /// <summary>y = x &gt; 0 ? x : slope·x (leaky ReLU; slope 0 gives ReLU).</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        if (slope == 0f)
        {
            Relu(x, y);
            return;
        }

        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * s).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            Unsafe.Add(ref ry, i) = v > 0 ? v : slope * v;
        }
    }

    /// <summary>dx = x &gt; 0 ? dy : slope·dy.</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref rdy, (nuint)i);
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512<float>.Zero);
                Vector512.ConditionalSelect(mask, g, g * s).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var g = Unsafe.Add(ref rdy, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rx, i) > 0 ? g : slope * g;
        }
    }

    /// <summary>Σ x[i]·g[i] over the i where x[i] ≤ 0 (PReLU's slope gradient), in 16 (or 8) running sums added at the end.</summary>
    public static float DotWhereNotPositive(ReadOnlySpan<float> x, ReadOnlySpan<float> g)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rg = ref MemoryMarshal.GetReference(g);
        var n = x.Length;
        var i = 0;
        var sum = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var keep = Vector512.LessThanOrEqual(v, Vector512<float>.Zero);
                acc += Vector512.ConditionalSelect(keep, v * Vector512.LoadUnsafe(ref rg, (nuint)i), Vector512<float>.Zero);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var keep = Vector256.LessThanOrEqual(v, Vector256<float>.Zero);
                acc += Vector256.ConditionalSelect(keep, v * Vector256.LoadUnsafe(ref rg, (nuint)i), Vector256<float>.Zero);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            if (!(v > 0))
            {
                sum += v * Unsafe.Add(ref rg, i);
            }
        }

        return sum;
    }

    /// <summary>dx = dy·y·(1−y) (sigmoid's derivative, from its output).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * v * (Vector512<float>.One - v)).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref ry, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rdy, i) * v * (1f - v);
        }
    }

    /// <summary>dx = dy·(1−y²) (tanh's derivative, from its output).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * (Vector512<float>.One - (v * v))).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref ry, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rdy, i) * (1f - (v * v));
        }
    }

    /// <summary>
    /// y[r, j] = x[r, ·]·w[j, ·] (+ bias[j]) for a few rows r: a dense layer's forward for small batches, where a
    /// matrix product spends more time packing the weights than multiplying. The values are those of
    /// <see cref="Kernels.Gemm"/> bit for bit, so that a sample's output does not depend on its batch: each output is
    /// one fused multiply-add chain over k within each of Gemm's depth blocks, the blocks' sums added in order.
    /// </summary>
    /// <param name="x">The inputs, <paramref name="rows"/>×<paramref name="inputs"/>.</param>
    /// <param name="rows">The batch size.</param>
    /// <param name="inputs">The values per input row.</param>
    /// <param name="w">The weights, units×inputs.</param>
    /// <param name="bias">The bias (units values), or empty for none.</param>
    /// <param name="y">The outputs, rows×units.</param>
    /// <returns>False when the machine lacks AVX-512 (then nothing is written and the caller uses Gemm).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe bool DenseRows(ReadOnlySpan<float> x, int rows, int inputs, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        if (!Avx512F.IsSupported)
        {
            return false;
        }

        var units = w.Length / inputs;
        var depth = GemmDepthBlock(inputs);

        // Four blocks of sixteen outputs at a time: four independent chains hide the multiply-adds' latency.
        var v = stackalloc Vector512<float>[64];
        fixed (float* px = x, pw = w, py = y)
        {
            for (var r = 0; r < rows; r++)
            {
                var xr = px + ((long)r * inputs);
                var yr = py + ((long)r * units);
                for (var j = 0; j < units; j += 64)
                {
                    var blocks = Math.Min(4, (units - j + 15) / 16);
                    Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (var pc = 0; pc < inputs; pc += depth)
                    {
                        var blockEnd = Math.Min(inputs, pc + depth);
                        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                        for (var k = pc; k < blockEnd; k += 16)
                        {
                            var count = Math.Min(16, blockEnd - k);
                            for (var b = 0; b < blocks; b++)
                            {
                                var first = j + (16 * b);
                                TransposeTile(pw + ((long)first * inputs) + k, inputs, Math.Min(16, units - first), count, v + (16 * b));
                            }

                            for (var kk = 0; kk < count; kk++)
                            {
                                var xv = Vector512.Create(xr[k + kk]);
                                a0 = Avx512F.FusedMultiplyAdd(xv, v[kk], a0);
                                a1 = Avx512F.FusedMultiplyAdd(xv, v[16 + kk], a1);
                                a2 = Avx512F.FusedMultiplyAdd(xv, v[32 + kk], a2);
                                a3 = Avx512F.FusedMultiplyAdd(xv, v[48 + kk], a3);
                            }
                        }

                        (s0, s1, s2, s3) = pc == 0 ? (a0, a1, a2, a3) : (a0 + s0, a1 + s1, a2 + s2, a3 + s3);
                    }

                    StoreUnits(yr, j, units, s0);
                    StoreUnits(yr, j + 16, units, s1);
                    StoreUnits(yr, j + 32, units, s2);
                    StoreUnits(yr, j + 48, units, s3);
                }

                if (!bias.IsEmpty)
                {
                    var output = y.Slice(r * units, units);
                    TensorPrimitives.Add(output, bias, output);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The same values as <see cref="DenseRows"/>, bit for bit, from weights already transposed: wt[k, j] = w[j, k], rows
    /// <paramref name="stride"/> floats apart (a multiple of 16, the columns past the units zero). Each step of a chain
    /// loads whole rows of wt, so the cost is the multiply-adds and the weights' reads (no transposition).
    /// </summary>
    /// <param name="x">The inputs, <paramref name="rows"/>×<paramref name="inputs"/>.</param>
    /// <param name="rows">The batch size.</param>
    /// <param name="inputs">The values per input row.</param>
    /// <param name="wt">The transposed weights, inputs×<paramref name="stride"/>.</param>
    /// <param name="stride">The distance between rows of <paramref name="wt"/>: the units rounded up to 16.</param>
    /// <param name="bias">The bias (units values), or empty for none.</param>
    /// <param name="y">The outputs, rows×units.</param>
    /// <remarks>Needs AVX-512.</remarks>
    public static unsafe void DenseRowsTransposed(ReadOnlySpan<float> x, int rows, int inputs, ReadOnlySpan<float> wt, int stride, ReadOnlySpan<float> bias, Span<float> y)
    {
        var units = y.Length / rows;
        if (stride % 16 != 0 || stride < units || wt.Length < (long)inputs * stride || x.Length < (long)rows * inputs)
        {
            throw new ArgumentException($"Transposed weights of {wt.Length} floats with row stride {stride} do not fit {inputs} inputs and {units} units.");
        }

        var depth = GemmDepthBlock(inputs);
        fixed (float* px = x, pw = wt, py = y)
        {
            for (var r = 0; r < rows; r++)
            {
                var xr = px + ((long)r * inputs);
                var yr = py + ((long)r * units);

                // Up to eight vectors of outputs at a time: independent chains hide the multiply-adds' latency, and each
                // input is broadcast once for all of them. The vector count is a constant in each inlined copy.
                for (var j = 0; j < units; j += 128)
                {
                    switch (Math.Min(8, (units - j + 15) / 16))
                    {
                        case 8: TransposedChains(8, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 7: TransposedChains(7, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 6: TransposedChains(6, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 5: TransposedChains(5, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 4: TransposedChains(4, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 3: TransposedChains(3, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        case 2: TransposedChains(2, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                        default: TransposedChains(1, xr, inputs, depth, pw + j, stride, yr, j, units); break;
                    }
                }

                if (!bias.IsEmpty)
                {
                    var output = y.Slice(r * units, units);
                    TensorPrimitives.Add(output, bias, output);
                }
            }
        }
    }

    /// <summary>
    /// wt[k, j] = w[j, k] for a <paramref name="rows"/>×<paramref name="columns"/> matrix, the rows of wt
    /// <paramref name="stride"/> floats apart (a multiple of 16 at least <paramref name="rows"/>; the columns past the
    /// rows are written as zeros): 16×16 tiles transposed in registers. Needs AVX-512.
    /// </summary>
    public static unsafe void Transpose(ReadOnlySpan<float> w, int rows, int columns, Span<float> wt, int stride)
    {
        if (stride % 16 != 0 || stride < rows || w.Length < (long)rows * columns || wt.Length < (long)columns * stride)
        {
            throw new ArgumentException($"A {rows}×{columns} matrix does not fit {wt.Length} floats with row stride {stride}.");
        }

        var v = stackalloc Vector512<float>[16];
        fixed (float* pw = w, pt = wt)
        {
            for (var j = 0; j < stride; j += 16)
            {
                for (var k = 0; k < columns; k += 16)
                {
                    var count = Math.Min(16, columns - k);
                    TransposeTile(pw + ((long)j * columns) + k, columns, Math.Max(0, Math.Min(16, rows - j)), count, v);
                    for (var c = 0; c < count; c++)
                    {
                        Avx512F.Store(pt + ((long)(k + c) * stride) + j, v[c]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> vectors of outputs from <paramref name="j"/> on: per depth block one multiply-add chain
    /// over k from zero, the blocks' sums added in order (as <see cref="Kernels.Gemm"/> does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TransposedChains(int count, float* x, int inputs, int depth, float* wt, int stride, float* y, int j, int units)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (var pc = 0; pc < inputs; pc += depth)
        {
            var blockEnd = Math.Min(inputs, pc + depth);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (var k = pc; k < blockEnd; k++)
            {
                var xv = Vector512.Create(x[k]);
                var w = wt + ((long)k * stride);
                a0 = Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w), a0);
                a1 = count > 1 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 16), a1) : a1;
                a2 = count > 2 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 32), a2) : a2;
                a3 = count > 3 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 48), a3) : a3;
                a4 = count > 4 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 64), a4) : a4;
                a5 = count > 5 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 80), a5) : a5;
                a6 = count > 6 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 96), a6) : a6;
                a7 = count > 7 ? Avx512F.FusedMultiplyAdd(xv, Avx512F.LoadVector512(w + 112), a7) : a7;
            }

            (s0, s1, s2, s3) = pc == 0 ? (a0, a1, a2, a3) : (a0 + s0, a1 + s1, a2 + s2, a3 + s3);
            (s4, s5, s6, s7) = pc == 0 ? (a4, a5, a6, a7) : (a4 + s4, a5 + s5, a6 + s6, a7 + s7);
        }

        StoreUnits(y, j, units, s0);
        StoreUnits(y, j + 16, units, s1);
        StoreUnits(y, j + 32, units, s2);
        StoreUnits(y, j + 48, units, s3);
        StoreUnits(y, j + 64, units, s4);
        StoreUnits(y, j + 80, units, s5);
        StoreUnits(y, j + 96, units, s6);
        StoreUnits(y, j + 112, units, s7);
    }

    /// <summary>Stores the outputs j.. of a row of <paramref name="units"/> (those past the row's end are left alone).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreUnits(float* y, int j, int units, Vector512<float> value)
    {
        if (j < units)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(units - j)).AsSingle();
            Avx512F.MaskStore(y + j, mask, value);
        }
    }

    /// <summary>The depth of each of Gemm's even blocks of <paramref name="inputs"/> (at most <see cref="GemmConstants.MaxKc"/>).</summary>
    private static int GemmDepthBlock(int inputs)
    {
        var blocks = (inputs + GemmConstants.MaxKc - 1) / GemmConstants.MaxKc;
        return (inputs + blocks - 1) / blocks;
    }

    /// <summary>
    /// Loads the tile w[l, c] (l &lt; <paramref name="lanes"/> rows <paramref name="stride"/> apart, c &lt;
    /// <paramref name="count"/> columns; the rest zero) and writes its transpose: v[c] lane l = w[l, c].
    /// Four butterfly stages; the stage for bit b swaps bit b of the row index with bit b of the lane index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void TransposeTile(float* w, int stride, int lanes, int count, Vector512<float>* v)
    {
        Vector512<float> r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15;
        if (lanes == 16 && count == 16)
        {
            r0 = Avx512F.LoadVector512(w + (0L * stride));
            r1 = Avx512F.LoadVector512(w + (1L * stride));
            r2 = Avx512F.LoadVector512(w + (2L * stride));
            r3 = Avx512F.LoadVector512(w + (3L * stride));
            r4 = Avx512F.LoadVector512(w + (4L * stride));
            r5 = Avx512F.LoadVector512(w + (5L * stride));
            r6 = Avx512F.LoadVector512(w + (6L * stride));
            r7 = Avx512F.LoadVector512(w + (7L * stride));
            r8 = Avx512F.LoadVector512(w + (8L * stride));
            r9 = Avx512F.LoadVector512(w + (9L * stride));
            r10 = Avx512F.LoadVector512(w + (10L * stride));
            r11 = Avx512F.LoadVector512(w + (11L * stride));
            r12 = Avx512F.LoadVector512(w + (12L * stride));
            r13 = Avx512F.LoadVector512(w + (13L * stride));
            r14 = Avx512F.LoadVector512(w + (14L * stride));
            r15 = Avx512F.LoadVector512(w + (15L * stride));
        }
        else
        {
            var columns = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
            r0 = 0 < lanes ? Avx512F.MaskLoad(w + (0L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r1 = 1 < lanes ? Avx512F.MaskLoad(w + (1L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r2 = 2 < lanes ? Avx512F.MaskLoad(w + (2L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r3 = 3 < lanes ? Avx512F.MaskLoad(w + (3L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r4 = 4 < lanes ? Avx512F.MaskLoad(w + (4L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r5 = 5 < lanes ? Avx512F.MaskLoad(w + (5L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r6 = 6 < lanes ? Avx512F.MaskLoad(w + (6L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r7 = 7 < lanes ? Avx512F.MaskLoad(w + (7L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r8 = 8 < lanes ? Avx512F.MaskLoad(w + (8L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r9 = 9 < lanes ? Avx512F.MaskLoad(w + (9L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r10 = 10 < lanes ? Avx512F.MaskLoad(w + (10L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r11 = 11 < lanes ? Avx512F.MaskLoad(w + (11L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r12 = 12 < lanes ? Avx512F.MaskLoad(w + (12L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r13 = 13 < lanes ? Avx512F.MaskLoad(w + (13L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r14 = 14 < lanes ? Avx512F.MaskLoad(w + (14L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
            r15 = 15 < lanes ? Avx512F.MaskLoad(w + (15L * stride), columns, Vector512<float>.Zero) : Vector512<float>.Zero;
        }

        var low8 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        var high8 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        (r0, r8) = (Avx512F.PermuteVar16x32x2(r0, low8, r8), Avx512F.PermuteVar16x32x2(r0, high8, r8));
        (r1, r9) = (Avx512F.PermuteVar16x32x2(r1, low8, r9), Avx512F.PermuteVar16x32x2(r1, high8, r9));
        (r2, r10) = (Avx512F.PermuteVar16x32x2(r2, low8, r10), Avx512F.PermuteVar16x32x2(r2, high8, r10));
        (r3, r11) = (Avx512F.PermuteVar16x32x2(r3, low8, r11), Avx512F.PermuteVar16x32x2(r3, high8, r11));
        (r4, r12) = (Avx512F.PermuteVar16x32x2(r4, low8, r12), Avx512F.PermuteVar16x32x2(r4, high8, r12));
        (r5, r13) = (Avx512F.PermuteVar16x32x2(r5, low8, r13), Avx512F.PermuteVar16x32x2(r5, high8, r13));
        (r6, r14) = (Avx512F.PermuteVar16x32x2(r6, low8, r14), Avx512F.PermuteVar16x32x2(r6, high8, r14));
        (r7, r15) = (Avx512F.PermuteVar16x32x2(r7, low8, r15), Avx512F.PermuteVar16x32x2(r7, high8, r15));
        var low4 = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
        var high4 = Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
        (r0, r4) = (Avx512F.PermuteVar16x32x2(r0, low4, r4), Avx512F.PermuteVar16x32x2(r0, high4, r4));
        (r1, r5) = (Avx512F.PermuteVar16x32x2(r1, low4, r5), Avx512F.PermuteVar16x32x2(r1, high4, r5));
        (r2, r6) = (Avx512F.PermuteVar16x32x2(r2, low4, r6), Avx512F.PermuteVar16x32x2(r2, high4, r6));
        (r3, r7) = (Avx512F.PermuteVar16x32x2(r3, low4, r7), Avx512F.PermuteVar16x32x2(r3, high4, r7));
        (r8, r12) = (Avx512F.PermuteVar16x32x2(r8, low4, r12), Avx512F.PermuteVar16x32x2(r8, high4, r12));
        (r9, r13) = (Avx512F.PermuteVar16x32x2(r9, low4, r13), Avx512F.PermuteVar16x32x2(r9, high4, r13));
        (r10, r14) = (Avx512F.PermuteVar16x32x2(r10, low4, r14), Avx512F.PermuteVar16x32x2(r10, high4, r14));
        (r11, r15) = (Avx512F.PermuteVar16x32x2(r11, low4, r15), Avx512F.PermuteVar16x32x2(r11, high4, r15));
        var low2 = Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
        var high2 = Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
        (r0, r2) = (Avx512F.PermuteVar16x32x2(r0, low2, r2), Avx512F.PermuteVar16x32x2(r0, high2, r2));
        (r1, r3) = (Avx512F.PermuteVar16x32x2(r1, low2, r3), Avx512F.PermuteVar16x32x2(r1, high2, r3));
        (r4, r6) = (Avx512F.PermuteVar16x32x2(r4, low2, r6), Avx512F.PermuteVar16x32x2(r4, high2, r6));
        (r5, r7) = (Avx512F.PermuteVar16x32x2(r5, low2, r7), Avx512F.PermuteVar16x32x2(r5, high2, r7));
        (r8, r10) = (Avx512F.PermuteVar16x32x2(r8, low2, r10), Avx512F.PermuteVar16x32x2(r8, high2, r10));
        (r9, r11) = (Avx512F.PermuteVar16x32x2(r9, low2, r11), Avx512F.PermuteVar16x32x2(r9, high2, r11));
        (r12, r14) = (Avx512F.PermuteVar16x32x2(r12, low2, r14), Avx512F.PermuteVar16x32x2(r12, high2, r14));
        (r13, r15) = (Avx512F.PermuteVar16x32x2(r13, low2, r15), Avx512F.PermuteVar16x32x2(r13, high2, r15));
        var low1 = Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        var high1 = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        (r0, r1) = (Avx512F.PermuteVar16x32x2(r0, low1, r1), Avx512F.PermuteVar16x32x2(r0, high1, r1));
        (r2, r3) = (Avx512F.PermuteVar16x32x2(r2, low1, r3), Avx512F.PermuteVar16x32x2(r2, high1, r3));
        (r4, r5) = (Avx512F.PermuteVar16x32x2(r4, low1, r5), Avx512F.PermuteVar16x32x2(r4, high1, r5));
        (r6, r7) = (Avx512F.PermuteVar16x32x2(r6, low1, r7), Avx512F.PermuteVar16x32x2(r6, high1, r7));
        (r8, r9) = (Avx512F.PermuteVar16x32x2(r8, low1, r9), Avx512F.PermuteVar16x32x2(r8, high1, r9));
        (r10, r11) = (Avx512F.PermuteVar16x32x2(r10, low1, r11), Avx512F.PermuteVar16x32x2(r10, high1, r11));
        (r12, r13) = (Avx512F.PermuteVar16x32x2(r12, low1, r13), Avx512F.PermuteVar16x32x2(r12, high1, r13));
        (r14, r15) = (Avx512F.PermuteVar16x32x2(r14, low1, r15), Avx512F.PermuteVar16x32x2(r14, high1, r15));

        v[0] = r0;
        v[1] = r1;
        v[2] = r2;
        v[3] = r3;
        v[4] = r4;
        v[5] = r5;
        v[6] = r6;
        v[7] = r7;
        v[8] = r8;
        v[9] = r9;
        v[10] = r10;
        v[11] = r11;
        v[12] = r12;
        v[13] = r13;
        v[14] = r14;
        v[15] = r15;
    }

    /// <summary>
    /// a = softmax(z) = e^{z − max z} / Σ_k e^{z_k − max z}, finite and summing to 1 for any finite <paramref name="z"/>:
    /// TensorPrimitives.SoftMax exponentiates z itself, so a logit above ~88.7 overflows to ∞ and the row becomes NaN.
    /// Subtracting the maximum leaves every exponent ≤ 0, and the maximum's own term is e^0 = 1, so the sum is in
    /// [1, K]. Far-apart logits such as ±3e38 make z − max = −∞ in float, whose exponential is exactly 0.
    /// A NaN or infinite logit gives a NaN row.
    /// </summary>
    /// <param name="z">The logits of one row.</param>
    /// <param name="a">The probabilities, of the same length (may be <paramref name="z"/> itself).</param>
    /// <returns>max z and ln Σ_k e^{z_k − max z} (in [0, ln K]): ln a_j = z_j − max − that, computed in double by the caller.</returns>
    public static (float Max, double LogSum) Softmax(ReadOnlySpan<float> z, Span<float> a)
    {
        var max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, a);
        TensorPrimitives.Exp(a, a);
        var sum = TensorPrimitives.Sum(a);
        TensorPrimitives.Divide(a, sum, a);
        return (max, Math.Log(sum));
    }

    /// <summary>
    /// True when every value is finite (neither NaN nor ±∞): one vectorised pass that tests the exponent bits
    /// (all ones only for NaN and ∞), cheap enough to run on every mini-batch's outputs and every parameter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        ref var r = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(x));
        var n = x.Length;
        var i = 0;
        const int exponent = 0x7F800000;
        // AVX-512 whenever the CPU has it: .NET prefers 256-bit vectors on some AVX-512 machines (this one included),
        // and this scan runs over every parameter after every update, so its speed is the cost of divergence detection.
        if (Avx512F.IsSupported && n >= 16)
        {
            var mask = Vector512.Create(exponent);
            Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 64; i += 64)
            {
                // Equal to the mask only where all exponent bits are set; OR the lanes' verdicts together.
                a0 |= Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)i) & mask, mask);
                a1 |= Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)(i + 16)) & mask, mask);
                a2 |= Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)(i + 32)) & mask, mask);
                a3 |= Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)(i + 48)) & mask, mask);
            }

            for (; i <= n - 16; i += 16)
            {
                a0 |= Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)i) & mask, mask);
            }

            if ((a0 | a1 | a2 | a3) != Vector512<int>.Zero)
            {
                return false;
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var mask = Vector256.Create(exponent);
            Vector256<int> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16)
            {
                a0 |= Vector256.Equals(Vector256.LoadUnsafe(ref r, (nuint)i) & mask, mask);
                a1 |= Vector256.Equals(Vector256.LoadUnsafe(ref r, (nuint)(i + 8)) & mask, mask);
            }

            for (; i <= n - 8; i += 8)
            {
                a0 |= Vector256.Equals(Vector256.LoadUnsafe(ref r, (nuint)i) & mask, mask);
            }

            if ((a0 | a1) != Vector256<int>.Zero)
            {
                return false;
            }
        }

        for (; i < n; i++)
        {
            if ((Unsafe.Add(ref r, i) & exponent) == exponent)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The index of the first NaN or infinite value, or −1 when all are finite.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> x)
    {
        if (AllFinite(x))
        {
            return -1;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Adds <paramref name="bias"/> to each of the <paramref name="rows"/> rows of <paramref name="matrix"/>.</summary>
    public static void AddRowVector(Span<float> matrix, int rows, ReadOnlySpan<float> bias)
    {
        var width = bias.Length;
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * width, width);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Adds the sum of the rows of <paramref name="matrix"/> into <paramref name="sums"/>.</summary>
    public static void AddRowSums(ReadOnlySpan<float> matrix, int rows, Span<float> sums)
    {
        var width = sums.Length;
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sums, matrix.Slice(r * width, width), sums);
        }
    }
}
