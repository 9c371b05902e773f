using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// A mini-batch of one row through batch normalisation (issue 9, item 12): the layer refuses it, so the trainer leaves
/// out a last partial batch of one row (and counts only the rows trained), and a single training row is an error.
/// </summary>
public class BatchNormalizationBatchOfOneTests
{
    private const int BatchSize = 4;
    private const int Rows = (3 * BatchSize) + 1;

    private static Layer DenseWithBatchNorm() => new Sequential(new Dense(6), new BatchNormalization(), new ReLU(), new Dense(3));

    private static Layer GraphWithBatchNorm()
    {
        var graph = new Graph();
        var dense = graph.Add(new Dense(6), graph.Input);
        graph.SetOutput(graph.Add(new BatchNormalization(), dense));
        return new Sequential(graph, new Tanh(), new Dense(3));
    }

    private static Layer ConvWithBatchNorm() => new Sequential(new Conv2D(2, 1), new BatchNormalization(), new Flatten(), new Dense(3));

    private static Layer ConvOnOnePixelWithBatchNorm() => new Sequential(new Conv2D(2, 2), new BatchNormalization(), new Flatten(), new Dense(3));

    private static Layer WithoutBatchNorm() => new Sequential(new Dense(6), new ReLU(), new Dense(3));

    private static TrainingOptions Options(Optimizer optimizer, bool shuffle = true) => new()
    {
        Epochs = 2,
        BatchSize = BatchSize,
        Optimizer = optimizer,
        Shuffle = shuffle,
        Seed = 3,
    };

    private static (Tensor X, Tensor Y) Data(int rows, params int[] shape) => (TestData.Random(1, [rows, .. shape]), TestData.Labels(2, rows, 3));

    public static IEnumerable<TestCaseData> Networks()
    {
        yield return new TestCaseData((Func<Layer>)DenseWithBatchNorm, new[] { 5 }, 3).SetName("Dense batch norm: the last row of 13 is left out");
        yield return new TestCaseData((Func<Layer>)GraphWithBatchNorm, new[] { 5 }, 3).SetName("Batch norm inside a graph: the last row of 13 is left out");
        yield return new TestCaseData((Func<Layer>)ConvOnOnePixelWithBatchNorm, new[] { 1, 2, 2 }, 3).SetName("Batch norm on 1×1 maps: the last row of 13 is left out");
        yield return new TestCaseData((Func<Layer>)ConvWithBatchNorm, new[] { 1, 2, 2 }, 4).SetName("Batch norm on 2×2 maps: nothing is left out");
        yield return new TestCaseData((Func<Layer>)WithoutBatchNorm, new[] { 5 }, 4).SetName("Without batch norm: nothing is left out");
    }

    [TestCaseSource(nameof(Networks))]
    public void ALastBatchOfOneRowIsLeftOutOnlyWhenBatchNormCannotNormaliseIt(Func<Layer> network, int[] shape, int stepsPerEpoch)
    {
        var (x, y) = Data(Rows, shape);
        var optimizer = new Adam(1e-3f);

        var history = Trainer.Fit(network(), x, y, Options(optimizer));

        Assert.That(optimizer.Steps, Is.EqualTo(2 * stepsPerEpoch));
        var trained = stepsPerEpoch == 3 ? Rows - 1 : Rows;
        Assert.That(history.Epochs.Select(e => e.TrainRows), Is.All.EqualTo(trained));
        Assert.That(history.Epochs.Select(e => e.TrainLoss), Is.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void TheEpochLossAveragesOverTheRowsTrained()
    {
        // A learning rate of 0 keeps the network fixed, so the epoch's loss can be recomputed from its three batches
        // (batch normalisation's training output depends only on the batch); the thirteenth row is not among them.
        var (x, y) = Data(Rows, 5);
        var network = DenseWithBatchNorm();
        var loss = new SoftmaxCrossEntropy();
        var options = Options(new GradientDescent(0f), shuffle: false);
        options.Loss = loss;
        options.Epochs = 1;

        var history = Trainer.Fit(network, x, y, options);

        double sum = 0;
        for (var b = 0; b < 3; b++)
        {
            var rows = Enumerable.Range(b * BatchSize, BatchSize).ToArray();
            var output = network.Forward(Trainer.Gather(x, rows), training: true);
            sum += loss.Compute(output, Trainer.Gather(y, rows), null) * BatchSize;
        }

        Assert.That(history.Epochs[0].TrainRows, Is.EqualTo(12));
        Assert.That(history.Epochs[0].TrainLoss, Is.EqualTo(sum / 12).Within(1e-6));
    }

    [Test]
    public void ASingleTrainingRowWithBatchNormIsAnErrorNamingTheFix()
    {
        var (x, y) = Data(1, 5);
        var network = DenseWithBatchNorm();
        ((Sequential)network).Layers[1].Name = "bn";

        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, x, y, Options(new Adam())));

        Assert.That(e!.Message, Does.Contain("single row").And.Contain("'bn'").And.Contain("at least 2 rows").And.Contain("GroupNormalization"));
    }

    [Test]
    public void ValidationFractionLeavingOneTrainingRowWithBatchNormIsAnError()
    {
        var (x, y) = Data(2, 5);
        var options = Options(new Adam());
        options.ValidationFraction = 0.5;

        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(DenseWithBatchNorm(), x, y, options));

        Assert.That(e!.Message, Does.Contain("single row").And.Contain("validation").And.Contain("at least 2 rows"));
    }

    [Test]
    public void ABatchSizeOfOneWithBatchNormIsAnError()
    {
        var (x, y) = Data(Rows, 5);
        var options = Options(new Adam());
        options.BatchSize = 1;

        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(DenseWithBatchNorm(), x, y, options));

        Assert.That(e!.Message, Does.Contain("BatchSize is 1").And.Contain("BatchNormalization").And.Contain("GroupNormalization"));
    }

    [Test]
    public void ASingleRowWithoutBatchNormStillTrains()
    {
        var (x, y) = Data(1, 5);
        var optimizer = new Adam();

        Trainer.Fit(WithoutBatchNorm(), x, y, Options(optimizer));

        Assert.That(optimizer.Steps, Is.EqualTo(2));
    }
}
