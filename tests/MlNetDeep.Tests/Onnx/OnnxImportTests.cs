using Google.Protobuf;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Onnx;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using Tensor = MlNetDeep.Tensors.Tensor;

namespace MlNetDeep.Tests.Onnx;

/// <summary>ONNX graphs import as trainable MlNetDeep networks that compute what ONNX Runtime computes.</summary>
public class OnnxImportTests
{
    private const double Tolerance = 1e-5;

    [TestCaseSource(nameof(RoundTrips))]
    public void AnExportedNetworkImportsBackWithTheSameOutputs(string name, Func<Layer> create, int[] inputShape, Type expectedType)
    {
        var original = create();
        original.Build(inputShape, new RandomSource(3));
        OrtRunner.WithRunningStatistics(original, 5);
        OrtRunner.WithRandomAffine(original, 7);
        var x = OrtRunner.Input(3, inputShape, 9);

        var imported = OnnxImport.Load(OnnxExport.ToBytes(original), name);

        Assert.That(imported.Network, Is.InstanceOf(expectedType));
        Assert.That(imported.InputShape.ToArray(), Is.EqualTo(inputShape));
        var error = OrtRunner.RelativeError(Inference.Predict(imported.Network, x).Span, Inference.Predict(original, x).Span);
        Assert.That(error, Is.LessThan(Tolerance), name);
        Assert.That(imported.Network.ParameterCount, Is.LessThanOrEqualTo(original.ParameterCount), "no parameters appear from nowhere");
    }

    [TestCaseSource(nameof(HandMade))]
    public void OperatorsImportAsOnnxRuntimeComputesThem(string name, byte[] model, int[] inputShape, int rows)
    {
        var x = OrtRunner.Input(rows, inputShape, 4);
        var theirs = OrtRunner.Run(model, x, "x")["y"];

        var imported = OnnxImport.Load(model, name);

        var error = OrtRunner.RelativeError(Inference.Predict(imported.Network, x).Span, theirs);
        TestContext.Out.WriteLine($"{name}: {error:E2}");
        Assert.That(error, Is.LessThan(Tolerance), name);
    }

    [Test]
    public void AnImportedNetworkFineTunesAndMapsItsInitializersToParameters()
    {
        var original = Architectures.ResNet18(4, 32);
        original.Build([3, 32, 32], new RandomSource(1));
        var imported = OnnxImport.Load(OnnxExport.ToBytes(original), "resnet");
        var network = imported.Network;
        Assert.That(network, Is.InstanceOf<Graph>(), "a residual network imports as a graph");
        Assert.That(imported.Parameters.Values.Sum(p => (long)p.Value.Length), Is.EqualTo(network.ParameterCount), "every parameter is named by its initializer");
        Assert.That(imported.Buffers, Has.Count.EqualTo(2 * network.Parameters.Count(p => p.Name == "gamma")));

        var x = OrtRunner.Input(8, [3, 32, 32], 2);
        var labels = new Tensor([0, 1, 2, 3, 0, 1, 2, 3], 8);
        var loss = new SoftmaxCrossEntropy();
        var sgd = new GradientDescent(0.05f);
        var gradient = new Tensor(8, 4);
        var before = loss.Compute(network.Forward(x, training: true), labels, null);
        for (var step = 0; step < 5; step++)
        {
            foreach (var p in network.Parameters)
            {
                p.Gradient.Clear();
            }

            loss.Compute(network.Forward(x, training: true), labels, gradient);
            network.Backward(gradient);
            sgd.Step(network.Parameters);
        }

        var after = loss.Compute(network.Forward(x, training: true), labels, null);
        Assert.That(after, Is.LessThan(before * 0.9), "five SGD steps on one batch lower its loss");
    }

    [Test]
    public void AnUnsupportedOperatorIsAnErrorNamingItTheNodeAndTheFile()
    {
        var model = HandMadeModels.Create([4], [4], (g, x) => g.Node("HardSwish", "mystery", [x]));
        var path = Path.Combine(Path.GetTempPath(), $"unsupported-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            Assert.That(() => OnnxImport.Load(path), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains(path).And.Message.Contains("'HardSwish'").And.Message.Contains("mystery/HardSwish"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void ResizeOtherThanNearestByAnIntegerIsAnErrorSayingSo()
    {
        var linear = HandMadeModels.Create([2, 4, 4], [2, 8, 8], (g, x) =>
            g.Node("Resize", "up", [x, string.Empty, g.Initializer("scales", [1f, 1f, 2f, 2f], 4)], OnnxAttributes.String("mode", "linear")));
        Assert.That(() => OnnxImport.Load(linear, "linear.onnx"), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("'Resize'").And.Message.Contains("no resize layer").And.Message.Contains("linear.onnx"));
    }

    [TestCaseSource(nameof(Damaged))]
    public void DamagedFilesAreRejectedNamingTheFile(string name, byte[] bytes, string expected)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(() => OnnxImport.Load(bytes, $"{name}.onnx"), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains($"{name}.onnx").And.Message.Contains(expected));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(64L << 20), "a small file does not make the importer allocate much");
    }

    private static IEnumerable<TestCaseData> RoundTrips()
    {
        TestCaseData Case(string name, Func<Layer> create, int[] shape, Type type) => new TestCaseData(name, create, shape, type).SetArgDisplayNames(name);

        yield return Case("LeNet5", () => Architectures.LeNet5(), [1, 28, 28], typeof(Sequential));
        yield return Case("LeNet5 + BN + dropout", () => Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f), [1, 28, 28], typeof(Sequential));
        yield return Case("SmallConvNet", () => Architectures.SmallConvNet(), [3, 32, 32], typeof(Sequential));
        yield return Case("SmallInception (same pooling, concat)", () => Architectures.SmallInception(), [1, 28, 28], typeof(Graph));
        yield return Case("ResNet-18 at 32", () => Architectures.ResNet18(10, 32), [3, 32, 32], typeof(Graph));
        yield return Case("AlexNet-like (LRN, groups, overlapping pools)", () => new Sequential(
            new Conv2D(8, 5, stride: 2, padding: 2), new ReLU(), new LocalResponseNormalization(), new MaxPool2D(3, 2),
            new Conv2D(8, 3, padding: 1, groups: 2), new ReLU(), new Flatten(), new Dense(10), new Dropout(0.5f), new Dense(3)), [3, 31, 31], typeof(Sequential));
        yield return Case("Activations", () => new Sequential(
            new Dense(8), new LeakyReLU(0.2f), new Dense(8), new PReLU(0.3f), new Dense(8), new ELU(0.5f), new Dense(8), new SELU(),
            new Dense(8), new Sigmoid(), new Dense(8), new Tanh(), new Dense(4), new Softmax()), [6], typeof(Sequential));
        yield return Case("Convolutions (same, dilated, transposed, PReLU per channel)", () => new Sequential(
            new Conv2D(4, 3, stride: 2, padding: Padding.Same), new PReLU(0.1f), new Conv2D(4, 3, dilation: 2, padding: 2),
            new ConvTranspose2D(3, 3, stride: 2, padding: 1, outputPadding: 1), new ConvTranspose2D(2, 4, stride: 2, padding: Padding.Same),
            new AvgPool2D(2, same: true), new MaxPool2D(3, 2, padding: 1)), [3, 9, 9], typeof(Sequential));
    }

    private static IEnumerable<TestCaseData> HandMade()
    {
        TestCaseData Case(string name, byte[] model, int[] shape, int rows = 2) => new TestCaseData(name, model, shape, rows).SetArgDisplayNames(name);
        var v = HandMadeModels.Values;

        yield return Case("MatMul + Add (fused into one dense layer)", HandMadeModels.Create([5], [3], (g, x) =>
        {
            var m = g.Node("MatMul", "fc", [x, g.Initializer("W", v(15, 1), 5, 3)]);
            return g.Node("Add", "fc", [m, g.Initializer("b", v(3, 2), 3)]);
        }), [5]);
        yield return Case("MatMul without bias, Relu", HandMadeModels.Create([5], [3], (g, x) =>
            g.Node("Relu", "r", [g.Node("MatMul", "fc", [x, g.Initializer("W", v(15, 1), 5, 3)])])), [5]);
        yield return Case("Gemm transB=0 alpha beta, bias [1, out]", HandMadeModels.Create([5], [3], (g, x) =>
            g.Node("Gemm", "fc", [x, g.Initializer("W", v(15, 3), 5, 3), g.Initializer("C", v(3, 4), 1, 3)],
                OnnxAttributes.Float("alpha", 0.5f), OnnxAttributes.Float("beta", 2f))), [5]);
        yield return Case("Conv auto_pad SAME_LOWER stride 2", HandMadeModels.Create([2, 7, 7], [3, 4, 4], (g, x) =>
            g.Node("Conv", "c", [x, g.Initializer("W", v(54, 5), 3, 2, 3, 3), g.Initializer("B", v(3, 6), 3)],
                OnnxAttributes.String("auto_pad", "SAME_LOWER"), OnnxAttributes.Ints("strides", 2, 2))), [2, 7, 7]);
        yield return Case("Conv auto_pad SAME_UPPER", HandMadeModels.Create([2, 6, 6], [3, 3, 3], (g, x) =>
            g.Node("Conv", "c", [x, g.Initializer("W", v(64, 5), 2, 2, 4, 4)],
                OnnxAttributes.String("auto_pad", "SAME_UPPER"), OnnxAttributes.Ints("strides", 2, 2))), [2, 6, 6]);
        yield return Case("MaxPool ceil_mode", HandMadeModels.Create([2, 8, 8], [2, 4, 4], (g, x) =>
            g.Node("MaxPool", "p", [x], OnnxAttributes.Ints("kernel_shape", 3, 3), OnnxAttributes.Ints("strides", 2, 2), OnnxAttributes.Int("ceil_mode", 1))), [2, 8, 8]);
        yield return Case("AveragePool padded, count_include_pad 0", HandMadeModels.Create([2, 6, 6], [2, 3, 3], (g, x) =>
            g.Node("AveragePool", "p", [x], OnnxAttributes.Ints("kernel_shape", 3, 3), OnnxAttributes.Ints("strides", 2, 2), OnnxAttributes.Ints("pads", 1, 1, 1, 1))), [2, 6, 6]);
        yield return Case("GlobalAveragePool, Flatten, Softmax", HandMadeModels.Create([3, 5, 5], [3], (g, x) =>
            g.Node("Softmax", "s", [g.Node("Flatten", "f", [g.Node("GlobalAveragePool", "gap", [x])])], OnnxAttributes.Int("axis", 1))), [3, 5, 5]);
        yield return Case("LRN (PyTorch's alpha/size)", HandMadeModels.Create([6, 3, 3], [6, 3, 3], (g, x) =>
            g.Node("LRN", "n", [x], OnnxAttributes.Int("size", 3), OnnxAttributes.Float("alpha", 0.3f), OnnxAttributes.Float("beta", 0.75f), OnnxAttributes.Float("bias", 2f))), [6, 3, 3]);
        yield return Case("Reshape to [0, -1] and Dropout", HandMadeModels.Create([2, 3, 3], [18], (g, x) =>
            g.Node("Dropout", "d", [g.Node("Reshape", "r", [x, g.Int64s("shape", 0, -1)]), g.Scalar("ratio", 0.3f)])), [2, 3, 3]);
        yield return Case("Constant node as the shape, Identity", HandMadeModels.Create([2, 3, 3], [18], (g, x) =>
        {
            var shape = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
            shape.Dims.Add(2);
            shape.Int64Data.Add([-1, 18]);
            var constant = g.Node("Constant", "k", [], OnnxAttributes.Tensor("value", shape));
            return g.Node("Identity", "i", [g.Node("Reshape", "r", [x, constant])]);
        }), [2, 3, 3]);
        yield return Case("Sum of three and Concat", HandMadeModels.Create([4], [8], (g, x) =>
        {
            var a = g.Node("Tanh", "a", [x]);
            var b = g.Node("Sigmoid", "b", [x]);
            var s = g.Node("Sum", "s", [a, b, x]);
            return g.Node("Concat", "c", [s, a], OnnxAttributes.Int("axis", 1));
        }), [4]);
        yield return Case("Resize nearest x2 (asymmetric, floor)", HandMadeModels.Create([2, 3, 4], [2, 6, 8], (g, x) =>
            g.Node("Resize", "up", [x, string.Empty, g.Initializer("scales", [1f, 1f, 2f, 2f], 4)],
                OnnxAttributes.String("mode", "nearest"), OnnxAttributes.String("coordinate_transformation_mode", "asymmetric"), OnnxAttributes.String("nearest_mode", "floor"))), [2, 3, 4]);
        yield return Case("Resize nearest x3 by sizes (half_pixel)", HandMadeModels.Create([2, 3, 3], [2, 9, 9], (g, x) =>
            g.Node("Resize", "up", [x, string.Empty, string.Empty, g.Int64s("sizes", 1, 2, 9, 9)], OnnxAttributes.String("mode", "nearest"))), [2, 3, 3], rows: 1);
        yield return Case("PRelu slopes [C, 1, 1]", HandMadeModels.Create([3, 2, 2], [3, 2, 2], (g, x) =>
            g.Node("PRelu", "p", [x, g.Initializer("slope", [0.1f, 0.2f, 0.3f], 3, 1, 1)])), [3, 2, 2]);
    }

    private static IEnumerable<TestCaseData> Damaged()
    {
        TestCaseData Case(string name, byte[] bytes, string expected) => new TestCaseData(name, bytes, expected).SetArgDisplayNames(name);
        var good = HandMadeModels.Create([5], [3], (g, x) => g.Node("Gemm", "fc", [x, g.Initializer("W", HandMadeModels.Values(15, 1), 3, 5)], OnnxAttributes.Int("transB", 1)));

        yield return Case("garbage", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], "not an ONNX model");
        yield return Case("truncated", good[..(good.Length / 2)], "not an ONNX model");
        yield return Case("huge declared tensor", Edit(good, m =>
        {
            var w = m.Graph.Initializer[0];
            w.Dims.Clear();
            w.Dims.Add([1 << 14, 1 << 14]);
        }), "holds 60 bytes of raw data; its shape needs 1073741824");
        yield return Case("external data", Edit(good, m => m.Graph.Initializer[0].DataLocation = TensorProto.Types.DataLocation.External), "external file");
        yield return Case("second input", Edit(good, m => m.Graph.Input.Add(OnnxValue.Float("z", [2]).ToValueInfo("N"))), "2 inputs");
        yield return Case("huge input shape", Edit(good, m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1L << 40), "give the per-sample shape");
        yield return Case("weights do not fit the input", Edit(good, m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 6), "takes 5 features; the input has 6");
        yield return Case("reads an undefined value", Edit(good, m => m.Graph.Node[0].Input[0] = "nowhere"), "'nowhere', which no earlier node computes");
        yield return Case("old operator set", Edit(good, m => m.OpsetImport[0].Version = 7), "operator set 7");
        yield return Case("even LRN", HandMadeModels.Create([4, 2, 2], [4, 2, 2], (g, x) => g.Node("LRN", "n", [x], OnnxAttributes.Int("size", 4))), "even size 4");
    }

    private static byte[] Edit(byte[] model, Action<ModelProto> edit)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        edit(proto);
        return proto.ToByteArray();
    }
}
