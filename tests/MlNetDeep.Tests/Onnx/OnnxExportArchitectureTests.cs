using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Onnx;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Onnx;

/// <summary>
/// Every network of <see cref="Architectures"/> (VGG-11 through VGG-16's case) and the dense models, exported to ONNX, gives, under ONNX Runtime, the outputs
/// of our inference forward within 1e-4 relative (max|ours − ORT| / max|ORT|), and so does every trainer task's head.
/// </summary>
public class OnnxExportArchitectureTests
{
    private const double Tolerance = 1e-4;

    [TestCaseSource(nameof(Networks))]
    public void OnnxRuntimeReproducesTheArchitecture(string name, Func<Layer> create, int[] inputShape, int rows)
    {
        var network = create();
        network.Build(inputShape, new RandomSource(3));
        OrtRunner.WithRunningStatistics(network, 5);
        OrtRunner.WithRandomAffine(network, 7);
        var x = OrtRunner.Input(rows, inputShape, 9);

        var ours = Inference.Predict(network, x);
        var theirs = OrtRunner.Run(OnnxExport.ToBytes(network), x)["output"];

        var error = OrtRunner.RelativeError(ours.Span, theirs);
        TestContext.Out.WriteLine($"| {name} | {Tensor.Format(inputShape)} | {rows} | {network.ParameterCount:N0} | {error:E2} |");
        Assert.That(error, Is.LessThan(Tolerance), name);
    }

    [TestCase(OnnxOutputHead.Softmax, 10)]
    [TestCase(OnnxOutputHead.Sigmoid, 1)]
    [TestCase(OnnxOutputHead.None, 1)]
    public void EveryTasksHeadIsReproduced(OnnxOutputHead head, int outputs)
    {
        // Multiclass scores are the softmax of the logits, binary probabilities their sigmoid, regression the output as it is.
        var network = Architectures.SmallConvNet(outputs);
        network.Build([3, 32, 32], new RandomSource(2));
        OrtRunner.WithRunningStatistics(network, 3);
        var x = OrtRunner.Input(4, [3, 32, 32], 4);
        var logits = Inference.Predict(network, x);
        var expected = new float[logits.Length];
        for (var r = 0; r < logits.Rows; r++)
        {
            var row = expected.AsSpan(r * outputs, outputs);
            switch (head)
            {
                case OnnxOutputHead.Softmax:
                    Softmax.Compute(logits.Row(r), row);
                    break;
                case OnnxOutputHead.Sigmoid:
                    Sigmoid.Compute(logits.Row(r), row);
                    break;
                default:
                    logits.Row(r).CopyTo(row);
                    break;
            }
        }

        var theirs = OrtRunner.Run(OnnxExport.ToBytes(network, new OnnxExportOptions { Head = head }), x)["output"];

        var error = OrtRunner.RelativeError(expected, theirs);
        TestContext.Out.WriteLine($"| head {head} | {error:E2} |");
        Assert.That(error, Is.LessThan(Tolerance));
    }

    [Test]
    public void AFlatInputIsReshapedInsideTheGraph()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(2));
        var x = OrtRunner.Input(3, [1, 28, 28], 4);
        var model = OnnxExport.ToBytes(network, new OnnxExportOptions { FlatInput = true });

        var theirs = OrtRunner.Run(model, x, feedShape: [3, 784])["output"];

        Assert.That(OrtRunner.RelativeError(Inference.Predict(network, x).Span, theirs), Is.LessThan(Tolerance));
    }

    private static IEnumerable<TestCaseData> Networks()
    {
        TestCaseData Case(string name, Func<Layer> create, int[] shape, int rows) => new TestCaseData(name, create, shape, rows).SetArgDisplayNames(name);

        yield return Case("LeNet5Classic (dense output)", () => Architectures.LeNet5Classic(), [1, 28, 28], 4);
        yield return Case("LeNet5Classic (RBF output)", () => Architectures.LeNet5Classic(rbfOutput: true), [1, 28, 28], 4);
        yield return Case("LeNet5", () => Architectures.LeNet5(), [1, 28, 28], 4);
        yield return Case("LeNet5 + BN + dropout", () => Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f), [1, 28, 28], 4);
        yield return Case("AlexNet 227", () => Architectures.AlexNet(), [3, 227, 227], 1);
        yield return Case("AlexNet 224", () => Architectures.AlexNet(inputSize: 224), [3, 224, 224], 1);

        // VGG-11 is VGG-16 with fewer of the same layers (3×3 convolutions, ReLU, 2×2 pooling, the same dense head): its
        // export takes the same paths, and a 133-million-parameter round trip through ONNX Runtime costs the suite 30 s.
        yield return Case("VGG-16", () => Architectures.Vgg16(), [3, 224, 224], 1);
        yield return Case("ResNet-18 at 32", () => Architectures.ResNet18(10, 32), [3, 32, 32], 4);
        yield return Case("ResNet-18 at 224", () => Architectures.ResNet18(), [3, 224, 224], 1);
        yield return Case("ResNet-34 at 32", () => Architectures.ResNet34(10, 32), [3, 32, 32], 4);
        yield return Case("ResNet-34 at 224", () => Architectures.ResNet34(), [3, 224, 224], 1);
        yield return Case("SmallInception 28", () => Architectures.SmallInception(), [1, 28, 28], 4);
        yield return Case("SmallInception 32 RGB", () => Architectures.SmallInception(10, 32), [3, 32, 32], 4);
        yield return Case("SmallConvNet", () => Architectures.SmallConvNet(), [3, 32, 32], 4);
        yield return Case("SmallConvNet + dropout", () => Architectures.SmallConvNet(10, 16, 0.5f), [3, 32, 32], 4);
        yield return Case("MLP ReLU [64, 32]", () => DenseModels.Mlp([64, 32], 10), [784], 4);
        yield return Case("MLP tanh + dropout", () => DenseModels.Mlp([50], 3, Activation.Tanh, keepProbability: 0.8f), [4], 4);
        yield return Case("MLP on images", () => DenseModels.Mlp([16], 10), [1, 28, 28], 4);
        yield return Case("Shallow sigmoid", () => DenseModels.Shallow(8, 1, Activation.Sigmoid), [30], 4);
        yield return Case("Logistic regression", () => DenseModels.LogisticRegression(), [30], 4);
    }
}
