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

    /// <summary>
    /// C3 runs on the convolution engine with a zero-filled full filter bank; its output, input gradient and the table's
    /// weight and bias gradients must equal direct loops over the table (gradients added to what is already there), for
    /// LeNet-5's table on batches the engine cuts across cores and a table with a map that reads every input.
    /// </summary>
    [TestCase(1, 6, 14, 14, 5, true)]
    [TestCase(37, 6, 14, 14, 5, true)]
    [TestCase(9, 4, 9, 11, 3, false)]
    public void MatchesDirectLoopsOverTheTable(int rows, int channels, int height, int width, int k, bool lenetTable)
    {
        int[][] table = lenetTable ? PartiallyConnectedConv2D.LeNet5Table : [[0, 2], [3], [1, 2, 3], [0, 1, 2, 3], [2]];
        var layer = new PartiallyConnectedConv2D(table, k);
        layer.Build([channels, height, width], new RandomSource(5));
        var x = TestData.Random(11, rows, channels, height, width);
        var dy = TestData.Random(12, [rows, .. layer.OutputShape]);
        var weight = layer.Parameters[0];
        var bias = layer.Parameters[1];
        TestData.Random(13, weight.Value.Length).Span.CopyTo(weight.Gradient.Span);
        TestData.Random(14, bias.Value.Length).Span.CopyTo(bias.Gradient.Span);
        var (y, dx, dw, db) = Reference(table, k, x, dy, weight.Value.Span.ToArray(), bias.Value.Span.ToArray(), weight.Gradient.Span.ToArray(), bias.Gradient.Span.ToArray());

        var actual = layer.Forward(x, training: true).Span.ToArray();
        var actualDx = layer.Backward(dy).Span.ToArray();

        Assert.That(actual, Is.EqualTo(y).Within(1e-4f), "output");
        Assert.That(actualDx, Is.EqualTo(dx).Within(1e-4f), "input gradient");
        Assert.That(weight.Gradient.Span.ToArray(), Is.EqualTo(dw).Within(2e-3f), "weight gradient (only the table's weights)");
        Assert.That(bias.Gradient.Span.ToArray(), Is.EqualTo(db).Within(2e-3f), "bias gradient");
    }

    [Test]
    public void FrozenC3WeightsGetNoGradientButTheInputGradientFlows()
    {
        var layer = new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5);
        layer.Build([6, 14, 14], new RandomSource(5));
        layer.Parameters[0].Frozen = true;
        var x = TestData.Random(1, 3, 6, 14, 14);
        var dy = TestData.Random(2, 3, 16, 10, 10);
        var (_, dx, _, db) = Reference(PartiallyConnectedConv2D.LeNet5Table, 5, x, dy, layer.Parameters[0].Value.Span.ToArray(),
            layer.Parameters[1].Value.Span.ToArray(), new float[1516 - 16], new float[16]);

        layer.Forward(x, training: true);
        var actualDx = layer.Backward(dy).Span.ToArray();

        Assert.That(layer.Parameters[0].Gradient.Span.ToArray(), Is.All.EqualTo(0f));
        Assert.That(layer.Parameters[1].Gradient.Span.ToArray(), Is.EqualTo(db).Within(2e-3f));
        Assert.That(actualDx, Is.EqualTo(dx).Within(1e-4f));
    }

    /// <summary>The partially connected convolution by direct loops: output, input gradient, weight and bias gradients added to the given ones.</summary>
    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) Reference(
        int[][] table, int k, Tensor x, Tensor dy, float[] w, float[] b, float[] dw, float[] db)
    {
        int rows = x.Rows, channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        int outH = height - k + 1, outW = width - k + 1, maps = table.Length;
        var y = new float[rows * maps * outH * outW];
        var dx = new float[x.Length];
        for (var n = 0; n < rows; n++)
        {
            var offset = 0;
            for (var o = 0; o < maps; o++)
            {
                for (var i = 0; i < outH; i++)
                {
                    for (var j = 0; j < outW; j++)
                    {
                        var at = (((n * maps) + o) * outH * outW) + (i * outW) + j;
                        double sum = b[o];
                        var g = dy[at];
                        db[o] += g;
                        for (var t = 0; t < table[o].Length; t++)
                        {
                            for (var u = 0; u < k; u++)
                            {
                                for (var v = 0; v < k; v++)
                                {
                                    var xi = (((n * channels) + table[o][t]) * height * width) + ((i + u) * width) + j + v;
                                    var wi = offset + (((t * k) + u) * k) + v;
                                    sum += x[xi] * w[wi];
                                    dw[wi] += g * x[xi];
                                    dx[xi] += g * w[wi];
                                }
                            }
                        }

                        y[at] = (float)sum;
                    }
                }

                offset += table[o].Length * k * k;
            }
        }

        return (y, dx, dw, db);
    }

    [Test]
    public void ScaledTanhAndItsDerivativeMatchTheFormula()
    {
        var layer = new ScaledTanh(1.7159f, 2f / 3f);
        layer.Build([1000], new RandomSource(1));
        var x = TestData.Uniform(3, -6f, 6f, 40, 1000);
        var dy = TestData.Random(4, 40, 1000);

        var y = layer.Forward(x, training: true).Span.ToArray();
        var dx = layer.Backward(dy).Span.ToArray();

        for (var i = 0; i < x.Length; i++)
        {
            var t = Math.Tanh(2.0 / 3.0 * x[i]);
            Assert.That(y[i], Is.EqualTo(1.7159 * t).Within(2e-6), $"f at {x[i]}");
            Assert.That(dx[i], Is.EqualTo(dy[i] * 1.7159 * (2.0 / 3.0) * (1 - (t * t))).Within(2e-6), $"f' at {x[i]}");
        }
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
