using MlNetDeep.Layers;
using MlNetDeep.Models;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// A sample's inference output does not depend on the batch it is in: the same bits alone, in a small batch and in
/// a block of 64 or more. ML.NET's Transform scores blocks of rows and PredictionEngine single rows, and cursor sets
/// split the rows by timing, so every kernel path (small-batch Dense, convolution chunks, pooling, normalisation)
/// must add each sample's terms in an order fixed by the sample alone.
/// </summary>
public class BatchInvarianceTests
{
    private static IEnumerable<TestCaseData> Networks()
    {
        static TestCaseData Case(string name, Func<Layer> create, int rows, params int[] shape) =>
            new TestCaseData(create, rows, shape).SetArgDisplayNames(name);

        yield return Case("MLP", () => DenseModels.Mlp([256, 128], 10), 70, 784);
        yield return Case("LeNet-5", () => Architectures.LeNet5(), 70, 1, 28, 28);
        yield return Case("LeNet-5 with batch norm", () => Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f), 70, 1, 28, 28);
        yield return Case("LeNet-5 classic", () => Architectures.LeNet5Classic(), 70, 1, 32, 32);
        yield return Case("SmallConvNet", () => Architectures.SmallConvNet(), 70, 1, 28, 28);
        yield return Case("SmallInception", () => Architectures.SmallInception(), 12, 1, 28, 28);
        yield return Case("ResNet-18 at 32x32", () => Architectures.ResNet18(10, 32), 10, 3, 32, 32);
    }

    [TestCaseSource(nameof(Networks))]
    public void EverySampleGetsTheSameBitsInAnyBatch(Func<Layer> create, int rows, int[] shape)
    {
        var network = create();
        network.Build(shape, new RandomSource(11));
        var x = TestData.Uniform(12, 0, 1, [rows, .. shape]);

        var whole = Bits(Inference.Predict(network, x, batchSize: rows));

        foreach (var batch in new[] { 1, 2, 3, 8, 64 }.Where(b => b < rows))
        {
            Assert.That(Bits(Inference.Predict(network, x, batch)), Is.EqualTo(whole), $"batches of {batch} against one batch of {rows}");
        }
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];
}
