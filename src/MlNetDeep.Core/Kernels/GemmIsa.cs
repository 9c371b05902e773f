namespace MlNetDeep.Kernels;

/// <summary>The instruction set a <see cref="Gemm"/> micro-kernel uses.</summary>
internal enum GemmIsa
{
    /// <summary>Portable scalar code.</summary>
    Scalar,

    /// <summary>AVX2 with FMA (256-bit).</summary>
    Avx2,

    /// <summary>AVX-512F (512-bit).</summary>
    Avx512,
}
