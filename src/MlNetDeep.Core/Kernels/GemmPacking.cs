using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Kernels;

/// <summary>
/// Packing of op(A) into MR-row panels (<c>dst[p·MR + i]</c>) and of op(B) into NR-column panels
/// (<c>dst[p·NR + j]</c>), zero-padding partial panels, so the micro-kernel reads both with unit stride.
/// </summary>
internal static unsafe class GemmPacking
{
    private const int MR = GemmMicroKernels.MR;
    private const int NR = GemmMicroKernels.NR;

    /// <summary>Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A); panel r starts at <c>dst + r·MR·kc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            PackAPanel(transA, a, lda, i0 + ir, Math.Min(MR, mc - ir), p0, kc, dst + ((nint)ir * kc));
        }
    }

    /// <summary>Packs one MR×kc panel of op(A) holding <paramref name="mr"/> real rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAPanel(bool transA, float* a, nint lda, int i0, int mr, int p0, int kc, float* dst)
    {
        if (transA)
        {
            // op(A)(i, p) = a[p·lda + i]: each depth step is MR contiguous values.
            float* src = a + ((nint)p0 * lda) + i0;
            if (mr == MR && MR == 8 && Vector256.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++)
                {
                    Vector256.Store(Vector256.Load(src), dst + (p * MR));
                    src += lda;
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (p * MR);
                    int i = 0;
                    for (; i < mr; i++)
                    {
                        d[i] = src[i];
                    }

                    for (; i < MR; i++)
                    {
                        d[i] = 0f;
                    }

                    src += lda;
                }
            }

            return;
        }

        // op(A)(i, p) = a[i·lda + p]: transpose row segments into the panel.
        float* rows = a + ((nint)i0 * lda) + p0;
        int done = 0;
        if (mr == MR && MR == 8 && Avx.IsSupported)
        {
            for (; done + 8 <= kc; done += 8)
            {
                Transpose8x8(rows + done, lda, dst + (done * MR), MR);
            }
        }

        for (int i = 0; i < mr; i++)
        {
            float* src = rows + (i * lda);
            for (int p = done; p < kc; p++)
            {
                dst[(p * MR) + i] = src[p];
            }
        }

        for (int i = mr; i < MR; i++)
        {
            for (int p = done; p < kc; p++)
            {
                dst[(p * MR) + i] = 0f;
            }
        }
    }

    /// <summary>Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B); panel r starts at <c>dst + r·NR·kc</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nc, float* dst)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            PackBPanel(transB, b, ldb, p0, kc, j0 + jr, Math.Min(NR, nc - jr), dst + ((nint)jr * kc));
        }
    }

    /// <summary>Packs one kc×NR panel of op(B) holding <paramref name="nr"/> real columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nr, float* dst)
    {
        if (!transB)
        {
            // op(B)(p, j) = b[p·ldb + j]: each depth step is NR contiguous values.
            float* src = b + ((nint)p0 * ldb) + j0;
            if (nr == NR && Vector512.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (p * NR);
                    Vector512.Store(Vector512.Load(src), d);
                    Vector512.Store(Vector512.Load(src + 16), d + 16);
                    src += ldb;
                }
            }
            else if (nr == NR && Vector256.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (p * NR);
                    Vector256.Store(Vector256.Load(src), d);
                    Vector256.Store(Vector256.Load(src + 8), d + 8);
                    Vector256.Store(Vector256.Load(src + 16), d + 16);
                    Vector256.Store(Vector256.Load(src + 24), d + 24);
                    src += ldb;
                }
            }
            else if (Avx512F.IsSupported)
            {
                Vector512<float> mask0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr)).AsSingle();
                Vector512<float> mask1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr - 16)).AsSingle();
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (p * NR);
                    Vector512.Store(Avx512F.MaskLoad(src, mask0, Vector512<float>.Zero), d);
                    Vector512.Store(Avx512F.MaskLoad(src + 16, mask1, Vector512<float>.Zero), d + 16);
                    src += ldb;
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (p * NR);
                    int j = 0;
                    for (; j < nr; j++)
                    {
                        d[j] = src[j];
                    }

                    for (; j < NR; j++)
                    {
                        d[j] = 0f;
                    }

                    src += ldb;
                }
            }

            return;
        }

        // op(B)(p, j) = b[j·ldb + p]: transpose 8-column groups.
        float* cols = b + ((nint)j0 * ldb) + p0;
        int fullGroups = Avx.IsSupported ? nr / 8 : 0;
        for (int g = 0; g < fullGroups; g++)
        {
            float* src = cols + ((nint)(g * 8) * ldb);
            float* d = dst + (g * 8);
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                Transpose8x8(src + p, ldb, d + (p * NR), NR);
            }

            for (; p < kc; p++)
            {
                for (int j = 0; j < 8; j++)
                {
                    d[(p * NR) + j] = src[(j * ldb) + p];
                }
            }
        }

        for (int j = fullGroups * 8; j < NR; j++)
        {
            if (j < nr)
            {
                float* src = cols + (j * ldb);
                for (int p = 0; p < kc; p++)
                {
                    dst[(p * NR) + j] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    dst[(p * NR) + j] = 0f;
                }
            }
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="src"/> to <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + (2 * srcStride));
        Vector256<float> r3 = Avx.LoadVector256(src + (3 * srcStride));
        Vector256<float> r4 = Avx.LoadVector256(src + (4 * srcStride));
        Vector256<float> r5 = Avx.LoadVector256(src + (5 * srcStride));
        Vector256<float> r6 = Avx.LoadVector256(src + (6 * srcStride));
        Vector256<float> r7 = Avx.LoadVector256(src + (7 * srcStride));

        Vector256<float> t0 = Avx.UnpackLow(r0, r1);
        Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3);
        Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5);
        Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7);
        Vector256<float> t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44);
        Vector256<float> u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44);
        Vector256<float> u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44);
        Vector256<float> u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44);
        Vector256<float> u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + (4 * dstStride), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + (5 * dstStride), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + (6 * dstStride), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + (7 * dstStride), Avx.Permute2x128(u3, u7, 0x31));
    }
}
