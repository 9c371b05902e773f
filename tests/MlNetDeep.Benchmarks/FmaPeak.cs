using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The machine's fused multiply-add peak, measured (<c>yardstick peak [--threads N]</c>): each of N threads runs twelve
/// independent chains of vector FMAs (512-bit where AVX-512 is available, 256-bit otherwise), which covers the FMA
/// latency of every x86 core in use today; 7 rounds of 0.3 s, the median GFLOP/s over all threads (2 per lane per FMA).
/// The side-by-side table quotes every workload's GFLOP/s as a share of this figure.
/// </summary>
public static class FmaPeak
{
    private const long Iterations = 1 << 20;

    public static void Run(YardstickOptions options)
    {
        var threads = Math.Max(1, options.Threads);
        var lanes = Avx512F.IsSupported ? 16 : 8;
        Chains(1000);
        var rates = new List<double>();
        for (var round = 0; round < 7; round++)
        {
            var counts = new long[threads];
            var seconds = new double[threads];
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var clock = Stopwatch.StartNew();
                long n = 0;
                while (clock.Elapsed.TotalSeconds < 0.3)
                {
                    Chains(Iterations);
                    n += Iterations;
                }

                counts[t] = n;
                seconds[t] = clock.Elapsed.TotalSeconds;
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());

            // 12 FMAs an iteration, each 2 flops a lane.
            rates.Add(Enumerable.Range(0, threads).Sum(t => counts[t] * 12.0 * 2 * lanes / seconds[t]) / 1e9);
        }

        SideBySide.Emit("peak", "gflop_per_s", rates, threads);
    }

    /// <summary>Twelve independent FMA chains; the result is consumed so the loop cannot be removed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations)
    {
        if (Avx512F.IsSupported)
        {
            var m = Vector512.Create(0.999f);
            var c = Vector512.Create(1e-3f);
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            Vector512<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (long i = 0; i < iterations; i++)
            {
                a0 = Avx512F.FusedMultiplyAdd(a0, m, c);
                a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
                a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
                a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
                a4 = Avx512F.FusedMultiplyAdd(a4, m, c);
                a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
                a6 = Avx512F.FusedMultiplyAdd(a6, m, c);
                a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
                a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
                a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
                a10 = Avx512F.FusedMultiplyAdd(a10, m, c);
                a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
            }

            return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
        }

        if (!Fma.IsSupported)
        {
            throw new PlatformNotSupportedException("The FMA peak needs AVX2 with FMA or AVX-512.");
        }

        var m8 = Vector256.Create(0.999f);
        var c8 = Vector256.Create(1e-3f);
        Vector256<float> b0 = Vector256.Create(1f), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0;
        Vector256<float> b6 = b0, b7 = b0, b8 = b0, b9 = b0, b10 = b0, b11 = b0;
        for (long i = 0; i < iterations; i++)
        {
            b0 = Fma.MultiplyAdd(b0, m8, c8);
            b1 = Fma.MultiplyAdd(b1, m8, c8);
            b2 = Fma.MultiplyAdd(b2, m8, c8);
            b3 = Fma.MultiplyAdd(b3, m8, c8);
            b4 = Fma.MultiplyAdd(b4, m8, c8);
            b5 = Fma.MultiplyAdd(b5, m8, c8);
            b6 = Fma.MultiplyAdd(b6, m8, c8);
            b7 = Fma.MultiplyAdd(b7, m8, c8);
            b8 = Fma.MultiplyAdd(b8, m8, c8);
            b9 = Fma.MultiplyAdd(b9, m8, c8);
            b10 = Fma.MultiplyAdd(b10, m8, c8);
            b11 = Fma.MultiplyAdd(b11, m8, c8);
        }

        return (b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11).ToScalar();
    }
}
