using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers.Graphs;

/// <summary>Wiring mistakes are reported clearly, naming the nodes and shapes.</summary>
public class GraphValidationTests
{
    private static RandomSource Random => new(0);

    [Test]
    public void CycleIsReportedAtBuildNamingItsNodes()
    {
        var g = new Graph();
        g.Add(new Dense(3), "b", "a");
        g.Add(new Dense(3), "a", "b");
        var c = g.Sum(["input", "b"], "c");
        g.SetOutput(c);

        var e = Assert.Throws<InvalidOperationException>(() => g.Build([3], Random));

        Assert.That(e!.Message, Does.Contain("cycle").And.Contain("'a' -> 'b' -> 'a'").Or.Contain("'b' -> 'a' -> 'b'"));
    }

    [Test]
    public void MissingInputIsReportedAtBuild()
    {
        var g = new Graph();
        g.SetOutput(g.Add(new Dense(3), "hiden", "out"));
        g.Add(new Dense(3), g.Input, "hidden");

        var e = Assert.Throws<InvalidOperationException>(() => g.Build([3], Random));

        Assert.That(e!.Message, Does.Contain("'out'").And.Contain("'hiden'").And.Contain("'hidden'"));
    }

    [Test]
    public void SumOfDifferentShapesNamesTheNodesAndShapes()
    {
        var g = new Graph { Name = "block" };
        var a = g.Add(new Dense(4), g.Input, "main");
        g.SetOutput(g.Sum([a, g.Input], "add"));

        var e = Assert.Throws<ArgumentException>(() => g.Build([3], Random));

        Assert.That(e!.Message, Does.Contain("'block'").And.Contain("'add'").And.Contain("'main'").And.Contain("[4]")
            .And.Contain("'input'").And.Contain("[3]"));
    }

    [Test]
    public void ConcatOfDifferentSpatialSizesNamesTheNodesAndShapes()
    {
        var g = new Graph();
        var a = g.Add(new ReLU(), g.Input, "image");
        var b = g.Add(new Dense(8), g.Input, "features");
        g.SetOutput(g.Concat([a, b], "join"));

        var e = Assert.Throws<ArgumentException>(() => g.Build([2, 2, 2], Random));

        Assert.That(e!.Message, Does.Contain("'join'").And.Contain("'image'").And.Contain("[2, 2, 2]").And.Contain("'features'").And.Contain("[8]"));
    }

    [Test]
    public void LayerThatRejectsItsInputIsReportedWithItsNode()
    {
        var g = new Graph { Name = "outer" };
        var inner = ResidualBlock.Create(new Dense(5));
        g.SetOutput(g.Add(inner, g.Input, "res"));

        var e = Assert.Throws<ArgumentException>(() => g.Build([3], Random));

        Assert.That(e!.Message, Does.Contain("'outer'").And.Contain("'res'").And.Contain("'sum'").And.Contain("[5]").And.Contain("[3]"));
    }

    [Test]
    public void MissingOutputAndDeadNodesAreReported()
    {
        var noOutput = new Graph();
        noOutput.Add(new Dense(2), noOutput.Input);
        var dead = new Graph();
        var used = dead.Add(new Dense(2), dead.Input, "used");
        dead.Add(new Dense(2), dead.Input, "unused");
        dead.SetOutput(used);
        var identity = new Graph();
        identity.SetOutput(identity.Input);

        Assert.That(Assert.Throws<InvalidOperationException>(() => noOutput.Build([2], Random))!.Message, Does.Contain("SetOutput"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => dead.Build([2], Random))!.Message, Does.Contain("'unused'").And.Contain("'used'"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => identity.Build([2], Random))!.Message, Does.Contain("input"));
    }

    [Test]
    public void BuilderMisuseIsRejectedAtOnce()
    {
        var g = new Graph();
        var dense = new Dense(2);
        var a = g.Add(dense, g.Input, "a");
        var other = new Graph { Name = "other" };

        Assert.That(Assert.Throws<ArgumentException>(() => g.Add(new Dense(2), g.Input, "a"))!.Message, Does.Contain("already has a node named 'a'"));
        Assert.That(Assert.Throws<ArgumentException>(() => g.Add(dense, a))!.Message, Does.Contain("already node 'a'"));
        Assert.That(Assert.Throws<ArgumentException>(() => g.Add(new Dense(2), other.Input))!.Message, Does.Contain("'other'"));
        Assert.That(Assert.Throws<ArgumentException>(() => g.Add(new Dense(2), a, "x.y"))!.Message, Does.Contain("'.'"));
        Assert.That(Assert.Throws<ArgumentException>(() => g.Sum(Array.Empty<GraphNode>())), Is.Not.Null);
        Assert.That(Assert.Throws<ArgumentException>(() => g.Add(g, a)), Is.Not.Null);
        Assert.Throws<KeyNotFoundException>(() => _ = g["nothing"]);

        g.SetOutput(a);
        g.Build([2], Random);
        Assert.Throws<InvalidOperationException>(() => g.Add(new Dense(2), a));
    }

    [Test]
    public void WrongGradientShapeIsRejected()
    {
        var g = ResidualBlock.Create(new Dense(3));
        g.Build([3], Random);
        g.Forward(new Tensor(2, 3), true);

        var e = Assert.Throws<ArgumentException>(() => g.Backward(new Tensor(2, 4)));

        Assert.That(e!.Message, Does.Contain("[2, 4]").And.Contain("[2, 3]"));
    }
}
