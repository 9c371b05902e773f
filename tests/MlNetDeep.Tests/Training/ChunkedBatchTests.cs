using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// A large mini-batch of a network that computes each sample alone trains in cache-sized chunks of rows: the same cost
/// and gradients as the whole batch at once (summed in another order), the same bits on any thread count.
/// </summary>
[NonParallelizable]
public class ChunkedBatchTests
{
    private static readonly ClassificationData Digits = Mnist.Load(DatasetPaths.Find("mnist"), "test");

    private static Sequential Built(Sequential network)
    {
        network.Build([1, 28, 28], new RandomSource(3));
        network.ComputeInputGradient = false;
        return network;
    }

    [Test]
    public void OnlyNetworksAndLossesThatKeepTheRowsApartAreChunkedAndTheChunksFitTheCache()
    {
        var loss = new SoftmaxCrossEntropy();
        var lenet = Built(Architectures.LeNet5());
        Assert.That(Trainer.ChunkRows(lenet, loss), Is.EqualTo(64), "6×28×28 floats a sample: 64 samples in 1.25 MB");
        Assert.That(64 * 6 * 28 * 28 * sizeof(float), Is.LessThanOrEqualTo(Trainer.ChunkBytes));
        Assert.That(Trainer.ChunkRows(Built(Architectures.LeNet5(batchNorm: true)), loss), Is.Zero, "batch statistics");
        Assert.That(Trainer.ChunkRows(Built(Architectures.LeNet5(keepProbability: 0.5f)), loss), Is.Zero, "dropout");
        Assert.That(Trainer.ChunkRows(lenet, new TripletLoss()), Is.Zero, "a loss that compares the rows");
        var mlp = DenseModels.Mlp([256, 128], 10);
        mlp.Build([784], new RandomSource(3));
        Assert.That(Trainer.ChunkRows(mlp, loss), Is.GreaterThanOrEqualTo(256), "small activations: a batch of 256 stays whole");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ChunksGiveTheWholeBatchsCostAndGradients(bool weighted)
    {
        const int rows = 200; // three chunks of 64 and one of 8
        var network = Built(Architectures.LeNet5());
        var loss = new SoftmaxCrossEntropy();
        var part = Digits.Subset([.. Enumerable.Range(0, rows)]);
        var (x, y) = (part.Features, part.LabelTensor());
        var weights = weighted ? Enumerable.Range(0, rows).Select(i => i % 7 == 0 ? 0f : 0.5f + (i % 5)).ToArray() : [];

        // The whole batch at once.
        Clear(network);
        var output = network.Forward(x, training: true);
        var gradient = new Tensor(rows, 10);
        var whole = weighted ? loss.Compute(output, y, gradient, weights) : loss.Compute(output, y, gradient);
        network.Backward(gradient);
        var expected = network.Parameters.Select(p => p.Gradient.Span.ToArray()).ToArray();

        Clear(network);
        var chunked = new ChunkedBatch(network, loss, 64).Run(x, y, weighted ? new Tensor(weights, rows) : null, null);
        Assert.That(chunked, Is.EqualTo(whole).Within(1e-6 * Math.Abs(whole)));
        for (var p = 0; p < expected.Length; p++)
        {
            var actual = network.Parameters[p].Gradient.Span.ToArray();
            var scale = expected[p].Max(Math.Abs);
            Assert.That(scale, Is.GreaterThan(0f), $"parameter {p} has a gradient");
            for (var i = 0; i < actual.Length; i++)
            {
                Assert.That(actual[i], Is.EqualTo(expected[p][i]).Within(1e-5f * scale), $"parameter {network.ParameterNames()[p]}[{i}]");
            }
        }
    }

    [Test]
    public void TrainingInChunksGivesTheSameBitsOnAnyThreadCount()
    {
        var train = Digits.Subset([.. Enumerable.Range(0, 512)]);
        float[][] Train(int degree) => ThreadCounts.With(degree, () =>
        {
            var net = Architectures.LeNet5();
            Trainer.Fit(net, train.Features, train.LabelTensor(), new TrainingOptions
            {
                Optimizer = new Momentum(0.05f, 0.9f),
                Epochs = 2,
                BatchSize = 256,
                Seed = 4,
                ValidationFraction = 0,
            });
            return net.Parameters.Select(p => p.Value.Span.ToArray()).ToArray();
        });

        var reference = Train(1);
        foreach (var degree in ThreadCounts.Degrees.Skip(1))
        {
            var other = Train(degree);
            for (var p = 0; p < reference.Length; p++)
            {
                Assert.That(other[p], Is.EqualTo(reference[p]), $"parameter {p} at {degree} threads");
            }
        }
    }

    [Test]
    public void AChunkedStepAllocatesNothingOnceWarm()
    {
        const int rows = 256;
        var network = Built(Architectures.LeNet5());
        var loss = new SoftmaxCrossEntropy();
        var part = Digits.Subset([.. Enumerable.Range(0, rows)]);
        var (x, y) = (part.Features, part.LabelTensor());
        var chunks = new ChunkedBatch(network, loss, 64);
        for (var i = 0; i < 3; i++)
        {
            chunks.Run(x, y, null, null);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            chunks.Run(x, y, null, null);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    private static void Clear(Layer network)
    {
        foreach (var p in network.Parameters)
        {
            p.Gradient.Clear();
        }
    }
}
