using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers;

/// <summary>Backpropagation against central differences for every layer, activation and loss (seed 001 "梯度检查").</summary>
public class GradientCheckTests
{
    private static IEnumerable<TestCaseData> Activations()
    {
        yield return new TestCaseData((Func<Layer>)(() => new Sigmoid())).SetName("Sigmoid");
        yield return new TestCaseData((Func<Layer>)(() => new Tanh())).SetName("Tanh");
        yield return new TestCaseData((Func<Layer>)(() => new ReLU())).SetName("ReLU");
        yield return new TestCaseData((Func<Layer>)(() => new LeakyReLU(0.1f))).SetName("LeakyReLU");
        yield return new TestCaseData((Func<Layer>)(() => new PReLU())).SetName("PReLU");
        yield return new TestCaseData((Func<Layer>)(() => new PReLU(0.2f, shared: true))).SetName("PReLU shared");
        yield return new TestCaseData((Func<Layer>)(() => new ELU(0.7f))).SetName("ELU");
        yield return new TestCaseData((Func<Layer>)(() => new SELU())).SetName("SELU");
        yield return new TestCaseData((Func<Layer>)(() => new Softmax())).SetName("Softmax");
        yield return new TestCaseData((Func<Layer>)(() => new Dropout(1f))).SetName("Dropout keep 1");
    }

    [TestCaseSource(nameof(Activations))]
    public void ActivationBetweenDenseLayersPassesGradientCheck(Func<Layer> activation)
    {
        var net = new Sequential(new Dense(7), activation(), new Dense(4));
        net.Build([5], new RandomSource(3));
        var x = TestData.Random(4, 6, 5);
        var y = TestData.Labels(5, 6, 4);

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCase(0f, 0f)]
    [TestCase(0.01f, 0f)]
    [TestCase(0f, 0.05f)]
    [TestCase(0.01f, 0.05f)]
    public void DeepNetworkWithRegularisationPassesGradientCheck(float l1, float l2)
    {
        var net = new Sequential(new Dense(8), new Tanh(), new Dense(6), new ELU(), new Dense(3));
        net.Build([4], new RandomSource(7));
        var x = TestData.Random(8, 5, 4);
        var y = TestData.Labels(9, 5, 3);

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, y, l1, l2);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.RelativeErrors.Keys, Does.Contain("0.weight").And.Contain("4.bias").And.Contain("input"));
    }

    [Test]
    public void QuadraticCostThroughSigmoidPassesGradientCheck()
    {
        var net = new Sequential(new Dense(3), new Sigmoid());
        net.Build([4], new RandomSource(11));
        var x = TestData.Random(12, 6, 4);
        var y = TestData.Uniform(13, 0, 1, 6, 3);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, y, l2: 0.1f);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void BinaryCrossEntropyOnLogitsPassesGradientCheck()
    {
        var net = new Sequential(new Dense(5), new LeakyReLU(), new Dense(1));
        net.Build([3], new RandomSource(21));
        var x = TestData.Random(22, 8, 3);
        var y = new Tensor([1f, 0f, 0f, 1f, 1f, 0f, 1f, 0f], 8, 1);

        var result = GradientCheck.Run(net, new BinaryCrossEntropy(), x, y, l1: 0.02f);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void SoftmaxCrossEntropyWithSoftLabelsPassesGradientCheck()
    {
        var net = new Sequential(new Dense(4));
        net.Build([3], new RandomSource(31));
        var x = TestData.Random(32, 5, 3);
        var y = TestData.Uniform(33, 0, 1, 5, 4);
        for (var r = 0; r < 5; r++)
        {
            var row = y.Row(r);
            var s = row.ToArray().Sum();
            for (var j = 0; j < 4; j++)
            {
                row[j] /= s;
            }
        }

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void SoftmaxCrossEntropyWithLabelSmoothingPassesGradientCheck()
    {
        var net = new Sequential(new Dense(5), new ReLU(), new Dense(4));
        net.Build([3], new RandomSource(35));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(labelSmoothing: 0.1f), TestData.Random(36, 6, 3), TestData.Labels(37, 6, 4));

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void GradientCheckDetectsAWrongGradient()
    {
        var net = new Sequential(new Dense(3), new BrokenSquare(), new Dense(2));
        net.Build([2], new RandomSource(41));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), TestData.Random(42, 4, 2), TestData.Labels(43, 4, 2));

        Assert.That(result.Passed, Is.False, result.ToString());
    }

    /// <summary>y = x² with a deliberately wrong derivative (x instead of 2x).</summary>
    private sealed class BrokenSquare : ElementwiseLayer
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training)
        {
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = x[i] * x[i];
            }
        }

        protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (var i = 0; i < x.Length; i++)
            {
                dx[i] = dy[i] * x[i];
            }
        }
    }
}
