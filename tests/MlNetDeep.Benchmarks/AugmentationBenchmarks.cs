using BenchmarkDotNet.Attributes;
using MlNetDeep.Kernels;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Augmentation throughput for AlexNet's recipe (<see cref="AugmentationFixture"/>: random 224 crop of 3 × 256 × 256,
/// mirror, PCA colour shift) on a batch of 64, with the worker pool on both cores and on one. Images/s = 1 / the
/// reported time (per image). Compare with one training step of a network that consumes such images:
/// <c>yardstick resnet18</c> (batch 8 at 224 × 224).
/// </summary>
[MemoryDiagnoser]
public class AugmentationBenchmarks
{
    private const int Batch = 64;
    private AugmentationFixture _fixture = null!;
    private int _savedDegree;

    /// <summary>Threads the worker pool uses (<see cref="WorkerPool.MaxDegreeOfParallelism"/>).</summary>
    [Params(2, 1)]
    public int Cores { get; set; }

    /// <summary>Whether the pipeline runs crop, mirror and colour shift in one pass (the default) or step by step.</summary>
    [Params(true, false)]
    public bool Fused { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _savedDegree = WorkerPool.MaxDegreeOfParallelism;
        WorkerPool.MaxDegreeOfParallelism = Cores;
        _fixture = new AugmentationFixture(Batch, Fused);
        _fixture.Step();
    }

    [GlobalCleanup]
    public void Cleanup() => WorkerPool.MaxDegreeOfParallelism = _savedDegree;

    [Benchmark(OperationsPerInvoke = Batch, Description = "crop 224 + mirror + PCA, b64 (per image)")]
    public void CropMirrorPca() => _fixture.Step();
}
