using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// DeepLab's atrous convolutions (64→64, 3x3 on 32x32 at rates 2, 3 and 4, batch 8, as in the side-by-side DeepLab row),
/// which run as ordinary convolutions on the image's phases (<see cref="PhaseSplitConvolution"/>): the phases gathered and
/// scattered back through tables ("tables", the default) or by the per-row loops ("rows"); inference forward and a training
/// step's backward, on every core.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class DilatedConvBenchmarks
{
    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _gradient = null!;

    /// <summary>The dilation rate.</summary>
    [Params(2, 3, 4)]
    public int Rate { get; set; }

    /// <summary>"tables" or "rows".</summary>
    [Params("tables", "rows")]
    public string Path { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        PhaseSplitConvolution.ByTables = Path == "tables";
        _layer = new Conv2D(64, 3, padding: Padding.Same, dilation: Rate);
        int[] shape = [64, 32, 32];
        _layer.Build(shape, new RandomSource(1));
        _input = ConvBenchmarks.Random(2, [8, .. shape]);
        _gradient = ConvBenchmarks.Random(3, [8, .. shape]);
        _layer.Forward(_input, true);
        _layer.Backward(_gradient);
    }

    [GlobalCleanup]
    public void Cleanup() => PhaseSplitConvolution.ByTables = true;

    [Benchmark(Description = "inference forward b8")]
    public Tensor Forward() => _layer.Forward(_input, false);

    [Benchmark(Description = "training backward b8")]
    public Tensor Backward() => _layer.Backward(_gradient);
}
