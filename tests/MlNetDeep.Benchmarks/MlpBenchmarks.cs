using BenchmarkDotNet.Attributes;
using MlNetDeep.Tensors;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// MLP 784-256-128-10 on MNIST: training with Adam at batch 64 (per image), inference at batch 256 (per image),
/// and batch-1 latency. Images/s = 1 / the reported mean.
/// </summary>
[MemoryDiagnoser]
public class MlpBenchmarks
{
    private MnistFixture _fixture = null!;
    private Tensor _batch256 = null!;
    private Tensor _one = null!;
    private int _step;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new MnistFixture();
        _batch256 = new Tensor(256, 1, 28, 28);
        _fixture.Features.Data.AsSpan(0, 256 * 784).CopyTo(_batch256.Span);
        _one = new Tensor(1, 1, 28, 28);
        _fixture.Features.Data.AsSpan(0, 784).CopyTo(_one.Span);
    }

    [Benchmark(OperationsPerInvoke = 64 * 10, Description = "MLP train b64 Adam (per image)")]
    public void TrainBatch64()
    {
        for (var i = 0; i < 10; i++)
        {
            _fixture.TrainStep(_step++);
        }
    }

    [Benchmark(OperationsPerInvoke = 256, Description = "MLP infer b256 (per image)")]
    public Tensor InferBatch256() => _fixture.Network.Forward(_batch256, training: false);

    [Benchmark(Description = "MLP latency b1")]
    public Tensor LatencyBatch1() => _fixture.Network.Forward(_one, training: false);
}
