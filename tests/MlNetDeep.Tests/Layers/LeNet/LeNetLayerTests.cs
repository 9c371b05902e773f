using MlNetDeep.Layers;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Losses;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.LeNet;

/// <summary>LeNet-5's classic layers: C3's connection table, the scaled tanh of F6 and the RBF output.</summary>
public class LeNetLayerTests
{
    [Test]
    public void C3HasTheSeedsParameterCountAndShape()
    {
        var c3 = new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5);
        var output = c3.Build([6, 14, 14], new RandomSource(1));

        Assert.That(output, Is.EqualTo(new[] { 16, 10, 10 }));
        Assert.That(c3.ParameterCount, Is.EqualTo(1516), "6·(3·25+1) + 6·(4·25+1) + 3·(4·25+1) + 1·(6·25+1)");
    }

    [Test]
    public void AnOutputMapSumsOnlyItsTablesInputs()
    {
        // One output map over input maps 0 and 2 of three, 2x2 kernels of ones and twos, bias 0.5.
        var layer = new PartiallyConnectedConv2D([[0, 2]], kernelSize: 2);
        layer.Build([3, 2, 2], new RandomSource(1));
        new[] { 1f, 1f, 1f, 1f, 2f, 2f, 2f, 2f }.CopyTo(layer.Parameters[0].Value.Span);
        layer.Parameters[1].Value[0] = 0.5f;
        var x = new Tensor([1f, 2f, 3f, 4f, 100f, 100f, 100f, 100f, 1f, 1f, 1f, 1f], 1, 3, 2, 2);

        var y = layer.Forward(x, training: false);

        Assert.That(y[0], Is.EqualTo(10f + 8f + 0.5f), "map 1 (all 100s) is not connected");
    }

    [Test]
    public void ClassicLeNetLayersPassGradientCheck()
    {
        var net = new Sequential(
            new PartiallyConnectedConv2D([[0, 1], [1, 2], [0, 1, 2]], kernelSize: 3),
            new ScaledTanh(),
            new Dense(6),
            new ScaledTanh(),
            new RbfOutput(4));
        net.Build([3, 5, 5], new RandomSource(3));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), TestData.Random(4, 3, 3, 5, 5), TestData.Labels(5, 3, 4), l2: 0.01f);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void RbfOutputIsTheNegativeSquaredDistanceToEachPrototype()
    {
        var rbf = new RbfOutput(2);
        rbf.Build([3], new RandomSource(1));
        new[] { 0f, 0f, 0f, 1f, 2f, 3f }.CopyTo(rbf.Prototypes.Value.Span);

        var y = rbf.Forward(new Tensor([1f, 2f, 2f], 1, 3), training: false);

        Assert.That(y[0], Is.EqualTo(-9f));
        Assert.That(y[1], Is.EqualTo(-1f));
        Assert.That(rbf.ParameterCount, Is.EqualTo(6));
    }

    [Test]
    public void ScaledTanhMapsOneToAboutOne()
    {
        var f = new ScaledTanh();
        f.Build([2], new RandomSource(1));
        var y = f.Forward(new Tensor([1f, -1f], 1, 2), training: false);
        Assert.That(y[0], Is.EqualTo(1f).Within(1e-3));
        Assert.That(y[1], Is.EqualTo(-1f).Within(1e-3));
    }

    [Test]
    public void ClassicLayersSaveAndLoad()
    {
        var net = new Sequential(new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5), new ScaledTanh(), new Dense(84), new ScaledTanh(), new RbfOutput(10));
        net.Build([6, 14, 14], new RandomSource(2));
        var stream = new MemoryStream();
        NetworkFile.Save(net, stream);
        stream.Position = 0;

        var loaded = NetworkFile.Load(stream);

        var x = TestData.Random(6, 2, 6, 14, 14);
        Assert.That(Inference.Predict(loaded, x).Span.ToArray(), Is.EqualTo(Inference.Predict(net, x).Span.ToArray()));
    }
}
