using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Graphs;

/// <summary>Hand-computed forward and backward values of residual additions and concatenations.</summary>
public class GraphForwardTests
{
    /// <summary>Sets W = [[1, 2], [3, -1]] and b = [0.5, -1].</summary>
    private static void SetHandWeights(Dense dense)
    {
        float[] w = [1, 2, 3, -1];
        w.CopyTo(dense.Weight.Value.Span);
        float[] b = [0.5f, -1];
        b.CopyTo(dense.Bias!.Value.Span);
    }

    [Test]
    public void ResidualBlockComputesReluOfMainPathPlusInput()
    {
        var dense = new Dense(2);
        var block = ResidualBlock.Create(dense);
        block.Build([2], new RandomSource(0));
        SetHandWeights(dense);
        var x = new Tensor([1, -2, 2, 1], 2, 2);

        var y = block.Forward(x, training: true);

        // f(x) = W·x + b: [-2.5, 4] and [4.5, 4]; plus x: [-1.5, 2] and [6.5, 5]; ReLU.
        Assert.That(y.Span.ToArray(), Is.EqualTo(new[] { 0f, 2f, 6.5f, 5f }));

        var dx = block.Backward(new Tensor([1, 1, 1, 1], 2, 2));

        // ReLU masks [0, 1] and [1, 1]; dx = dz (shortcut) + Wᵀ·dz (main path).
        Assert.That(dx.Span.ToArray(), Is.EqualTo(new[] { 3f, 0f, 5f, 2f }));
        Assert.That(dense.Weight.Gradient.Span.ToArray(), Is.EqualTo(new[] { 2f, 1f, 3f, -1f }));
        Assert.That(dense.Bias!.Gradient.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void ResidualBlockWithoutActivationReturnsTheSum()
    {
        var block = ResidualBlock.Create(new Dense(2), activate: false);
        block.Build([2], new RandomSource(0));
        SetHandWeights((Dense)block["main"].Layer!);

        var y = block.Forward(new Tensor([1, -2], 1, 2), training: false);

        Assert.That(y.Span.ToArray(), Is.EqualTo(new[] { -2.5f + 1f, 4f - 2f }));
        Assert.That(block.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "input", "main", "sum" }));
    }

    [Test]
    public void ConcatJoinsChannelsOfImageTensors()
    {
        var g = new Graph();
        var a = g.Add(new ReLU(), g.Input);
        var b = g.Add(new Tanh(), g.Input);
        g.SetOutput(g.Concat([a, b]));
        var shape = g.Build([2, 2, 3], new RandomSource(0));
        var x = TestData.Random(1, 4, 2, 2, 3);

        var y = g.Forward(x, training: false);

        Assert.That(shape, Is.EqualTo(new[] { 4, 2, 3 }));
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 4, 4, 2, 3 }));
        for (var n = 0; n < 4; n++)
        {
            for (var i = 0; i < 12; i++)
            {
                var v = x[(n * 12) + i];
                Assert.That(y[(n * 24) + i], Is.EqualTo(Math.Max(v, 0f)), $"sample {n}, ReLU channel value {i}");
                Assert.That(y[(n * 24) + 12 + i], Is.EqualTo(MathF.Tanh(v)).Within(1e-6f), $"sample {n}, tanh channel value {i}");
            }
        }
    }

    /// <summary>A concatenation large enough to be copied on every core (and sums of that size, split too) puts every value in its place at any core count.</summary>
    [Test]
    [NonParallelizable]
    public void LargeConcatenationsAndSumsAreTheSameOnAnyCoreCount()
    {
        var g = new Graph();
        var a = g.Add(new ReLU(), g.Input);
        var b = g.Add(new Conv2D(5, 1), g.Input);
        var c = g.Add(new Tanh(), g.Input);
        var sum = g.Sum([a, c]);
        g.SetOutput(g.Concat([a, b, sum, c]));
        g.Build([3, 40, 40], new RandomSource(0));
        var x = TestData.Random(1, 7, 3, 40, 40);
        var conv = (Conv2D)g.Nodes[2].Layer!;
        const int Plane = 1600;
        foreach (var degree in ThreadCounts.Degrees)
        {
            var y = ThreadCounts.With(degree, () => g.Forward(x, training: false).Span.ToArray());
            Assert.That(y.Length, Is.EqualTo(7 * 14 * Plane));
            for (var n = 0; n < 7; n++)
            {
                for (var i = 0; i < 3 * Plane; i++)
                {
                    var v = x[(n * 3 * Plane) + i];
                    var row = n * 14 * Plane;
                    Assert.That(y[row + i], Is.EqualTo(Math.Max(v, 0f)), $"{degree} threads, sample {n}, ReLU value {i}");
                    Assert.That(y[row + (8 * Plane) + i], Is.EqualTo(Math.Max(v, 0f) + MathF.Tanh(v)).Within(1e-6f), $"sum value {i}");
                    Assert.That(y[row + (11 * Plane) + i], Is.EqualTo(MathF.Tanh(v)).Within(1e-6f), $"tanh value {i}");
                }

                for (var o = 0; o < 5; o++)
                {
                    var p = 123 + o;
                    var expected = conv.Bias!.Value[o];
                    for (var ci = 0; ci < 3; ci++)
                    {
                        expected += conv.Weight.Value[(o * 3) + ci] * x[(n * 3 * Plane) + (ci * Plane) + p];
                    }

                    Assert.That(y[(n * 14 * Plane) + ((3 + o) * Plane) + p], Is.EqualTo(expected).Within(1e-5f), $"sample {n}, conv channel {o}");
                }
            }
        }
    }

    [Test]
    public void ConcatJoinsFeaturesAndSplitsTheGradient()
    {
        var g = new Graph();
        var a = g.Add(new Dense(2), g.Input, "a");
        var b = g.Add(new Dense(3), g.Input, "b");
        g.SetOutput(g.Concat([b, a]));
        g.Build([2], new RandomSource(0));
        var x = new Tensor([1, -2, 2, 1], 2, 2);

        var y = g.Forward(x, training: false);
        var ya = ((Dense)g["a"].Layer!).Forward(x, false).Span.ToArray();
        var yb = ((Dense)g["b"].Layer!).Forward(x, false).Span.ToArray();

        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 2, 5 }));
        Assert.That(y.Span.ToArray(), Is.EqualTo(new[] { yb[0], yb[1], yb[2], ya[0], ya[1], yb[3], yb[4], yb[5], ya[2], ya[3] }));

        g.Forward(x, training: false);
        g.Backward(new Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2, 5));

        // b's bias gradient sums its columns (0..2) over the rows, a's its columns (3..4).
        Assert.That(((Dense)g["b"].Layer!).Bias!.Gradient.Span.ToArray(), Is.EqualTo(new[] { 7f, 9f, 11f }));
        Assert.That(((Dense)g["a"].Layer!).Bias!.Gradient.Span.ToArray(), Is.EqualTo(new[] { 13f, 15f }));
    }

    [Test]
    public void FanOutSumsTheGradientsOfEveryConsumer()
    {
        // y = x + x + x through one input node read three times: dy/dx = 3.
        var g = new Graph();
        var r = g.Add(new Tanh(), g.Input);
        g.SetOutput(g.Sum([r, g.Input, g.Input]));
        g.Build([3], new RandomSource(0));
        var x = new Tensor([0.5f, -1, 2], 1, 3);

        var y = g.Forward(x, training: false);
        var dx = g.Backward(new Tensor([1, 1, 1], 1, 3));

        for (var i = 0; i < 3; i++)
        {
            var t = MathF.Tanh(x[i]);
            Assert.That(y[i], Is.EqualTo(t + (2 * x[i])).Within(1e-6f));
            Assert.That(dx[i], Is.EqualTo(2 + (1 - (t * t))).Within(1e-6f));
        }
    }

    [Test]
    public void ParameterGradientsDoNotDependOnComputeInputGradient()
    {
        float[] Gradients(bool computeInputGradient)
        {
            var g = ResidualBlock.Create(new Sequential(new Dense(4), new Tanh(), new Dense(4)), new Dense(4));
            g.Build([3], new RandomSource(5));
            g.ComputeInputGradient = computeInputGradient;
            g.Forward(TestData.Random(6, 5, 3), true);
            g.Backward(TestData.Random(7, 5, 4));
            return [.. g.Parameters.SelectMany(p => p.Gradient.Span.ToArray())];
        }

        Assert.That(Gradients(false), Is.EqualTo(Gradients(true)));
    }

    [Test]
    public void ParametersAreNamedByNodePath()
    {
        var block = ResidualBlock.Create(new Sequential(new Dense(4), new ReLU(), new Dense(4)), new Dense(4));
        var net = new Sequential(block, new Dense(2));
        net.Build([3], new RandomSource(0));

        Assert.That(block.ParameterNames(), Is.EqualTo(new[]
        {
            "main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias", "shortcut.weight", "shortcut.bias",
        }));
        Assert.That(net.ParameterNames(), Has.Count.EqualTo(net.Parameters.Count));
        Assert.That(net.ParameterNames()[0], Is.EqualTo("0.main.0.weight"));
        Assert.That(net.ParameterNames()[^1], Is.EqualTo("1.bias"));
        Assert.That(block.Parameters[4], Is.SameAs(((Dense)block["shortcut"].Layer!).Weight));
    }

    [Test]
    public void DefaultNodeNamesComeFromLayerNamesAndAreUnique()
    {
        var g = new Graph();
        var a = g.Add(new Dense(2), g.Input);
        var b = g.Add(new Dense(2) { Name = "fc.1" }, a);
        var c = g.Add(new Dense(2), b);
        var s = g.Sum([a, c]);

        Assert.That(g.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "input", "Dense", "fc_1", "Dense_1", "sum" }));
        Assert.That(s.Kind, Is.EqualTo(GraphNodeKind.Sum));
        Assert.That(s.InputNames, Is.EqualTo(new[] { "Dense", "Dense_1" }));
    }

    [Test]
    public void NodesMayNameInputsAddedLater()
    {
        var g = new Graph();
        g.SetOutput("out");
        g.Add(new Dense(3), "hidden", "out");
        g.Add(new Tanh(), "input", "hidden");

        var shape = g.Build([2], new RandomSource(0));

        Assert.That(shape, Is.EqualTo(new[] { 3 }));
        Assert.That(g.Output, Is.SameAs(g["out"]));
        Assert.That(g.Forward(TestData.Random(1, 2, 2), false).ShapeArray(), Is.EqualTo(new[] { 2, 3 }));
    }

    [Test]
    public void InceptionConcatenatesItsBranchesInOrder()
    {
        var g = InceptionBlock.Create(new Dense(3), new Sequential(new Dense(2), new ReLU()), new Tanh());

        var shape = g.Build([4], new RandomSource(0));

        Assert.That(shape, Is.EqualTo(new[] { 3 + 2 + 4 }));
        Assert.That(g.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "input", "branch0", "branch1", "branch2", "concat" }));
    }
}
