using MlNetDeep.Data;
using MlNetDeep.Initializers;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>Training that diverges stops at the mini-batch where it happens, saying what became non-finite or exploded.</summary>
public class DivergenceTests
{
    private static readonly Lazy<ClassificationData> MnistSubset = new(() =>
        Mnist.Load(DatasetPaths.Find("mnist"), "train").Subset([.. Enumerable.Range(0, 640)]));

    private static TrainingOptions Options(Optimizer optimizer, int epochs = 3) => new()
    {
        Optimizer = optimizer,
        Epochs = epochs,
        BatchSize = 64,
        Seed = 1,
    };

    [Test]
    public void AdamAtLearningRateOneMillionOnMnistStopsWithEpochAndBatch()
    {
        var data = MnistSubset.Value;
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(DenseModels.Mlp([64], 10), data.Features, data.LabelTensor(), Options(new Adam(1e6f))));

        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Epoch, Is.EqualTo(1));
        Assert.That(e.Batch, Is.InRange(2, 10), "the first update already throws the weights far off");
        Assert.That(e.Cause, Is.EqualTo(DivergenceCause.LossExploded).Or.EqualTo(DivergenceCause.NonFiniteOutputs));
        Assert.That(e.Message, Does.Contain($"at epoch 1, batch {e.Batch}").And.Contain("learning rate 1E+06"));
        if (e.Cause == DivergenceCause.LossExploded)
        {
            Assert.That(e.LossValue, Is.GreaterThan(1e4 * 2));
            Assert.That(e.Message, Does.Contain("DivergenceFactor (1E+04) times the untrained network's loss 2."));
        }
    }

    [Test]
    public void WithDetectionOffTheSameRunTrainsToTheEnd()
    {
        var data = MnistSubset.Value;
        var options = Options(new Adam(1e6f), epochs: 2);
        options.DetectDivergence = false;
        var history = Trainer.Fit(DenseModels.Mlp([64], 10), data.Features, data.LabelTensor(), options);

        Assert.That(history.Epochs, Has.Count.EqualTo(2));
        Assert.That(history.Last.TrainLoss, Is.GreaterThan(1e4), "the run diverged, and nobody said so");
    }

    [Test]
    public void ANaNGradientIsCaughtAndItsParameterNamed()
    {
        var data = MnistSubset.Value;
        var poison = new GradientPoison(poisonedCall: 5);
        var network = new Sequential(new Flatten(), poison, new Dense(10));

        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(network, data.Features, data.LabelTensor(), Options(new Adam())));

        Assert.That(e!.Cause, Is.EqualTo(DivergenceCause.NonFiniteGradient));
        Assert.That(e.ParameterName, Is.EqualTo("1.poison"));
        Assert.That((e.Epoch, e.Batch), Is.EqualTo((1, 5)));
        Assert.That(e.Message, Does.Contain("gradient of parameter '1.poison'").And.Contain("epoch 1, batch 5").And.Contain("NaN at index 0"));
    }

    [Test]
    public void ANonFiniteParameterFromAFiniteGradientIsNamed()
    {
        var data = MnistSubset.Value;
        var optimizer = new PoisoningOptimizer(poisonedStep: 12);
        var network = DenseModels.Mlp([16], 10);
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(network, data.Features, data.LabelTensor(), Options(optimizer)));

        // 10 mini-batches an epoch: update 12 is the second of epoch 2.
        Assert.That(e!.Cause, Is.EqualTo(DivergenceCause.NonFiniteParameter));
        Assert.That((e.Epoch, e.Batch), Is.EqualTo((2, 2)));
        Assert.That(e.ParameterName, Is.EqualTo(network.ParameterNames()[0]));
        Assert.That(e.Message, Does.Contain($"Parameter '{e.ParameterName}' became non-finite").And.Contain("Infinity at index 3"));
    }

    [Test]
    public void ANonFiniteOutputIsCaughtBeforeTheLoss()
    {
        var data = MnistSubset.Value;
        var network = new Sequential(new Flatten(), new Dense(10), new OutputPoison(poisonedCall: 3));

        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(network, data.Features, data.LabelTensor(), Options(new Adam())));

        Assert.That(e!.Cause, Is.EqualTo(DivergenceCause.NonFiniteOutputs));
        Assert.That((e.Epoch, e.Batch), Is.EqualTo((1, 3)));
        Assert.That(e.Message, Does.Contain("outputs became non-finite").And.Contain("-Infinity at row 2 of the mini-batch, output 7"));
    }

    [Test]
    public void AGentleRegressionWithBatchesOfOneDoesNotTripTheBound()
    {
        // One row per mini-batch, and the untrained network (all zeros) predicts the first row almost exactly: its loss
        // alone (5e-7) would make every later row's look like an explosion; the mean over the first 32 rows does not.
        var random = new RandomSource(4);
        var x = new Tensor(200, 2);
        var y = new Tensor(200, 1);
        for (var i = 0; i < 200; i++)
        {
            x[i, 0] = i == 0 ? 5e-4f : random.NextFloat();
            x[i, 1] = i == 0 ? 0f : random.NextFloat();
            y[i] = (2 * x[i, 0]) - x[i, 1];
        }

        var history = Trainer.Fit(new Sequential(new Dense(1, new Zeros(), new Zeros())), x, y, new TrainingOptions
        {
            Loss = new QuadraticCost(),
            Optimizer = new GradientDescent(0.05f),
            Epochs = 5,
            BatchSize = 1,
            Shuffle = false,
            Seed = 2,
        });

        Assert.That(history.Last.TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss));
    }

    [TestCase(1.0)]
    [TestCase(0.5)]
    [TestCase(double.NaN)]
    public void ADivergenceFactorOfOneOrLessIsRejected(double factor)
    {
        var options = Options(new Adam());
        options.DivergenceFactor = factor;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Trainer.Fit(DenseModels.Mlp([4], 3), TestData.Random(1, 10, 5), TestData.Labels(1, 10, 3), options));
        Assert.That(e!.Message, Does.Contain("DivergenceFactor"));
    }

    /// <summary>y = x; a parameter that never affects the output, whose gradient becomes NaN on one backward call.</summary>
    private sealed class GradientPoison(int poisonedCall) : Layer
    {
        private Parameter? _poison;
        private int _calls;

        public override IReadOnlyList<Parameter> Parameters => [_poison!];

        protected override int[] OnBuild(int[] inputShape, RandomSource random)
        {
            _poison = new Parameter("poison", false, 3);
            return inputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training) => input;

        protected override Tensor OnBackward(Tensor outputGradient)
        {
            if (++_calls == poisonedCall)
            {
                _poison!.Gradient[0] = float.NaN;
            }

            return outputGradient;
        }
    }

    /// <summary>y = x, except that one forward call in training sets one output to −∞.</summary>
    private sealed class OutputPoison(int poisonedCall) : Layer
    {
        private Tensor? _output;
        private int _calls;

        protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            var output = Tensor.Ensure(ref _output, input.Rows, InputShape);
            input.Span.CopyTo(output.Span);
            if (training && ++_calls == poisonedCall)
            {
                output[2, 7] = float.NegativeInfinity;
            }

            return output;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }

    /// <summary>Gradient descent that, on one update, writes +∞ into the first parameter it updates.</summary>
    private sealed class PoisoningOptimizer(long poisonedStep) : Optimizer(0.01f)
    {
        private long _lastStep;

        protected override void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step)
        {
            for (var i = 0; i < value.Length; i++)
            {
                value[i] -= learningRate * gradient[i];
            }

            if (step == poisonedStep && _lastStep != step)
            {
                value[3] = float.PositiveInfinity;
            }

            _lastStep = step;
        }
    }
}
