using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>Bad input gets an exception that says what was wrong and what was expected.</summary>
public class BadInputTests
{
    private static TrainingOptions Options => new() { Epochs = 1, BatchSize = 4 };

    [Test]
    public void FeaturesAndTargetsWithDifferentRowCountsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Trainer.Fit(DenseModels.Mlp([4], 3), TestData.Random(1, 10, 5), TestData.Labels(1, 9, 3), Options));
        Assert.That(e!.Message, Does.Contain("10 rows").And.Contain("9"));
    }

    [Test]
    public void FeaturesOfTheWrongWidthForABuiltNetworkAreRejected()
    {
        var net = DenseModels.Mlp([4], 3);
        net.Build([5], new RandomSource(1));
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(net, TestData.Random(1, 10, 6), TestData.Labels(1, 10, 3), Options));
        Assert.That(e!.Message, Does.Contain("[10, 6]").And.Contain("[N, 5]"));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void NonFiniteFeaturesAreRejectedWithTheirPosition(float bad)
    {
        var x = TestData.Random(1, 10, 5);
        x[(3 * 5) + 2] = bad;
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(DenseModels.Mlp([4], 3), x, TestData.Labels(1, 10, 3), Options));
        Assert.That(e!.Message, Does.Contain("row 3, column 2").And.Contain("finite"));
    }

    [Test]
    public void LabelsOutOfRangeAreRejected()
    {
        var y = TestData.Labels(1, 10, 3);
        y[4] = 3;
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(DenseModels.Mlp([4], 3), TestData.Random(1, 10, 5), y, Options));
        Assert.That(e!.Message, Does.Contain("label 3 at row 4").And.Contain("0..2"));
    }

    [Test]
    public void BinaryTargetsOutsideZeroOneAreRejected()
    {
        var y = new Tensor([0f, 1f, 2f, 0f], 4, 1);
        var options = Options;
        options.Loss = new BinaryCrossEntropy();
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(DenseModels.LogisticRegression(), TestData.Random(1, 4, 2), y, options));
        Assert.That(e!.Message, Does.Contain("[0, 1]"));
    }

    [Test]
    public void EmptyDataCannotBeMade()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tensor(0, 784));
        Assert.That(e!.Message, Does.Contain("[0, 784]"));
    }

    [Test]
    public void ALossThatBecomesNaNStopsTrainingAndNamesEpochAndBatch()
    {
        var x = TestData.Random(1, 64, 5);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= 1e3f;
        }

        var options = new TrainingOptions
        {
            Loss = new QuadraticCost(),
            Optimizer = new GradientDescent(1e3f),
            Epochs = 20,
            BatchSize = 8,
        };

        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(new Sequential(new Dense(8), new Dense(1)), x, TestData.Random(2, 64, 1), options));

        Assert.That(e!.Epoch, Is.GreaterThanOrEqualTo(1));
        Assert.That(e.Batch, Is.InRange(1, 8));
        Assert.That(e.Message, Does.Contain($"epoch {e.Epoch}, batch {e.Batch}"));
    }

    [Test]
    public void InvalidOptionsAreRejected()
    {
        var options = Options;
        options.BatchSize = 0;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Trainer.Fit(DenseModels.Mlp([4], 3), TestData.Random(1, 10, 5), TestData.Labels(1, 10, 3), options));
        Assert.That(e!.Message, Does.Contain("BatchSize"));
    }
}
