using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Models;
using MlNetDeep.Onnx;
using MlNetDeep.Onnx.Exporters;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Onnx;

/// <summary>Every layer type exports to ONNX, and ONNX Runtime computes what our inference forward computes.</summary>
public class OnnxExportLayerTests
{
    private const double Tolerance = 1e-4;

    [Test]
    public void EveryRegisteredLayerTypeHasAnExporter()
    {
        var missing = LibraryLayerTypes().Where(t => !LayerExporters.TypeKeys.Contains(t)).ToArray();
        Assert.That(missing, Is.Empty, "layer types without an ONNX exporter (add one in MlNetDeep.Onnx/Exporters and list it in LayerExporters)");
    }

    [Test]
    public void EveryRegisteredLayerTypeIsCoveredByAnExportCase()
    {
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var data in Cases())
        {
            var network = ((Func<Layer>)data.Arguments[1]!)();
            Collect(network.Describe(), covered);
        }

        Assert.That(LibraryLayerTypes().Where(t => !covered.Contains(t)), Is.Empty, "layer types no export case runs through ONNX Runtime");
    }

    // The registry is process-wide: other tests register layer types of their own ("Tests.*") while the suite runs, and
    // MlNetDeep.Vision registers TwoStageNetwork once it loads. That one has no ONNX export, on purpose: its proposal step
    // (decode every anchor, rank, non-max suppression to R regions) is not a graph of the library's layers, and ONNX
    // Runtime's NonMaxSuppression returns a variable number of boxes where the layer fills R (see TwoStageNetwork).
    private static IEnumerable<string> LibraryLayerTypes() =>
        LayerRegistry.RegisteredTypes.Where(t => !t.StartsWith("Tests.", StringComparison.Ordinal) && t != global::MlNetDeep.Vision.Detection.TwoStageNetwork.TypeKey);

    [TestCaseSource(nameof(Cases))]
    public void OnnxRuntimeComputesWhatTheLayerComputes(string name, Func<Layer> create, int[] inputShape)
    {
        var network = create();
        network.Build(inputShape, new RandomSource(7));
        OrtRunner.WithRunningStatistics(network, 11);
        OrtRunner.WithRandomAffine(network, 13);
        var x = OrtRunner.Input(3, inputShape, 17);

        var ours = Inference.Predict(network, x);
        var theirs = OrtRunner.Run(OnnxExport.ToBytes(network), x)["output"];

        var error = OrtRunner.RelativeError(ours.Span, theirs);
        TestContext.Out.WriteLine($"{name}: max relative error {error:E2}");
        Assert.That(error, Is.LessThan(Tolerance), name);
    }

    [Test]
    public void TheBatchDimensionIsSymbolicAndTheNamesAreTheOptions()
    {
        var network = new Sequential(new Dense(3), new ReLU());
        network.Build([4], new RandomSource(1));
        var model = OnnxExport.ToBytes(network, new OnnxExportOptions { InputName = "features", OutputName = "logits" });
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model);
        Assert.That(session.InputMetadata.Keys, Is.EqualTo(new[] { "features" }));
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "logits" }));
        Assert.That(session.InputMetadata["features"].Dimensions, Is.EqualTo(new[] { -1, 4 }));
        Assert.That(session.InputMetadata["features"].SymbolicDimensions[0], Is.EqualTo("N"));
        foreach (var rows in new[] { 1, 5 })
        {
            var x = OrtRunner.Input(rows, [4], 3);
            var theirs = OrtRunner.Run(model, x, "features")["logits"];
            Assert.That(OrtRunner.RelativeError(Inference.Predict(network, x).Span, theirs), Is.LessThan(Tolerance));
        }
    }

    [Test]
    public void AnUnbuiltNetworkOrALayerWithoutExporterIsAnErrorNamingIt()
    {
        Assert.That(() => OnnxExport.ToBytes(new Sequential(new Dense(2))), Throws.InvalidOperationException.With.Message.Contains("must be built"));
        var custom = new Sequential(new Dense(2), new Unexportable { Name = "mystery" });
        custom.Build([3], new RandomSource(1));
        Assert.That(() => OnnxExport.ToBytes(custom), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'mystery'").And.Message.Contains("MysteryLayer"));
    }

    private static void Collect(LayerDescription description, HashSet<string> into)
    {
        into.Add(description.TypeKey);
        foreach (var child in description.Children)
        {
            Collect(child, into);
        }
    }

    private static Func<Layer> Net(params Func<Layer>[] layers) => () => new Sequential(layers.Select(l => l()));

    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string name, Func<Layer> create, params int[] shape) => new TestCaseData(name, create, shape).SetArgDisplayNames(name);

        yield return Case("Dense+bias, ReLU", Net(() => new Dense(5), () => new ReLU(), () => new Dense(3, useBias: false)), 7);
        yield return Case("Dense on images", Net(() => new Dense(4)), 2, 3, 3);
        yield return Case("Dropout removed", Net(() => new Dense(6), () => new Dropout(0.5f), () => new Dense(2)), 4);
        yield return Case("LeakyReLU", Net(() => new Dense(6), () => new LeakyReLU(0.2f)), 4);
        yield return Case("PReLU per feature", Net(() => new Dense(6), () => new PReLU(0.3f)), 4);
        yield return Case("PReLU per channel", Net(() => new Conv2D(3, 3), () => new PReLU(0.1f)), 2, 6, 6);
        yield return Case("PReLU shared", Net(() => new Conv2D(3, 3), () => new PReLU(0.2f, shared: true)), 2, 6, 6);
        yield return Case("Sigmoid, Tanh", Net(() => new Dense(6), () => new Sigmoid(), () => new Dense(4), () => new Tanh()), 4);
        yield return Case("ELU, SELU", Net(() => new Dense(6), () => new ELU(0.7f), () => new Dense(4), () => new SELU()), 4);
        yield return Case("EmbeddingHead normalised", Net(() => new Dense(6), () => new EmbeddingHead(5)), 4);
        yield return Case("EmbeddingHead raw on images", Net(() => new EmbeddingHead(3, normalize: false)), 2, 3, 3);
        yield return Case("VerificationHead |f1 - f2|", Net(() => new Dense(8), () => new VerificationHead()), 4);
        yield return Case("VerificationHead chi-squared", Net(() => new Dense(8), () => new VerificationHead(VerificationFeatures.ChiSquared)), 4);
        yield return Case("Softmax flat", Net(() => new Dense(5), () => new Softmax()), 4);
        yield return Case("Softmax over an image", Net(() => new Conv2D(2, 3), () => new Softmax()), 1, 5, 5);
        yield return Case("Flatten", Net(() => new Conv2D(2, 3), () => new Flatten(), () => new Dense(3)), 1, 6, 6);
        yield return Case("Conv valid stride 2", Net(() => new Conv2D(4, 3, stride: 2)), 3, 9, 8);
        yield return Case("Conv same stride 1", Net(() => new Conv2D(4, 4, padding: Padding.Same)), 3, 7, 7);
        yield return Case("Conv same stride 2 (asymmetric)", Net(() => new Conv2D(4, 3, stride: 2, padding: Padding.Same)), 3, 8, 8);
        yield return Case("Conv symmetric padding", Net(() => new Conv2D(4, 5, padding: 2)), 3, 7, 7);
        yield return Case("Conv explicit padding", Net(() => new Conv2D(4, (3, 2), (2, 1), Padding.Explicit(0, 2, 1, 0))), 3, 7, 7);
        yield return Case("Conv dilated", Net(() => new Conv2D(4, 3, dilation: 2, padding: Padding.Same)), 3, 9, 9);
        yield return Case("Conv groups", Net(() => new Conv2D(6, 3, groups: 3, padding: 1)), 6, 6, 6);
        yield return Case("Conv depthwise no bias", Net(() => new Conv2D(4, 3, groups: 4, useBias: false)), 4, 6, 6);
        yield return Case("ConvTranspose valid stride 2", Net(() => new ConvTranspose2D(3, 3, stride: 2)), 4, 5, 5);
        yield return Case("ConvTranspose padding + output padding", Net(() => new ConvTranspose2D(3, 3, stride: 2, padding: 1, outputPadding: 1)), 4, 5, 5);
        yield return Case("ConvTranspose same stride 2", Net(() => new ConvTranspose2D(3, 4, stride: 2, padding: Padding.Same)), 4, 5, 5);
        yield return Case("ConvTranspose same stride 3 k1", Net(() => new ConvTranspose2D(3, 1, stride: 3, padding: Padding.Same)), 4, 4, 4);
        yield return Case("ConvTranspose same k5 stride 2", Net(() => new ConvTranspose2D(3, 5, stride: 2, padding: Padding.Same)), 2, 4, 4);
        yield return Case("ConvTranspose dilated groups", Net(() => new ConvTranspose2D(4, 3, dilation: 2, groups: 2, useBias: false)), 4, 4, 4);
        yield return Case("MaxPool valid", Net(() => new MaxPool2D(2)), 3, 8, 7);
        yield return Case("BilinearUpsampling x2", Net(() => new Conv2D(3, 3, padding: 1), () => new BilinearUpsampling(2)), 2, 5, 4);
        yield return Case("BilinearUpsampling x3, broadcast 1x1", Net(() => new BilinearUpsampling(3), () => new AvgPool2D(6), () => new BilinearUpsampling(4)), 2, 2, 2);
        yield return Case("InputSizeCheck removed", Net(() => new InputSizeCheck(4, "test"), () => new Conv2D(2, 3)), 2, 8, 8);
        yield return Case("MaxPool overlapping", Net(() => new MaxPool2D(3, 2)), 3, 9, 9);
        yield return Case("MaxPool same", Net(() => new MaxPool2D(3, 2, same: true)), 3, 8, 8);
        yield return Case("MaxPool explicit padding (torchvision's stem)", Net(() => new MaxPool2D(3, 2, padding: 1)), 3, 9, 8);
        yield return Case("AvgPool explicit asymmetric padding", Net(() => new AvgPool2D(3, 2, Padding.Explicit(2, 0, 1, 2))), 3, 8, 9);
        yield return Case("ReLU + MaxPool 2x2 (fused)", Net(() => new Conv2D(4, 3, padding: 1), () => new ReLU(), () => new MaxPool2D(2)), 3, 8, 8);
        yield return Case("AvgPool valid", Net(() => new AvgPool2D(2)), 3, 8, 8);
        yield return Case("AvgPool same (real inputs only)", Net(() => new AvgPool2D(3, 2, same: true)), 3, 8, 7);
        yield return Case("RoIPooling (regions as the rois input's default)", () =>
        {
            // One region per image of the 3-row batch, so the output keeps N rows; the regions reach the graph as the default of its "rois" input.
            var roi = new RoIPooling(2, 3, 0.5f);
            roi.SetRegions(new Tensor([0, 0, 0, 15, 15, 1, 2, 4, 9, 12, 2, 5, 1, 14, 7], 3, 5));
            return new Sequential(new Conv2D(2, 3, padding: Padding.Same), roi, new Flatten(), new Dense(3));
        }, 3, 8, 8);
        yield return Case("Subsampling + Sigmoid", Net(() => new Subsampling(2), () => new Sigmoid()), 3, 8, 8);
        yield return Case("PartiallyConnectedConv2D (C3)", Net(() => new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5)), 6, 14, 14);
        yield return Case("ScaledTanh", Net(() => new Dense(6), () => new ScaledTanh()), 4);
        yield return Case("RbfOutput", Net(() => new Dense(8), () => new RbfOutput(5)), 4);
        yield return Case("RbfOutput on images", Net(() => new RbfOutput(3)), 2, 3, 3);
        yield return Case("LRN odd (AlexNet)", Net(() => new Conv2D(7, 3), () => new LocalResponseNormalization(5, 2f, 1e-1f, 0.75f)), 3, 6, 6);
        yield return Case("LRN even", Net(() => new Conv2D(7, 3), () => new LocalResponseNormalization(4, 1f, 0.3f, 0.6f)), 3, 6, 6);
        yield return Case("BatchNorm images", Net(() => new Conv2D(4, 3), () => new BatchNormalization(epsilon: 1e-3f)), 3, 6, 6);
        yield return Case("BatchNorm features", Net(() => new Dense(5), () => new BatchNormalization()), 4);
        yield return Case("GroupNorm images", Net(() => new Conv2D(6, 3), () => new GroupNormalization(3)), 3, 6, 6);
        yield return Case("GroupNorm features", Net(() => new Dense(6), () => new GroupNormalization(2, 1e-3f)), 4);
        yield return Case("Residual block (projection)", () => new Sequential(Architectures.BasicBlock(3, 4, stride: 2)), 3, 8, 8);
        yield return Case("Residual block (identity)", () => new Sequential(Architectures.BasicBlock(4, 4)), 4, 6, 6);
        yield return Case("Inception block", () => new Sequential(Architectures.InceptionModule(2, 3, 4, 2, 3, 2)), 3, 7, 7);
        yield return Case("Graph sum of three, concat", () =>
        {
            var g = new Graph();
            var a = g.Add(new Dense(4), g.Input, "a");
            var b = g.Add(new Dense(4), g.Input, "b");
            var c = g.Add(new Dense(4), a, "c");
            var s = g.Sum([a, b, c]);
            g.SetOutput(g.Concat([s, a]));
            return new Sequential(g, new Tanh());
        }, 5);
    }

    private sealed class Unexportable : Layer
    {
        public override LayerDescription Describe() => new("MysteryLayer", Name);

        protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training) => input;

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
