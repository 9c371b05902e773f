using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Graphs;

/// <summary>Graphs through <see cref="NetworkFile"/> and <see cref="WeightsFile"/>.</summary>
public class GraphSerializationTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-graph-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    /// <summary>A chain holding a residual block with a projection, an Inception module and a hand-wired graph with
    /// custom names, a forward reference, fan-out, a sum and a concatenation.</summary>
    private static Sequential Network(ulong seed)
    {
        var wired = new Graph("x") { Name = "wired ü" };
        wired.SetOutput("out");
        var a = wired.Add(new Dense(4) { Name = "a dense" }, wired.Input, "a");
        var t = wired.Add(new PReLU(0.2f), a, "t");
        var s = wired.Sum([t, a], "skip");
        wired.Add(new Dense(3), "both", "out");
        wired.Concat(["skip", "t", "x"], "both");
        _ = s;

        var net = new Sequential(
            new Dense(5),
            ResidualBlock.Create(new Sequential(new Dense(6), new Tanh(), new Dense(6)), new Dense(6), new LeakyReLU(0.1f)),
            InceptionBlock.Create(new Dense(2), new Sequential(new Dense(3), new Sigmoid())),
            wired) { Name = "graph net" };
        net.Build([4], new RandomSource(seed));
        var random = new RandomSource(seed + 100);
        foreach (var p in net.Parameters)
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] += 0.1f * (float)random.NextGaussian();
            }
        }

        return net;
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static byte[] Saved(Layer network)
    {
        var stream = new MemoryStream();
        NetworkFile.Save(network, stream);
        return stream.ToArray();
    }

    [Test]
    public void SaveThenLoadGivesBitIdenticalOutputs()
    {
        var original = Network(1);
        var path = Path.Combine(_dir, "graph.mndn");
        NetworkFile.Save(original, path);

        var loaded = NetworkFile.Load(path);

        var x = TestData.Random(7, 9, 4);
        Assert.That(Bits(Inference.Predict(loaded, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
        Assert.That(Saved(loaded), Is.EqualTo(Saved(original)), "architecture, names and weights survive");
        var wired = (Graph)((Sequential)loaded).Layers[3];
        Assert.That(wired.Name, Is.EqualTo("wired ü"));
        Assert.That(wired.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "x", "a", "t", "skip", "out", "both" }));
        Assert.That(wired.Output!.Name, Is.EqualTo("out"));
        Assert.That(wired["a"].Layer!.Name, Is.EqualTo("a dense"));
    }

    [Test]
    public void CloneGivesBitIdenticalOutputsAndIsIndependent()
    {
        var original = Network(2);

        var clone = NetworkFile.Clone(original);

        var x = TestData.Random(8, 9, 4);
        var expected = Bits(Inference.Predict(original, x));
        Assert.That(Bits(Inference.Predict(clone, x)), Is.EqualTo(expected));
        Assert.That(Saved(clone), Is.EqualTo(Saved(original)));
        clone.Parameters[^1].Value.Fill(0.5f);
        Assert.That(Bits(Inference.Predict(original, x)), Is.EqualTo(expected));
    }

    [Test]
    public void DescriptionHoldsTheEdgeList()
    {
        var block = ResidualBlock.Create(new Dense(3), new Dense(3));

        var d = block.Describe();

        Assert.That(d.TypeKey, Is.EqualTo("Graph"));
        Assert.That(d.Children.Select(c => c.TypeKey), Is.EqualTo(new[] { "Dense", "Dense", "ReLU" }));
        Assert.That(d.Settings, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["input"] = "input",
            ["output"] = "activation",
            ["nodes"] = "4",
            ["node0.name"] = "main", ["node0.op"] = "layer", ["node0.inputs"] = "1", ["node0.input0"] = "input",
            ["node1.name"] = "shortcut", ["node1.op"] = "layer", ["node1.inputs"] = "1", ["node1.input0"] = "input",
            ["node2.name"] = "sum", ["node2.op"] = "sum", ["node2.inputs"] = "2", ["node2.input0"] = "main", ["node2.input1"] = "shortcut",
            ["node3.name"] = "activation", ["node3.op"] = "layer", ["node3.inputs"] = "1", ["node3.input0"] = "sum",
        }));
    }

    [Test]
    public void BadDescriptionsGiveClearErrors()
    {
        var good = ResidualBlock.Create(new Dense(3)).Describe();
        LayerDescription With(string key, string value) =>
            new(good.TypeKey, good.Name, good.Settings.Where(s => s.Key != key).Append(new(key, value)), good.Children);

        var unknownOp = Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(With("node1.op", "multiply")));
        var missingInput = LayerRegistry.Create(With("node1.input1", "nowhere"));
        var missing = Assert.Throws<InvalidOperationException>(() => missingInput.Build([3], new RandomSource(0)));
        var fewerChildren = new LayerDescription(good.TypeKey, good.Name, good.Settings, good.Children.Take(1));

        Assert.That(unknownOp!.Message, Does.Contain("multiply").And.Contain("sum"));
        Assert.That(missing!.Message, Does.Contain("'sum'").And.Contain("'nowhere'"));
        Assert.That(Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(fewerChildren))!.Message, Does.Contain("more layer nodes"));
    }

    [Test]
    public void WeightsFileRoundTripsAGraph()
    {
        Graph Block(ulong seed)
        {
            var g = ResidualBlock.Create(new Sequential(new Dense(5), new PReLU(), new Dense(5)), new Dense(5));
            g.Build([3], new RandomSource(seed));
            return g;
        }

        var path = Path.Combine(_dir, "block.weights");
        var original = Block(1);
        WeightsFile.Save(original, path);
        var copy = Block(2);
        var x = TestData.Random(3, 4, 3);
        Assert.That(Bits(Inference.Predict(copy, x)), Is.Not.EqualTo(Bits(Inference.Predict(original, x))));

        WeightsFile.Load(copy, path);

        Assert.That(Bits(Inference.Predict(copy, x)), Is.EqualTo(Bits(Inference.Predict(original, x))));
    }

    [Test]
    public void WeightsFileRejectsAGraphWiredDifferently()
    {
        var path = Path.Combine(_dir, "block.weights");
        var original = ResidualBlock.Create(new Dense(4), new Dense(4));
        original.Build([3], new RandomSource(1));
        WeightsFile.Save(original, path);
        var other = new Graph();
        var main = other.Add(new Dense(4), other.Input, "main");
        var side = other.Add(new Dense(4), other.Input, "side");
        other.SetOutput(other.Sum([main, side]));
        other.Build([3], new RandomSource(1));

        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Load(other, path));

        Assert.That(e!.Message, Does.Contain("shortcut.weight").And.Contain("side.weight"));
    }
}
