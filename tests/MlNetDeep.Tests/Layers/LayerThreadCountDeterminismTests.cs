using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers;

/// <summary>
/// Every layer that spreads work over the worker pool gives the same bits at 1, 2 and 3 threads: the training forward
/// pass, the input gradient, every parameter gradient, the running statistics and the inference forward pass. Sizes
/// are chosen to cross each layer's threshold for going parallel, and batches include small ones (1 to 7 samples).
/// </summary>
[NonParallelizable]
public class LayerThreadCountDeterminismTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        static TestCaseData Case(string name, Func<Layer> create, params int[] shape) =>
            new TestCaseData(create, shape).SetArgDisplayNames(name, Tensor.Format(shape));

        foreach (var n in new[] { 1, 2, 3, 7, 64, 256 })
        {
            yield return Case("Dense", () => new Dense(120), n, 400);
        }

        yield return Case("Dense", () => new Dense(10), 5, 84);
        yield return Case("Dense wide", () => new Dense(700), 1, 300);
        foreach (var n in new[] { 1, 3, 7, 64 })
        {
            yield return Case("Conv2D 5x5 padded", () => new Conv2D(6, 5, padding: 2), n, 1, 28, 28);
            yield return Case("Conv2D 5x5", () => new Conv2D(16, 5), n, 6, 14, 14);
            yield return Case("Conv2D strided", () => new Conv2D(16, 3, stride: 2, padding: 1), n, 8, 20, 20);
        }

        foreach (var n in new[] { 3, 64 })
        {
            // Batch-folded GEMMs: many chunks (8x8), one chunk with GEMMs split across the cores (2x2), strided 1x1.
            yield return Case("Conv2D folded 8x8", () => new Conv2D(64, 3, padding: 1, useBias: false), n, 64, 8, 8);
            yield return Case("Conv2D folded 2x2", () => new Conv2D(128, 3, padding: 1), n, 64, 2, 2);
            yield return Case("Conv2D folded 1x1/2", () => new Conv2D(32, 1, stride: 2, useBias: false), n, 16, 8, 8);
            yield return Case("Conv2D folded, trimmed to its centre tap", () => new Conv2D(96, 3, padding: 1), n, 32, 1, 1);
            yield return Case("Conv2D folded in parts 2x2", () => new Conv2D(48, 3, padding: 1), n, 32, 2, 2);
        }

        yield return Case("Conv2D 1x1", () => new Conv2D(32, 1), 5, 16, 12, 12);
        yield return Case("Conv2D dilated, two groups", () => new Conv2D(8, 3, padding: 2, dilation: 2, groups: 2), 5, 4, 16, 16);
        yield return Case("Conv2D dilated, on its phases (Winograd)", () => new Conv2D(16, 3, padding: 2, dilation: 2), 5, 32, 16, 16);
        yield return Case("Conv2D dilated 3, on its phases (direct)", () => new Conv2D(8, 3, padding: 3, dilation: 3), 5, 4, 17, 16);
        yield return Case("Conv2D depthwise", () => new Conv2D(16, 3, padding: 1, groups: 16), 5, 16, 16, 16);
        yield return Case("ConvTranspose2D strided", () => new ConvTranspose2D(8, 3, stride: 2), 5, 16, 10, 10);
        yield return Case("PartiallyConnectedConv2D", () => new PartiallyConnectedConv2D(PartiallyConnectedConv2D.LeNet5Table, 5), 5, 6, 14, 14);
        yield return Case("MaxPool2D 2x2", () => new MaxPool2D(2), 64, 6, 28, 28);
        yield return Case("ReLU + MaxPool2D 2x2 fused, large", () => new Sequential(new ReLU(), new MaxPool2D(2)), 86, 6, 64, 64);
        yield return Case("MaxPool2D 3x3/2", () => new MaxPool2D(3, 2), 7, 8, 27, 27);
        yield return Case("AvgPool2D 3x3/2", () => new AvgPool2D(3, 2), 7, 8, 27, 27);
        yield return Case("Subsampling", () => new Subsampling(2), 7, 6, 28, 28);
        yield return Case("BilinearUpsampling x2", () => new BilinearUpsampling(2), 7, 16, 24, 24);
        yield return Case("BilinearUpsampling x4", () => new BilinearUpsampling(4), 3, 8, 6, 6);
        foreach (var n in new[] { 3, 64 })
        {
            yield return Case("BatchNormalization dense", () => new BatchNormalization(), n, 400);
            yield return Case("BatchNormalization conv", () => new BatchNormalization(), n, 6, 28, 28);
        }

        foreach (var n in new[] { 3, 64 })
        {
            // The Siamese heads: the projection is a Dense that goes parallel on wide inputs; the normalisation is per row.
            yield return Case("EmbeddingHead L2-normalised", () => new EmbeddingHead(128), n, 400);
            yield return Case("EmbeddingHead", () => new EmbeddingHead(64, normalize: false), n, 400);
            yield return Case("VerificationHead |f1 - f2|", () => new VerificationHead(), n, 2, 128);
            yield return Case("VerificationHead chi-squared", () => new VerificationHead(VerificationFeatures.ChiSquared), n, 2, 128);
        }

        foreach (var shape in new[] { new[] { 64, 1000 }, [7, 3001] })
        {
            // Elementwise activations cut large tensors into one part per thread (64k values; 21,007, not a multiple of 16).
            yield return Case("ReLU", () => new ReLU(), shape);
            yield return Case("LeakyReLU", () => new LeakyReLU(0.1f), shape);
            yield return Case("ELU", () => new ELU(), shape);
            yield return Case("SELU", () => new SELU(), shape);
            yield return Case("Sigmoid", () => new Sigmoid(), shape);
            yield return Case("Tanh", () => new Tanh(), shape);
            yield return Case("ScaledTanh", () => new ScaledTanh(), shape);
        }

        yield return Case("GroupNormalization", () => new GroupNormalization(4), 64, 16, 14, 14);
        yield return Case("LocalResponseNormalization", () => new LocalResponseNormalization(), 64, 16, 14, 14);
        foreach (var n in new[] { 3, 16 })
        {
            yield return Case(
                "ResidualBlock",
                () => ResidualBlock.Create(new Sequential(new Conv2D(8, 3, padding: 1), new BatchNormalization(), new ReLU(), new Conv2D(8, 3, padding: 1))),
                n, 8, 12, 12);
        }

        yield return Case(
            "InceptionBlock",
            () => InceptionBlock.Create(new Conv2D(4, 1), new Sequential(new Conv2D(4, 1), new Conv2D(6, 3, padding: 1)), new Sequential(new MaxPool2D(3, 1, same: true), new Conv2D(3, 1))),
            6, 8, 12, 12);
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardGiveTheSameBitsOnAnyThreadCount(Func<Layer> create, int[] shape)
    {
        var x = TestData.Uniform(11, -2f, 2f, shape);
        var probe = create();
        probe.Build(shape.AsSpan(1), new RandomSource(3));
        var dy = TestData.Uniform(12, -1f, 1f, [shape[0], .. probe.OutputShape]);

        var reference = ThreadCounts.With(1, () => Run(create, x, dy));
        foreach (var degree in ThreadCounts.Degrees.Skip(1))
        {
            ThreadCounts.AssertSameBits(reference, ThreadCounts.With(degree, () => Run(create, x, dy)), $"{degree} threads");
        }
    }

    private static List<(string Name, float[] Values)> Run(Func<Layer> create, Tensor x, Tensor dy)
    {
        var layer = create();
        layer.Build(x.Shape[1..], new RandomSource(3));
        var y = layer.Forward(x, training: true).Span.ToArray();
        var dx = layer.Backward(dy).Span.ToArray();
        var names = layer.ParameterNames();
        List<(string Name, float[] Values)> result =
        [
            ("training output", y),
            ("input gradient", dx),
            .. layer.Parameters.Select((p, i) => ($"gradient of {names[i]}", p.Gradient.Span.ToArray())),
            .. layer.Buffers.Select(b => (b.Name, b.Value.Span.ToArray())),
        ];
        result.Add(("inference output", layer.Forward(x, training: false).Span.ToArray()));
        return result;
    }
}
