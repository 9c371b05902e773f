using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>
/// AlexNet's training recipe (seed 000 §2.4, seed 001 "数据增强": mirror, random crop, PCA colour shift, then per-channel
/// normalisation) with a small CNN, trained end to end by the engine on the generated colour-shapes set and scored on a
/// held-out set generated from another seed.
/// </summary>
public sealed class AlexNetRecipeTests
{
    private const int TrainCount = 3000;
    private const int TestCount = 2000;

    /// <summary>Train on <c>Generate(3000, seed)</c>, test on <c>Generate(2000, 1000 + seed)</c>.</summary>
    private static (ClassificationData Train, ClassificationData Test) Data(ulong seed) =>
        (ColorShapes.Generate(TrainCount, seed), ColorShapes.Generate(TestCount, 1000 + seed));

    /// <summary>Random 32 × 32 crop of the 40 × 40 image, left–right mirror, PCA colour shift (σ = 0.1), per-channel normalisation.</summary>
    private static AugmentationPipeline Recipe(Tensor trainImages) => new(
        new RandomCrop(32, 32),
        new RandomMirror(),
        PcaColorShift.Fit(trainImages, sigma: 0.1),
        ChannelNormalizer.Fit(trainImages));

    private static TrainingOptions Options(ulong seed, BatchAugmentation? augmentation) => new()
    {
        Loss = new SoftmaxCrossEntropy(),
        Optimizer = new Adam(0.01f),
        Schedule = new OneCycle(0.01f),
        Epochs = 15,
        BatchSize = 32,
        Seed = seed,
        Augmentation = augmentation,
    };

    private static double Accuracy(Layer network, Tensor images, int[] labels)
    {
        var predicted = Inference.PredictClasses(network, images);
        return predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
    }

    /// <summary>The recipe as the trainer runs it: fresh crops, mirrors and colour shifts for every mini-batch of every epoch.</summary>
    private static double TrainWithAugmentation(ulong seed)
    {
        var (train, test) = Data(seed);
        var pipeline = Recipe(train.Features);
        var network = Architectures.SmallConvNet(ColorShapes.ClassCount);
        Trainer.Fit(network, train.Features, train.LabelTensor(), Options(seed, pipeline));

        // Scoring mode: the centre crop, no mirror, no colour shift, the same normalisation.
        return Accuracy(network, pipeline.Apply(test.Features, seed, 0, training: false), test.Labels);
    }

    /// <summary>The same network and schedule on the fixed centre crops (the pipeline in scoring mode), for comparison.</summary>
    private static double TrainWithoutAugmentation(ulong seed, Layer network, int epochs)
    {
        var (train, test) = Data(seed);
        var pipeline = Recipe(train.Features);
        var options = Options(seed, null);
        options.Epochs = epochs;
        Trainer.Fit(network, pipeline.Apply(train.Features, seed, 0, training: false), train.LabelTensor(), options);
        return Accuracy(network, pipeline.Apply(test.Features, seed, 0, training: false), test.Labels);
    }

    [TestCase(0UL)]
    public void AugmentedSmallConvNetClassifiesHeldOutShapes(ulong seed)
    {
        var accuracy = TrainWithAugmentation(seed);

        TestContext.Out.WriteLine($"seed {seed}: held-out accuracy {accuracy:P2}");
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.90));
    }

    [Test]
    public void LogisticRegressionStaysNearChance()
    {
        // Position, size, rotation and colours vary freely, so no linear function of the pixels separates the shapes:
        // the data set needs the convolutional network.
        var accuracy = TrainWithoutAugmentation(0, new Sequential(new Flatten(), new Dense(ColorShapes.ClassCount)), epochs: 15);

        TestContext.Out.WriteLine($"logistic regression: held-out accuracy {accuracy:P2}");
        Assert.That(accuracy, Is.LessThan(0.3));
    }

    [Test]
    [Explicit("The per-seed figures reported in datasets/README.md: 15 training runs, about 30 s on an idle machine.")]
    public void ReportSeedsZeroToFour()
    {
        for (var seed = 0UL; seed < 5; seed++)
        {
            var with = TrainWithAugmentation(seed);
            var without = TrainWithoutAugmentation(seed, Architectures.SmallConvNet(ColorShapes.ClassCount), epochs: 15);
            var linear = TrainWithoutAugmentation(seed, new Sequential(new Flatten(), new Dense(ColorShapes.ClassCount)), epochs: 15);
            TestContext.Out.WriteLine($"seed {seed}: with augmentation {with:P2}, without {without:P2}, logistic regression {linear:P2}");
            Assert.That(with, Is.GreaterThanOrEqualTo(0.90), $"seed {seed}");

            // Augmentation added 2.25 to 3.55 points on every seed (not asserted in the default run, to keep it short).
            Assert.That(with, Is.GreaterThan(without), $"seed {seed}");
        }
    }

    [Test]
    public void SmallConvNetHasItsParameterCount()
    {
        var network = Architectures.SmallConvNet();
        network.Build([3, 32, 32], new RandomSource(1));

        Assert.That(network.OutputShape.ToArray(), Is.EqualTo(new[] { 10 }));
        Assert.That(network.ParameterCount, Is.EqualTo(216 + 16 + 1152 + 32 + 4608 + 64 + (512 * 10) + 10));
        Assert.That(network.Buffers.Sum(b => b.Value.Length), Is.EqualTo(2 * (8 + 16 + 32)));
        Assert.That(Architectures.SmallConvNet(5, width: 4, keepProbability: 0.5f).Layers.OfType<Dropout>().Count(), Is.EqualTo(1));
    }
}
