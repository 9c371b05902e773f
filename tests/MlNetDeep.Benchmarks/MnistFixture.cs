using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The yardstick's recipes on the committed MNIST training digits (batch 64, softmax cross-entropy): "mlp" is
/// 784-256-128-10 ReLU with Adam 1e-3; "lenet" and "lenet_bn" are LeNet-5 (with batch norm and dropout 0.5 for the
/// latter) with SGD 0.05, classical momentum 0.9. One <see cref="TrainStep"/> is zero-grad, forward, loss, backward (in lanes and chunks of rows where <see cref="Trainer"/> would take them), update.
/// </summary>
public sealed class MnistFixture
{
    private readonly Tensor _x;
    private readonly Tensor _y;
    private readonly Parameter[] _parameters;
    private readonly Tensor _batchX;
    private readonly Tensor _batchY;
    private readonly Tensor _grad;
    private readonly Loss _loss = new SoftmaxCrossEntropy();
    private readonly Optimizer _optimizer;
    private readonly ChunkedBatch _chunks;

    public MnistFixture(string model = "mlp", int batch = 64)
    {
        var train = Mnist.Load(DatasetPaths.Find("mnist"), "train");
        _x = train.Features;
        _y = train.LabelTensor();
        Network = model switch
        {
            "mlp" => DenseModels.Mlp([256, 128], 10, initializer: new MlNetDeep.Initializers.FanInUniform()),
            "lenet" => Architectures.LeNet5(),
            "lenet_bn" => Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f),
            _ => throw new ArgumentException($"Unknown model '{model}'."),
        };
        _optimizer = model == "mlp" ? new Adam(1e-3f) : new Momentum(0.05f, 0.9f) { Form = MomentumForm.Classical };
        Network.Build([1, 28, 28], new RandomSource(0));
        Network.ComputeInputGradient = false;
        _parameters = [.. Network.Parameters];
        Batch = batch;
        _batchX = new Tensor(batch, 1, 28, 28);
        _batchY = new Tensor(batch);
        _grad = new Tensor(batch, 10);
        _chunks = new ChunkedBatch(Network, _loss);
    }

    public Sequential Network { get; }

    public int Batch { get; }

    public int Rows => _x.Rows;

    public Tensor Features => _x;

    /// <summary>One optimisation step on the mini-batch starting at row <paramref name="i"/>·batch (wrapping).</summary>
    public void TrainStep(int i)
    {
        var start = i % (_x.Rows / Batch) * Batch;
        _x.CopyRowsTo(start, _batchX);
        _y.Data.AsSpan(start, Batch).CopyTo(_batchY.Span);
        foreach (var p in _parameters)
        {
            p.Gradient.Clear();
        }

        // As Trainer does: a batch of a network that computes each sample alone runs forward and backward in lanes and chunks.
        if (_chunks.Splits(Batch))
        {
            _chunks.Run(_batchX, _batchY, null, null);
        }
        else
        {
            var output = Network.Forward(_batchX, training: true);
            _loss.Compute(output, _batchY, _grad);
            Network.Backward(_grad);
        }

        _optimizer.Step(_parameters, _optimizer.LearningRate);
    }
}
