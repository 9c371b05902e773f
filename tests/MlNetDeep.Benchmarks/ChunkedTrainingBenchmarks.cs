using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// LeNet-5's forward and backward pass on a batch of 64 or 256 digits: the whole batch at once (each layer's work split
/// across the cores) against the lanes of 32 rows <see cref="Trainer"/> takes (<see cref="ChunkedBatch"/>: each on its
/// own copy of the network on one core, the lanes' gradients added once a batch). No optimizer step. Images/s = batch /
/// the reported mean.
/// </summary>
[MemoryDiagnoser]
public class ChunkedTrainingBenchmarks
{
    private readonly Loss _loss = new SoftmaxCrossEntropy();
    private ChunkedBatch _chunks = null!;
    private Sequential _network = null!;
    private Parameter[] _parameters = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _gradient = null!;

    /// <summary>The batch's rows.</summary>
    [Params(64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var digits = Data.Mnist.Load(Data.DatasetPaths.Find("mnist"), "train").Subset([.. Enumerable.Range(0, Batch)]);
        (_x, _y) = (digits.Features, digits.LabelTensor());
        _network = Architectures.LeNet5();
        _network.Build([1, 28, 28], new RandomSource(0));
        _network.ComputeInputGradient = false;
        _parameters = [.. _network.Parameters];
        _gradient = new Tensor(Batch, 10);
        _chunks = new ChunkedBatch(_network, _loss);
    }

    [Benchmark(Baseline = true, Description = "whole batch, layers split across the cores")]
    public double Whole()
    {
        Clear();
        var cost = _loss.Compute(_network.Forward(_x, training: true), _y, _gradient);
        _network.Backward(_gradient);
        return cost;
    }

    [Benchmark(Description = "lanes of 32 rows, one core each")]
    public double Lanes()
    {
        Clear();
        return _chunks.Run(_x, _y, null, null);
    }

    private void Clear()
    {
        foreach (var p in _parameters)
        {
            p.Gradient.Clear();
        }
    }
}
