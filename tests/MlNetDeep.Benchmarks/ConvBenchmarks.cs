using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The convolution layers of LeNet-5 on MNIST-sized input at batch 64: C1 = 1→6 channels, 5x5, padding 2 on 28x28
/// (15.1 MFLOP forward), and C3 = 6→16 channels, 5x5, valid on 14x14 (30.7 MFLOP forward). Backward of C1 skips the
/// input gradient, as for the first layer of a network; backward of C3 computes ∂C/∂W, ∂C/∂b and ∂C/∂x.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;

    /// <summary>The LeNet-5 layer.</summary>
    [Params("C1 1-6 5x5 p2 28x28", "C3 6-16 5x5 14x14")]
    public string Layer { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var first = Layer.StartsWith("C1", StringComparison.Ordinal);
        _layer = first ? new Conv2D(6, 5, padding: 2) : new Conv2D(16, 5);
        int[] shape = first ? [1, 28, 28] : [6, 14, 14];
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

    private static Tensor Random(ulong seed, int[] shape)
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
