using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>The convolutional implementation of sliding windows equals running the classifier on every window.</summary>
public class SlidingWindowTests
{
    // The seed's network: 14 × 14 × 3 → 5 × 5 conv, 16 filters → 2 × 2 max pool → 5 × 5 × 16 → FC 400 → FC 400 → 4 classes.
    private static Sequential SeedClassifier()
    {
        var classifier = new Sequential(
            new Conv2D(16, 5), new ReLU(), new MaxPool2D(2), new Flatten(),
            new Dense(400), new ReLU(), new Dense(400), new ReLU(), new Dense(4));
        classifier.Build([3, 14, 14], new RandomSource(4));
        return classifier;
    }

    [Test]
    public void OnePassOverA16x16ImageGivesThe2x2GridOfWindowResults()
    {
        var classifier = SeedClassifier();
        var convolutional = SlidingWindows.ToConvolutional(classifier, [3, 16, 16]);
        var image = TestData.Random(7, 1, 3, 16, 16);

        var grid = convolutional.Forward(image, training: false);
        var perWindow = SlidingWindows.RunPerWindow(classifier, image, SlidingWindows.WindowStride(classifier));

        Assert.That(SlidingWindows.WindowStride(classifier), Is.EqualTo(2));
        Assert.That(grid.Shape.ToArray(), Is.EqualTo(new[] { 1, 4, 2, 2 }));
        Assert.That(convolutional.Layers.OfType<Conv2D>().Select(c => c.KernelSize), Is.EqualTo(new[] { (5, 5), (5, 5), (1, 1), (1, 1) }));
        Assert.That(perWindow.Shape.ToArray(), Is.EqualTo(new[] { 4, 2, 2 }));
        for (var i = 0; i < perWindow.Length; i++)
        {
            Assert.That(grid[i], Is.EqualTo(perWindow[i]).Within(1e-5), $"output {i}");
        }
    }

    [Test]
    public void ALargerImageGivesEveryWindowPosition()
    {
        var classifier = SeedClassifier();
        var convolutional = SlidingWindows.ToConvolutional(classifier, [3, 28, 28]);
        var image = TestData.Random(8, 1, 3, 28, 28);

        var grid = convolutional.Forward(image, training: false);
        var perWindow = SlidingWindows.RunPerWindow(classifier, image, 2);

        Assert.That(grid.Shape.ToArray(), Is.EqualTo(new[] { 1, 4, 8, 8 }));
        var worst = Enumerable.Range(0, perWindow.Length).Max(i => Math.Abs(grid[i] - perWindow[i]));
        Assert.That(worst, Is.LessThan(1e-5));
    }

    [Test]
    public void ALayerThatIsNotDenseOrElementwiseAfterTheFlattenIsRefused()
    {
        var classifier = new Sequential(new Conv2D(4, 3), new Flatten(), new Dense(8), new Softmax());
        classifier.Build([1, 6, 6], new RandomSource(1));

        Assert.That(() => SlidingWindows.ToConvolutional(classifier, [1, 10, 10]), Throws.TypeOf<NotSupportedException>().With.Message.Contains("Softmax"));
    }
}
