using BenchmarkDotNet.Attributes;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Inference at batch 256 on the MNIST networks, per image: one forward pass whose layers split their work between the
/// threads, against <see cref="BatchPredictor"/>, which gives each thread a group of rows and a copy of the network.
/// Images/s = 1 / the reported mean.
/// </summary>
[MemoryDiagnoser]
public class BatchPredictorBenchmarks
{
    private MnistFixture _fixture = null!;
    private BatchPredictor _predictor = null!;
    private Tensor _batch256 = null!;

    /// <summary>The network: "mlp" or "lenet".</summary>
    [Params("mlp", "lenet")]
    public string Model { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new MnistFixture(Model);
        _batch256 = new Tensor(256, 1, 28, 28);
        _fixture.Features.CopyRowsTo(0, _batch256);
        _predictor = new BatchPredictor(_fixture.Network);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 256, Description = "one forward pass, layers split (per image)")]
    public Tensor OnePass() => _fixture.Network.Forward(_batch256, training: false);

    [Benchmark(OperationsPerInvoke = 256, Description = "BatchPredictor, a group of rows a thread (per image)")]
    public Tensor Groups() => _predictor.Predict(_batch256);
}
