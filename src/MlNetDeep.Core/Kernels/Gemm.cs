namespace MlNetDeep.Kernels;

/// <summary>TEMPORARY naive stub (replaced by the gemm branch).</summary>
public static class Gemm
{
    /// <summary>stub</summary>
    public static unsafe void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                float s = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? a[(p * lda) + i] : a[(i * lda) + p];
                    var bv = transposeB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    s += av * bv;
                }

                c[(i * ldc) + j] = (alpha * s) + (beta == 0 ? 0 : beta * c[(i * ldc) + j]);
            }
        }
    }

    /// <summary>stub</summary>
    public static unsafe void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            Multiply(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }
}
