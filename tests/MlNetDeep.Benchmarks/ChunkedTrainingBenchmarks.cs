using BenchmarkDotNet.Attributes;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// LeNet-5's forward and backward pass on a batch of 256 digits, per image: the whole batch at once against the chunks of
/// 64 rows <see cref="Trainer"/> takes (<see cref="ChunkedBatch"/>), whose activations stay in cache. No optimizer step.
/// Images/s = 1 / the reported mean.
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

    [GlobalSetup]
    public void Setup()
    {
        var digits = Data.Mnist.Load(Data.DatasetPaths.Find("mnist"), "train").Subset([.. Enumerable.Range(0, 256)]);
        (_x, _y) = (digits.Features, digits.LabelTensor());
        _network = Architectures.LeNet5();
        _network.Build([1, 28, 28], new RandomSource(0));
        _network.ComputeInputGradient = false;
        _parameters = [.. _network.Parameters];
        _gradient = new Tensor(256, 10);
        _chunks = new ChunkedBatch(_network, _loss);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 256, Description = "whole batch of 256 (per image)")]
    public double Whole()
    {
        Clear();
        var cost = _loss.Compute(_network.Forward(_x, training: true), _y, _gradient);
        _network.Backward(_gradient);
        return cost;
    }

    [Benchmark(OperationsPerInvoke = 256, Description = "chunks of 64 rows (per image)")]
    public double Chunked()
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
