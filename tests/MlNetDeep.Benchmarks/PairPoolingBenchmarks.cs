using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// LeNet-5's two 2×2 stride-2 max-poolings (6×28×28 → 6×14×14 and 16×10×10 → 16×5×5), forward (inference, as a
/// PredictionEngine runs them, and training, recording the positions) and backward, at batch 1 and at 32 rows (a
/// training lane), on one thread, with the default kernels (AVX-512 where the host has it, the 256-bit kernel for rows of
/// up to eight windows) and with the AVX2 ones alone.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class PairPoolingBenchmarks
{
    private MaxPool2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;
    private int _threads;

    /// <summary>The pooling's input, C×H×W.</summary>
    [Params("6x28x28", "16x10x10")]
    public string Plane { get; set; } = string.Empty;

    /// <summary>Rows a call.</summary>
    [Params(1, 32)]
    public int Rows { get; set; }

    /// <summary>"default" or "avx2".</summary>
    [Params("default", "avx2")]
    public string Kernels { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _threads = MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism;
        MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism = 1;
        PairPooling.Avx512Enabled = Kernels == "default";
        int[] shape = [.. Plane.Split('x').Select(int.Parse)];
        _layer = new MaxPool2D(2);
        _layer.Build(shape, new RandomSource(1));
        _input = ConvBenchmarks.Random(2, [Rows, .. shape]);
        _outputGradient = ConvBenchmarks.Random(3, [Rows, .. _layer.OutputShape]);
        _layer.Forward(_input, true);
        _layer.Backward(_outputGradient);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        MlNetDeep.Kernels.WorkerPool.MaxDegreeOfParallelism = _threads;
        PairPooling.Avx512Enabled = true;
    }

    [Benchmark(Description = "forward, inference")]
    public Tensor ForwardInference() => _layer.Forward(_input, false);

    [Benchmark(Description = "forward and backward, training")]
    public Tensor Training()
    {
        _layer.Forward(_input, true);
        return _layer.Backward(_outputGradient);
    }
}
