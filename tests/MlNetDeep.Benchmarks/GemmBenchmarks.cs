using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MlNetDeep.Kernels;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// SGEMM throughput at 1024³ and at the layer shapes of an MLP 784-256-128-10 (batch 64 training,
/// batch 256 inference), and of two batch-folded convolutions of ResNet at 32x32. Shapes are "XY_MxNxK" with X/Y = N (plain) or T (transposed) for A/B.
/// The GFLOP/s column is 2·m·n·k / mean time.
/// </summary>
[Config(typeof(GemmBenchmarkConfig))]
public unsafe class GemmBenchmarks
{
    private float* a;
    private float* b;
    private float* c;
    private bool transA;
    private bool transB;
    private int m;
    private int n;
    private int k;

    /// <summary>The shape, see the class summary.</summary>
    [Params(
        "NN_1024x1024x1024",
        "NN_64x256x784",   // forward layer 1, batch 64: X[64×784]·W[784×256]
        "NN_64x128x256",   // forward layer 2
        "NN_64x10x128",    // forward layer 3
        "NT_64x784x256",   // dX = dY[64×256]·W[784×256]ᵀ
        "TN_784x256x64",   // dW = X[64×784]ᵀ·dY[64×256]
        "NT_64x256x784",   // forward with W stored [out, in]: X[64×784]·W[256×784]ᵀ
        "NN_256x256x784",  // inference, batch 256
        "NN_256x128x256",
        "NN_256x10x128",
        "NN_128x256x1152", // 3x3 convolution 128→128 on 4x4 images, 16 samples folded (ResNet at 32x32)
        "NN_64x1024x576")] // 3x3 convolution 64→64 on 8x8 images, 16 samples folded
    public string Shape { get; set; } = "NN_64x256x784";

    /// <summary>Allocates and fills the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (transA, transB, m, n, k) = GemmShape.Parse(Shape);
        a = Allocate((long)m * k, 1);
        b = Allocate((long)k * n, 2);
        c = Allocate((long)m * n, 3);
    }

    /// <summary>Frees the operands.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
    }

    /// <summary>C = op(A)·op(B) (beta = 0).</summary>
    [Benchmark]
    public void Multiply() =>
        Gemm.Multiply(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, 0f, c, n);

    private static float* Allocate(long count, int seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
        var random = new Random(seed);
        for (long i = 0; i < count; i++)
        {
            p[i] = (float)(random.NextDouble() - 0.5);
        }

        return p;
    }
}
