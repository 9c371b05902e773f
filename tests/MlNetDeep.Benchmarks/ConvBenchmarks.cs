using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Convolution layers at batch 64, forward and backward. LeNet-5 on MNIST-sized input: C1 = 1→6 channels, 5x5, padding 2
/// on 28x28 (15.1 MFLOP forward), and C3 = 6→16 channels, 5x5, valid on 14x14 (30.7 MFLOP forward), through the direct
/// kernels. ResNet-18 on 32x32 images (Architectures.ResNet18(10, 32)), through the batch-folded GEMMs: the 7x7/2 stem,
/// 3x3 on 8x8 (whole), 3x3/2 on 8x8, the 1x1/2 projection, 3x3 on 2x2 (in parts) and 3x3 on 1x1 (trimmed to the centre
/// tap). Backward of C1 and the stem skips the input gradient, as for the first layer of a network; the others compute
/// ∂C/∂W, ∂C/∂b and ∂C/∂x.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private static readonly Dictionary<string, (int Ci, int Side, int Co, int K, int Stride, int Pad, bool First)> Layers = new()
    {
        ["C1 1-6 5x5 p2 28x28"] = (1, 28, 6, 5, 1, 2, true),
        ["C3 6-16 5x5 14x14"] = (6, 14, 16, 5, 1, 0, false),
        ["stem 3-64 7x7/2 32x32"] = (3, 32, 64, 7, 2, 3, true),
        ["64-64 3x3 8x8"] = (64, 8, 64, 3, 1, 1, false),
        ["64-128 3x3/2 8x8"] = (64, 8, 128, 3, 2, 1, false),
        ["64-128 1x1/2 8x8"] = (64, 8, 128, 1, 2, 0, false),
        ["256-256 3x3 2x2"] = (256, 2, 256, 3, 1, 1, false),
        ["512-512 3x3 1x1"] = (512, 1, 512, 3, 1, 1, false),
    };

    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;

    /// <summary>The layer.</summary>
    [Params("C1 1-6 5x5 p2 28x28", "C3 6-16 5x5 14x14", "stem 3-64 7x7/2 32x32", "64-64 3x3 8x8", "64-128 3x3/2 8x8", "64-128 1x1/2 8x8", "256-256 3x3 2x2", "512-512 3x3 1x1")]
    public string Layer { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var (ci, side, co, k, stride, pad, first) = Layers[Layer];
        _layer = new Conv2D(co, k, stride: stride, padding: pad, useBias: Layer.StartsWith('C'));
        int[] shape = [ci, side, side];
        var outputShape = _layer.Build(shape, new RandomSource(1));
        _layer.ComputeInputGradient = !first;
        _input = Random(2, [64, .. shape]);
        _outputGradient = Random(3, [64, .. outputShape]);
        _layer.Forward(_input, true);
        _layer.Backward(_outputGradient);
    }

    [Benchmark(Description = "forward b64")]
    public Tensor Forward() => _layer.Forward(_input, true);

    [Benchmark(Description = "backward b64")]
    public Tensor Backward() => _layer.Backward(_outputGradient);

    /// <summary>A tensor of standard normal values.</summary>
    internal static Tensor Random(ulong seed, int[] shape)
    {
        var r = new RandomSource(seed);
        var t = new Tensor(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = (float)r.NextGaussian();
        }

        return t;
    }
}
