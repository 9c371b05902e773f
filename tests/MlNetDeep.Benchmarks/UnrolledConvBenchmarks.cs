using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The convolutions of ResNet's last stages at 32x32 (2x2 and 1x1 images, batch 64) through the unrolled path (the layer
/// as one dense matrix, the batch as one GEMM: <see cref="UnrolledConvolution"/>) against the batch-folded im2col path
/// they took before: forward, and backward with ∂C/∂W and ∂C/∂x.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class UnrolledConvBenchmarks
{
    private static readonly Dictionary<string, (int Ci, int Side, int Co, int Stride)> Layers = new()
    {
        ["256-256 3x3 2x2"] = (256, 2, 256, 1),
        ["256-512 3x3/2 2x2"] = (256, 2, 512, 2),
        ["512-512 3x3 1x1"] = (512, 1, 512, 1),
    };

    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;

    /// <summary>The layer.</summary>
    [Params("256-256 3x3 2x2", "256-512 3x3/2 2x2", "512-512 3x3 1x1")]
    public string Layer { get; set; } = string.Empty;

    /// <summary>"unrolled" (the default path for these shapes) or "folded" (im2col + GEMM with the samples side by side).</summary>
    [Params("unrolled", "folded")]
    public string Path { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var (ci, side, co, stride) = Layers[Layer];
        UnrolledConvolution.Enabled = Path == "unrolled";
        try
        {
            _layer = new Conv2D(co, 3, stride: stride, padding: 1, useBias: false);
            int[] shape = [ci, side, side];
            var outputShape = _layer.Build(shape, new RandomSource(1));
            _input = ConvBenchmarks.Random(2, [64, .. shape]);
            _outputGradient = ConvBenchmarks.Random(3, [64, .. outputShape]);
            _layer.Forward(_input, true);
            _layer.Backward(_outputGradient);
        }
        finally
        {
            UnrolledConvolution.Enabled = true;
        }
    }

    [Benchmark(Description = "forward b64")]
    public Tensor Forward() => _layer.Forward(_input, true);

    [Benchmark(Description = "backward b64")]
    public Tensor Backward() => _layer.Backward(_outputGradient);
}
