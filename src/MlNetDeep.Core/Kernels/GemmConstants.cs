namespace MlNetDeep.Kernels;

/// <summary>Cache-blocking parameters of <see cref="Gemm"/>.</summary>
internal static class GemmConstants
{
    /// <summary>Largest depth block: a kc×NR B micro-panel (32 KiB at 256) stays in L1.</summary>
    public const int MaxKc = 256;

    /// <summary>Largest row block per thread: an mc×kc packed A block (256 KiB) stays in L2.</summary>
    public const int MaxMc = 256;

    /// <summary>Largest column block: a kc×nc packed B block (up to 1 MiB) lives in L2/L3.</summary>
    public const int MaxNc = 1024;

    /// <summary>Below this many multiply-adds (m·n·k) a call runs on one thread.</summary>
    public const long ParallelThreshold = 64_000;
}
