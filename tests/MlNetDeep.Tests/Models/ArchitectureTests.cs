using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Models;

/// <summary>The architectures' shapes and parameter counts from the seeds and papers.</summary>
public class ArchitectureTests
{
    private static int[] Shapes(Sequential net, params int[] input)
    {
        net.Build(input, new RandomSource(1));
        return [.. net.Layers.Select(l => l.OutputShape[^1])];
    }

    [Test]
    public void LeNet5ClassicHasTheSeedsParameterCounts()
    {
        var net = Architectures.LeNet5Classic(rbfOutput: true);
        net.Build([1, 28, 28], new RandomSource(1));
        long Count(string name) => net.Layers.Single(l => l.Name == name).ParameterCount;

        Assert.That(Count("C1"), Is.EqualTo(156));
        Assert.That(Count("S2"), Is.EqualTo(12));
        Assert.That(Count("C3"), Is.EqualTo(1516));
        Assert.That(Count("S4"), Is.EqualTo(32));
        Assert.That(Count("C5"), Is.EqualTo(48120));
        Assert.That(Count("F6"), Is.EqualTo(10164));
        Assert.That(Count("OUTPUT"), Is.EqualTo(840));
        Assert.That(net.Layers.Single(l => l.Name == "C1").OutputShape.ToArray(), Is.EqualTo(new[] { 6, 28, 28 }));
        Assert.That(net.Layers.Single(l => l.Name == "C3").OutputShape.ToArray(), Is.EqualTo(new[] { 16, 10, 10 }));
        Assert.That(net.Layers.Single(l => l.Name == "C5").OutputShape.ToArray(), Is.EqualTo(new[] { 120, 1, 1 }));
    }

    [Test]
    public void LeNet5ModernMatchesTheYardsticksNetwork()
    {
        var net = Architectures.LeNet5();
        net.Build([1, 28, 28], new RandomSource(1));
        Assert.That(net.ParameterCount, Is.EqualTo(156 + 2416 + (400 * 120) + 120 + (120 * 84) + 84 + (84 * 10) + 10));
        var bn = Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f);
        bn.Build([1, 28, 28], new RandomSource(1));
        Assert.That(bn.ParameterCount, Is.EqualTo(net.ParameterCount + (2 * 6) + (2 * 16)));
    }

    [TestCase(227)]
    [TestCase(224)]
    public void AlexNetHasThePapersShapesAndAbout60MillionParameters(int side)
    {
        var net = Architectures.AlexNet(inputSize: side);
        var sides = new List<int>();
        net.Build([3, side, side], new RandomSource(1));
        foreach (var layer in net.Layers.Where(l => l is Conv2D or MaxPool2D))
        {
            sides.Add(layer.OutputShape[1]);
        }

        Assert.That(sides, Is.EqualTo(new[] { 55, 27, 27, 13, 13, 13, 13, 6 }));
        Assert.That(net.ParameterCount, Is.EqualTo(60_965_224));
        Assert.That(net.OutputShape.ToArray(), Is.EqualTo(new[] { 1000 }));
    }

    [Test]
    public void AlexNetRejectsOtherSides()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Architectures.AlexNet(inputSize: 256));
        Assert.That(e!.Message, Does.Contain("227").And.Contain("224"));
    }

    [Test]
    public void Vgg16Has138357544Parameters()
    {
        var net = Architectures.Vgg16();
        net.Build([3, 224, 224], new RandomSource(1));
        Assert.That(net.ParameterCount, Is.EqualTo(138_357_544));
        Assert.That(net.Layers.OfType<Conv2D>().Count(), Is.EqualTo(13));
    }

    [Test]
    public void Vgg11AndResNetsHaveTheirPublishedCounts()
    {
        var vgg11 = Architectures.Vgg11();
        vgg11.Build([3, 224, 224], new RandomSource(1));
        Assert.That(vgg11.ParameterCount, Is.EqualTo(132_863_336));

        var r18 = Architectures.ResNet18();
        r18.Build([3, 224, 224], new RandomSource(1));
        Assert.That(r18.ParameterCount, Is.EqualTo(11_689_512), "torchvision's resnet18");

        var r34 = Architectures.ResNet34();
        r34.Build([3, 224, 224], new RandomSource(1));
        Assert.That(r34.ParameterCount, Is.EqualTo(21_797_672), "torchvision's resnet34");
    }

    [Test]
    public void ResidualAndInceptionBlocksPassGradientCheck()
    {
        var net = new Sequential(
            new Conv2D(4, 3, padding: 1),
            Architectures.BasicBlock(4, 4),
            Architectures.BasicBlock(4, 6, stride: 2),
            Architectures.InceptionModule(2, 2, 3, 1, 2, 2),
            new Flatten(),
            new Dense(3));
        net.Build([2, 6, 6], new RandomSource(5));

        // Batch-norm statistics over a batch of 8, and ε = 3e-4 to keep ReLU/max-pool kinks out of the central
        // differences; what remains is float32 noise through ~15 layers and the odd kink (the errors fall as ε does;
        // each layer alone passes at 2e-3 in its own tests, and most tensors here are at 1e-4 to 1e-3).
        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), TestData.Random(6, 8, 2, 6, 6), TestData.Labels(7, 8, 3), training: true, epsilon: 3e-4, tolerance: 2e-2);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void ConvolutionalTrainingIsReproducibleWithTheSameSeed()
    {
        double[] Run()
        {
            var x = TestData.Random(1, 96, 1, 12, 12);
            var y = TestData.Labels(2, 96, 4);
            var net = new Sequential(new Conv2D(6, 3, padding: 1), new BatchNormalization(), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4));
            var history = Trainer.Fit(net, x, y, new TrainingOptions { Epochs = 3, BatchSize = 32, Seed = 4, Optimizer = new MlNetDeep.Optimizers.Adam(1e-2f) });
            return [.. history.Epochs.Select(e => e.TrainLoss)];
        }

        // Both cores share each batch; per-chunk accumulators reduced in a fixed order keep the sums bit-identical.
        Assert.That(Run(), Is.EqualTo(Run()));
    }

    [Test]
    public void SmallInceptionAndClassicLeNetRunForwardAndBackward()
    {
        foreach (var net in new[] { Architectures.SmallInception(), Architectures.LeNet5Classic() })
        {
            net.Build([1, 28, 28], new RandomSource(2));
            var y = net.Forward(TestData.Random(3, 2, 1, 28, 28), training: true);
            Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 10 }), net.Name);
            net.Backward(TestData.Random(4, 2, 10));
        }
    }
}
