using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The 3x3 stride-1 convolutions of ResNet on 32x32 images (8x8 and 4x4 stages) and at 224x224 (14x14 and 7x7), the
/// inference pass of a batch through Winograd's F(4x4, 3x3) (<see cref="Winograd4Convolution"/>, taken for all four),
/// F(2x2, 3x3) (<see cref="WinogradConvolution"/>) and the batch-folded im2col + GEMM path, on one thread:
/// batch 128 at 32x32 (what each core runs when batch-256 inference is cut into one group per core), batch 16 at 224x224.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class WinogradConvBenchmarks
{
    private static readonly Dictionary<string, (int Channels, int Side)> Layers = new()
    {
        ["64-64 8x8"] = (64, 8),
        ["128-128 4x4"] = (128, 4),
        ["256-256 14x14"] = (256, 14),
        ["512-512 7x7"] = (512, 7),
    };

    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private int _threads;

    /// <summary>The layer.</summary>
    [Params("64-64 8x8", "128-128 4x4", "256-256 14x14", "512-512 7x7")]
    public string Layer { get; set; } = string.Empty;

    /// <summary>"winograd4" (the default: F(4x4) where taken, else F(2x2)), "winograd" (F(2x2) only) or "im2col".</summary>
    [Params("winograd4", "winograd", "im2col")]
    public string Path { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var (channels, side) = Layers[Layer];
        _threads = Kernels.WorkerPool.MaxDegreeOfParallelism;
        Kernels.WorkerPool.MaxDegreeOfParallelism = 1;
        WinogradConvolution.Enabled = Path != "im2col";
        Winograd4Convolution.Enabled = Path == "winograd4";
        try
        {
            _layer = new Conv2D(channels, 3, padding: 1, useBias: false);
            int[] shape = [channels, side, side];
            _layer.Build(shape, new RandomSource(1));
            _input = ConvBenchmarks.Random(2, [channels >= 256 ? 16 : 128, .. shape]);
            _layer.Forward(_input, false);
        }
        finally
        {
            WinogradConvolution.Enabled = true;
            Winograd4Convolution.Enabled = true;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Kernels.WorkerPool.MaxDegreeOfParallelism = _threads;

    [Benchmark(Description = "forward, 1 thread")]
    public Tensor Forward() => _layer.Forward(_input, false);
}
