using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Graphs;

/// <summary>Backpropagation through graphs against central differences (seed 001 "梯度检查").</summary>
public class GraphGradientCheckTests
{
    private static IEnumerable<TestCaseData> Networks()
    {
        yield return Case("fan-out to three consumers", [4], () =>
        {
            var g = new Graph();
            var h = g.Add(new Dense(5), g.Input, "h");
            var t = g.Add(new Tanh(), h, "t");
            var a = g.Add(new Dense(3), t, "a");
            var b = g.Add(new Sequential(new Dense(3), new Sigmoid()), t, "b");
            var c = g.Add(new Dense(3), t, "c");
            g.SetOutput(g.Sum([a, b, c]));
            return g;
        });
        yield return Case("residual, identity shortcut", [4], () =>
            ResidualBlock.Create(new Sequential(new Dense(4), new Tanh(), new Dense(4))));
        yield return Case("residual, ELU after the sum", [4], () =>
            ResidualBlock.Create(new Sequential(new Dense(4), new Tanh(), new Dense(4)), activation: new ELU()));
        yield return Case("residual, projection shortcut", [4], () =>
            ResidualBlock.Create(new Sequential(new Dense(6), new Tanh(), new Dense(6)), new Dense(6)));
        yield return Case("residual, no activation", [3], () =>
            ResidualBlock.Create(new Sequential(new Dense(5), new Sigmoid(), new Dense(3)), activate: false));
        yield return Case("concatenation", [4], () =>
        {
            var g = new Graph();
            var a = g.Add(new Dense(2), g.Input);
            var b = g.Add(new Sequential(new Dense(3), new Tanh()), g.Input);
            var c = g.Concat([a, b, g.Input]);
            g.SetOutput(g.Add(new Dense(3), c));
            return g;
        });
        yield return Case("Inception on images", [2, 2, 3], () =>
            new Sequential(InceptionBlock.Create(new Tanh(), new Sigmoid(), new ELU()), new Dense(3)));
        yield return Case("graph inside a chain", [5], () =>
            new Sequential(
                new Dense(4),
                new Tanh(),
                ResidualBlock.Create(new Sequential(new Dense(4), new ReLU(), new Dense(4)), activation: new Tanh()),
                ResidualBlock.Create(new Sequential(new Dense(3), new Tanh(), new Dense(3)), new Dense(3))));
        yield return Case("chains and graphs inside a graph", [4], () =>
        {
            var g = new Graph();
            var stem = g.Add(new Sequential(new Dense(5), new Tanh()), g.Input, "stem");
            var inner = g.Add(ResidualBlock.Create(new Sequential(new Dense(5), new Tanh(), new Dense(5)), activation: new Tanh()), stem, "res");
            var wide = g.Add(InceptionBlock.Create(new Dense(2), new Sequential(new Dense(2), new Sigmoid())), stem, "wide");
            var joined = g.Concat([inner, wide, g.Input]);
            g.SetOutput(g.Add(new Dense(3), joined, "head"));
            return g;
        });
        yield return Case("sum of the same node twice", [3], () =>
        {
            var g = new Graph();
            var a = g.Add(new Dense(3), g.Input);
            var b = g.Add(new Tanh(), a);
            g.SetOutput(g.Sum([b, b, a]));
            return g;
        });
    }

    private static TestCaseData Case(string name, int[] inputShape, Func<Layer> create) =>
        new TestCaseData(create, inputShape).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Networks))]
    public void GraphPassesGradientCheck(Func<Layer> create, int[] inputShape)
    {
        var net = create();
        var classes = net.Build(inputShape, new RandomSource(3))[0];
        var x = TestData.Random(4, [6, .. inputShape]);
        var y = TestData.Labels(5, 6, classes);

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), x, y);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.RelativeErrors.Keys, Does.Contain("input"));
        Assert.That(result.RelativeErrors, Has.Count.EqualTo(net.Parameters.Count + 1), "every parameter has its own name");
    }

    [Test]
    public void InputGradientFlowsThroughTheShortcutAndTheMainPath()
    {
        // With the main path's last layer at zero, only the shortcut carries the input gradient; otherwise both do.
        var block = ResidualBlock.Create(new Sequential(new Dense(4), new Tanh(), new Dense(4)), activation: new Tanh());
        block.Build([4], new RandomSource(8));
        var x = TestData.Random(9, 5, 4);
        var y = TestData.Labels(10, 5, 4);

        var full = GradientCheck.Run(block, new SoftmaxCrossEntropy(), x, y);
        var main = (Sequential)block["main"].Layer!;
        foreach (var p in main.Layers[2].Parameters)
        {
            p.Value.Clear();
        }

        var shortcutOnly = GradientCheck.Run(block, new SoftmaxCrossEntropy(), x, y);

        Assert.That(full.Passed, Is.True, full.ToString());
        Assert.That(shortcutOnly.RelativeErrors["input"], Is.LessThan(2e-3), shortcutOnly.ToString());
        Assert.That(full.RelativeErrors["main.0.weight"], Is.LessThan(2e-3));
    }
}
