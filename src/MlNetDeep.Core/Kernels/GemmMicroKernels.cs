using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Kernels;

/// <summary>
/// The 8×32 register-tile micro-kernels of <see cref="Gemm"/>: C[8×32] = alpha·(Σₚ a[p]ᵀ·b[p]) + beta·C,
/// where a[p] is the p-th column of the A micro-panel (MR floats at <c>a + p·aStride</c>) and b[p] the
/// p-th row of the B micro-panel (NR floats at <c>b + p·bStride</c>). beta == 0 never reads C.
/// Generated code (one variable per accumulator so the JIT keeps them in registers).
/// </summary>
internal static unsafe class GemmMicroKernels
{
    /// <summary>Rows of the register tile.</summary>
    public const int MR = 8;

    /// <summary>Columns of the register tile.</summary>
    public const int NR = 32;

    /// <summary>AVX-512F kernel: 2·MR zmm accumulators, B rows as two zmm loads, A values broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512(nint kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero;
        Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero;
        Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero;
        Vector512<float> c40 = Vector512<float>.Zero, c41 = Vector512<float>.Zero;
        Vector512<float> c50 = Vector512<float>.Zero, c51 = Vector512<float>.Zero;
        Vector512<float> c60 = Vector512<float>.Zero, c61 = Vector512<float>.Zero;
        Vector512<float> c70 = Vector512<float>.Zero, c71 = Vector512<float>.Zero;
        for (nint p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            a += aStride;
            b += bStride;
        }

        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Avx512F.Store(c + 0 * ldc, Avx512F.Multiply(c00, va));
            Avx512F.Store(c + 0 * ldc + 16, Avx512F.Multiply(c01, va));
            Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c10, va));
            Avx512F.Store(c + 1 * ldc + 16, Avx512F.Multiply(c11, va));
            Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c20, va));
            Avx512F.Store(c + 2 * ldc + 16, Avx512F.Multiply(c21, va));
            Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c30, va));
            Avx512F.Store(c + 3 * ldc + 16, Avx512F.Multiply(c31, va));
            Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c40, va));
            Avx512F.Store(c + 4 * ldc + 16, Avx512F.Multiply(c41, va));
            Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c50, va));
            Avx512F.Store(c + 5 * ldc + 16, Avx512F.Multiply(c51, va));
            Avx512F.Store(c + 6 * ldc, Avx512F.Multiply(c60, va));
            Avx512F.Store(c + 6 * ldc + 16, Avx512F.Multiply(c61, va));
            Avx512F.Store(c + 7 * ldc, Avx512F.Multiply(c70, va));
            Avx512F.Store(c + 7 * ldc + 16, Avx512F.Multiply(c71, va));
        }
        else if (beta == 1f)
        {
            Avx512F.Store(c + 0 * ldc, Avx512F.FusedMultiplyAdd(c00, va, Avx512F.LoadVector512(c + 0 * ldc)));
            Avx512F.Store(c + 0 * ldc + 16, Avx512F.FusedMultiplyAdd(c01, va, Avx512F.LoadVector512(c + 0 * ldc + 16)));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c10, va, Avx512F.LoadVector512(c + 1 * ldc)));
            Avx512F.Store(c + 1 * ldc + 16, Avx512F.FusedMultiplyAdd(c11, va, Avx512F.LoadVector512(c + 1 * ldc + 16)));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c20, va, Avx512F.LoadVector512(c + 2 * ldc)));
            Avx512F.Store(c + 2 * ldc + 16, Avx512F.FusedMultiplyAdd(c21, va, Avx512F.LoadVector512(c + 2 * ldc + 16)));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c30, va, Avx512F.LoadVector512(c + 3 * ldc)));
            Avx512F.Store(c + 3 * ldc + 16, Avx512F.FusedMultiplyAdd(c31, va, Avx512F.LoadVector512(c + 3 * ldc + 16)));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c40, va, Avx512F.LoadVector512(c + 4 * ldc)));
            Avx512F.Store(c + 4 * ldc + 16, Avx512F.FusedMultiplyAdd(c41, va, Avx512F.LoadVector512(c + 4 * ldc + 16)));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c50, va, Avx512F.LoadVector512(c + 5 * ldc)));
            Avx512F.Store(c + 5 * ldc + 16, Avx512F.FusedMultiplyAdd(c51, va, Avx512F.LoadVector512(c + 5 * ldc + 16)));
            Avx512F.Store(c + 6 * ldc, Avx512F.FusedMultiplyAdd(c60, va, Avx512F.LoadVector512(c + 6 * ldc)));
            Avx512F.Store(c + 6 * ldc + 16, Avx512F.FusedMultiplyAdd(c61, va, Avx512F.LoadVector512(c + 6 * ldc + 16)));
            Avx512F.Store(c + 7 * ldc, Avx512F.FusedMultiplyAdd(c70, va, Avx512F.LoadVector512(c + 7 * ldc)));
            Avx512F.Store(c + 7 * ldc + 16, Avx512F.FusedMultiplyAdd(c71, va, Avx512F.LoadVector512(c + 7 * ldc + 16)));
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c + 0 * ldc, Avx512F.FusedMultiplyAdd(c00, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 0 * ldc), vb)));
            Avx512F.Store(c + 0 * ldc + 16, Avx512F.FusedMultiplyAdd(c01, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 0 * ldc + 16), vb)));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c10, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 1 * ldc), vb)));
            Avx512F.Store(c + 1 * ldc + 16, Avx512F.FusedMultiplyAdd(c11, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 1 * ldc + 16), vb)));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c20, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 2 * ldc), vb)));
            Avx512F.Store(c + 2 * ldc + 16, Avx512F.FusedMultiplyAdd(c21, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 2 * ldc + 16), vb)));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c30, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 3 * ldc), vb)));
            Avx512F.Store(c + 3 * ldc + 16, Avx512F.FusedMultiplyAdd(c31, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 3 * ldc + 16), vb)));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c40, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 4 * ldc), vb)));
            Avx512F.Store(c + 4 * ldc + 16, Avx512F.FusedMultiplyAdd(c41, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 4 * ldc + 16), vb)));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c50, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 5 * ldc), vb)));
            Avx512F.Store(c + 5 * ldc + 16, Avx512F.FusedMultiplyAdd(c51, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 5 * ldc + 16), vb)));
            Avx512F.Store(c + 6 * ldc, Avx512F.FusedMultiplyAdd(c60, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 6 * ldc), vb)));
            Avx512F.Store(c + 6 * ldc + 16, Avx512F.FusedMultiplyAdd(c61, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 6 * ldc + 16), vb)));
            Avx512F.Store(c + 7 * ldc, Avx512F.FusedMultiplyAdd(c70, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 7 * ldc), vb)));
            Avx512F.Store(c + 7 * ldc + 16, Avx512F.FusedMultiplyAdd(c71, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 7 * ldc + 16), vb)));
        }
    }

    /// <summary>
    /// AVX-512F edge kernel for tiles with at most 16 real columns (<paramref name="nr"/>) and
    /// <paramref name="mr"/> real rows: MR×16 accumulators, masked stores straight into C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512Narrow(nint kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c0 = Vector512<float>.Zero;
        Vector512<float> c1 = Vector512<float>.Zero;
        Vector512<float> c2 = Vector512<float>.Zero;
        Vector512<float> c3 = Vector512<float>.Zero;
        Vector512<float> c4 = Vector512<float>.Zero;
        Vector512<float> c5 = Vector512<float>.Zero;
        Vector512<float> c6 = Vector512<float>.Zero;
        Vector512<float> c7 = Vector512<float>.Zero;
        for (nint p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += aStride;
            b += bStride;
        }

        Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr)).AsSingle();
        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> vb = Vector512.Create(beta);
        if (mr > 0)
        {
            StoreRow(c + (0 * ldc), c0, mask, va, vb, beta);
        }

        if (mr > 1)
        {
            StoreRow(c + (1 * ldc), c1, mask, va, vb, beta);
        }

        if (mr > 2)
        {
            StoreRow(c + (2 * ldc), c2, mask, va, vb, beta);
        }

        if (mr > 3)
        {
            StoreRow(c + (3 * ldc), c3, mask, va, vb, beta);
        }

        if (mr > 4)
        {
            StoreRow(c + (4 * ldc), c4, mask, va, vb, beta);
        }

        if (mr > 5)
        {
            StoreRow(c + (5 * ldc), c5, mask, va, vb, beta);
        }

        if (mr > 6)
        {
            StoreRow(c + (6 * ldc), c6, mask, va, vb, beta);
        }

        if (mr > 7)
        {
            StoreRow(c + (7 * ldc), c7, mask, va, vb, beta);
        }

    }

    /// <summary>Writes rows [0, mr) × columns [0, nr) of an MR×NR tile (row stride NR) into C with alpha and beta, using masked AVX-512 stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512StoreTile(float* tile, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> mask0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr)).AsSingle();
        Vector512<float> mask1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr - 16)).AsSingle();
        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> vb = Vector512.Create(beta);
        for (int i = 0; i < mr; i++)
        {
            StoreRow(c, Avx512F.LoadVector512(tile), mask0, va, vb, beta);
            StoreRow(c + 16, Avx512F.LoadVector512(tile + 16), mask1, va, vb, beta);
            c += ldc;
            tile += NR;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> acc, Vector512<float> mask, Vector512<float> va, Vector512<float> vb, float beta)
    {
        Vector512<float> value = Avx512F.Multiply(acc, va);
        if (beta != 0f)
        {
            value = Avx512F.FusedMultiplyAdd(Avx512F.MaskLoad(c, mask, Vector512<float>.Zero), vb, value);
        }

        Avx512F.MaskStore(c, mask, value);
    }

    /// <summary>
    /// AVX2+FMA kernel for machines without AVX-512 (16 ymm registers): the tile is computed as
    /// 4-row × 16-column sub-tiles (8 accumulators each), one pass over the panels per sub-tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2(nint kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        for (int half = 0; half < 2; half++)
        {
            float* bh = b + (half * 16);
            float* ch = c + (half * 16);
            Avx2Rows4(kc, a + 0, aStride, bh, bStride, ch + (0 * ldc), ldc, alpha, beta);
            Avx2Rows4(kc, a + 4, aStride, bh, bStride, ch + (4 * ldc), ldc, alpha, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Rows4(nint kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = Vector256<float>.Zero, c01 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero, c11 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero, c21 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero, c31 = Vector256<float>.Zero;
        for (nint p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(ai, b0, c00);
            c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(ai, b0, c10);
            c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(ai, b0, c20);
            c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(ai, b0, c30);
            c31 = Fma.MultiplyAdd(ai, b1, c31);
            a += aStride;
            b += bStride;
        }

        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Avx.Store(c + 0 * ldc + 0, Avx.Multiply(c00, va));
            Avx.Store(c + 0 * ldc + 8, Avx.Multiply(c01, va));
            Avx.Store(c + 1 * ldc + 0, Avx.Multiply(c10, va));
            Avx.Store(c + 1 * ldc + 8, Avx.Multiply(c11, va));
            Avx.Store(c + 2 * ldc + 0, Avx.Multiply(c20, va));
            Avx.Store(c + 2 * ldc + 8, Avx.Multiply(c21, va));
            Avx.Store(c + 3 * ldc + 0, Avx.Multiply(c30, va));
            Avx.Store(c + 3 * ldc + 8, Avx.Multiply(c31, va));
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Avx.Store(c + 0 * ldc + 0, Fma.MultiplyAdd(c00, va, Avx.Multiply(Avx.LoadVector256(c + 0 * ldc + 0), vb)));
            Avx.Store(c + 0 * ldc + 8, Fma.MultiplyAdd(c01, va, Avx.Multiply(Avx.LoadVector256(c + 0 * ldc + 8), vb)));
            Avx.Store(c + 1 * ldc + 0, Fma.MultiplyAdd(c10, va, Avx.Multiply(Avx.LoadVector256(c + 1 * ldc + 0), vb)));
            Avx.Store(c + 1 * ldc + 8, Fma.MultiplyAdd(c11, va, Avx.Multiply(Avx.LoadVector256(c + 1 * ldc + 8), vb)));
            Avx.Store(c + 2 * ldc + 0, Fma.MultiplyAdd(c20, va, Avx.Multiply(Avx.LoadVector256(c + 2 * ldc + 0), vb)));
            Avx.Store(c + 2 * ldc + 8, Fma.MultiplyAdd(c21, va, Avx.Multiply(Avx.LoadVector256(c + 2 * ldc + 8), vb)));
            Avx.Store(c + 3 * ldc + 0, Fma.MultiplyAdd(c30, va, Avx.Multiply(Avx.LoadVector256(c + 3 * ldc + 0), vb)));
            Avx.Store(c + 3 * ldc + 8, Fma.MultiplyAdd(c31, va, Avx.Multiply(Avx.LoadVector256(c + 3 * ldc + 8), vb)));
        }
    }

    /// <summary>Portable kernel (no SIMD requirement): a scalar loop over the tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scalar(nint kc, float* a, nint aStride, float* b, nint bStride, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (nint p = 0; p < kc; p++)
        {
            for (int i = 0; i < MR; i++)
            {
                float ai = a[i];
                float* row = acc + (i * NR);
                for (int j = 0; j < NR; j++)
                {
                    row[j] += ai * b[j];
                }
            }

            a += aStride;
            b += bStride;
        }

        for (int i = 0; i < MR; i++)
        {
            float* row = acc + (i * NR);
            float* ci = c + (i * ldc);
            for (int j = 0; j < NR; j++)
            {
                ci[j] = beta == 0f ? alpha * row[j] : (alpha * row[j]) + (beta * ci[j]);
            }
        }
    }
}
