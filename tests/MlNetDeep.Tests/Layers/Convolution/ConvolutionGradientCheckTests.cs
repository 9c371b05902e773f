using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>Backpropagation through Conv2D and ConvTranspose2D against central differences (seed 001 "梯度检查").</summary>
public class ConvolutionGradientCheckTests
{
    private static IEnumerable<TestCaseData> Layers()
    {
        yield return Case("stride 1 valid", () => new Conv2D(3, 3), [2, 6, 6]);
        yield return Case("stride 2 valid", () => new Conv2D(3, 3, stride: 2), [2, 7, 7]);
        yield return Case("stride 1 same", () => new Conv2D(3, 3, padding: Padding.Same), [2, 5, 5]);
        yield return Case("stride 2 same", () => new Conv2D(3, 3, stride: 2, padding: Padding.Same), [2, 6, 5]);
        yield return Case("explicit asymmetric", () => new Conv2D(2, (3, 2), (2, 1), Padding.Explicit(2, 0, 1, 3)), [2, 5, 6]);
        yield return Case("dilation 2", () => new Conv2D(3, 3, dilation: 2, padding: 1), [2, 7, 7]);
        yield return Case("groups 2", () => new Conv2D(4, 3, padding: 1, groups: 2), [4, 5, 5]);
        yield return Case("depthwise", () => new Conv2D(3, 3, stride: 2, padding: Padding.Same, groups: 3), [3, 6, 6]);
        yield return Case("1x1", () => new Conv2D(4, 1), [3, 4, 4]);
        yield return Case("1x1 stride 2", () => new Conv2D(4, 1, stride: 2), [3, 5, 5]);
        yield return Case("no bias", () => new Conv2D(3, 3, padding: 1, useBias: false), [2, 5, 5]);
        yield return Case("transposed stride 2 output padding", () => new ConvTranspose2D(2, 3, stride: 2, padding: 1, outputPadding: 1), [3, 3, 3]);
        yield return Case("transposed stride 1", () => new ConvTranspose2D(3, (2, 3)), [2, 3, 4]);
        yield return Case("transposed same", () => new ConvTranspose2D(2, 3, stride: 2, padding: Padding.Same), [3, 3, 2]);
        yield return Case("transposed dilation groups", () => new ConvTranspose2D(4, 3, padding: 1, dilation: 2, groups: 2, useBias: false), [2, 3, 3]);
        yield return Case("transposed 1x1", () => new ConvTranspose2D(3, 1), [2, 3, 3]);
    }

    private static TestCaseData Case(string name, Func<Layer> create, int[] inputShape) =>
        new TestCaseData(create, inputShape).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Layers))]
    public void ConvolutionThenDensePassesGradientCheckWithSoftmaxCrossEntropy(Func<Layer> create, int[] inputShape)
    {
        var net = new Sequential(create(), new Tanh(), new Dense(3));
        net.Build(inputShape, new RandomSource(5));
        var x = TestData.Random(6, [3, .. inputShape]);
        var y = TestData.Labels(7, 3, 3);

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.RelativeErrors.Keys, Does.Contain("0.weight").And.Contain("input"));
    }

    [TestCaseSource(nameof(Layers))]
    public void ConvolutionAlonePassesGradientCheckWithQuadraticCost(Func<Layer> create, int[] inputShape)
    {
        var net = new Sequential(create());
        var outputShape = net.Build(inputShape, new RandomSource(8));
        var x = TestData.Random(9, [2, .. inputShape]);
        var y = TestData.Random(10, [2, .. outputShape]);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, y, l2: 0.05f);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void StackedConvolutionsPassGradientCheck()
    {
        // A small encoder-decoder: conv down, transposed conv up, 1x1 head.
        var net = new Sequential(
            new Conv2D(4, 3, stride: 2, padding: 1),
            new ReLU(),
            new ConvTranspose2D(3, 3, stride: 2, padding: 1, outputPadding: 1),
            new Tanh(),
            new Conv2D(2, 1),
            new Dense(3));
        net.Build([2, 6, 6], new RandomSource(11));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), TestData.Random(12, 3, 2, 6, 6), TestData.Labels(13, 3, 3));

        Assert.That(result.Passed, Is.True, result.ToString());
    }
}
