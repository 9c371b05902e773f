using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers;

/// <summary>
/// Inference passes that run convolution → batch norm → ReLU (and a residual sum → ReLU) as one pass: the outputs are
/// bit for bit those of running the layers one by one, on every path of the convolution engine, at any batch size and
/// core count; a backward pass after a fused inference pass gives the gradients it gives after the unfused one; and the
/// chains that must not be fused (an output read twice) are not.
/// </summary>
[NonParallelizable]
public class InferenceFusionTests
{
    [TearDown]
    public void Restore() => Sequential.FuseInference = true;

    /// <summary>(input channels, output channels, side, kernel, stride, dilation, batch): one case for each path of the engine.</summary>
    [TestCase(3, 16, 32, 3, 1, 1, 3)]     // few channels: the direct kernels
    [TestCase(64, 64, 8, 3, 1, 1, 5)]     // Winograd F(4x4, 3x3) (with AVX-512)
    [TestCase(160, 144, 12, 3, 1, 1, 3)]  // Winograd F(2x2, 3x3) (too many channels for F(4x4))
    [TestCase(32, 48, 14, 3, 2, 1, 12)]   // strided: im2col, batch folded into the GEMM, in two chunks
    [TestCase(32, 48, 14, 3, 2, 1, 3)]    // the same in one chunk (its GEMM on every core)
    [TestCase(24, 40, 30, 5, 1, 1, 2)]    // im2col per sample (more than 512 positions)
    [TestCase(40, 24, 9, 1, 1, 1, 1)]     // pointwise, a single sample
    [TestCase(3, 64, 32, 7, 2, 1, 4)]     // ResNet's stem: the phases stacked as channels
    [TestCase(32, 32, 16, 3, 1, 2, 3)]    // dilated: the phases as images
    [TestCase(64, 64, 2, 3, 1, 1, 6)]     // tiny images: the unrolled dense matrix (planes of 4 values)
    public void ConvBatchNormReLUGivesTheBitsOfTheLayersOneByOne(int channelsIn, int channelsOut, int side, int kernel, int stride, int dilation, int batch)
    {
        foreach (var (normalize, rectify) in new[] { (true, true), (true, false), (false, true) })
        {
            var layers = new List<Layer> { new Conv2D(channelsOut, kernel, stride, Padding.Same, dilation) };
            if (normalize)
            {
                layers.Add(new BatchNormalization());
            }

            if (rectify)
            {
                layers.Add(new ReLU());
            }

            var net = new Sequential(layers);
            net.Build([channelsIn, side, side], new RandomSource(3));
            Assert.That(net.InferenceEpilogues, Is.EqualTo(1), "the chain is fused");
            Disturb(net);
            var x = TestData.Random(4, batch, channelsIn, side, side);
            var context = $"normalize {normalize}, rectify {rectify}";
            AssertFusedEqualsUnfused(net, x, context);
        }
    }

    /// <summary>A transposed convolution (a U-Net's up-sampling) applies the batch norm and ReLU after its pass.</summary>
    [Test]
    public void TransposedConvolutionsToo()
    {
        var net = new Sequential(new ConvTranspose2D(12, 2, 2), new BatchNormalization(), new ReLU());
        net.Build([16, 9, 9], new RandomSource(3));
        Assert.That(net.InferenceEpilogues, Is.EqualTo(1));
        Disturb(net);
        AssertFusedEqualsUnfused(net, TestData.Random(4, 3, 16, 9, 9), "transposed");
    }

    /// <summary>A sample alone, a batch and any core count: the fused pass gives the bits of the unfused one everywhere.</summary>
    [Test]
    public void ResNetInferenceGivesTheSameBitsFusedAndUnfusedOnAnyCoreCount()
    {
        var net = Architectures.ResNet18(10, 32);
        net.Build([3, 32, 32], new RandomSource(1));
        Disturb(net);
        var x = TestData.Random(2, 3, 3, 32, 32);
        Sequential.FuseInference = false;
        var expected = net.Forward(x, false).Span.ToArray();
        foreach (var degree in ThreadCounts.Degrees)
        {
            Sequential.FuseInference = true;
            var fused = ThreadCounts.With(degree, () => net.Forward(x, false).Span.ToArray());
            ThreadCounts.AssertSameBits([("output", expected)], [("output", fused)], $"{degree} threads");
        }

        // One sample alone gets its bits from the batch.
        var one = new Tensor(1, 3, 32, 32);
        x.Span[..one.Length].CopyTo(one.Span);
        var alone = net.Forward(one, false).Span.ToArray();
        ThreadCounts.AssertSameBits([("output", expected[..10])], [("output", alone)], "a sample alone");
    }

    /// <summary>Residual blocks: each block's sum applies the ReLU after it, and the convolutions their batch norms.</summary>
    [Test]
    public void ResidualSumsApplyTheirReLU()
    {
        var block = ResidualBlock.Create(
            new Sequential(new Conv2D(16, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new Conv2D(16, 3, padding: Padding.Same), new BatchNormalization()));
        block.Build([16, 20, 20], new RandomSource(2));
        Assert.That(block.InferenceEpilogues, Is.EqualTo(1), "the sum takes the ReLU");
        Disturb(block);
        AssertFusedEqualsUnfused(block, TestData.Random(3, 4, 16, 20, 20), "residual block");
    }

    /// <summary>A graph of layer nodes (as the segmentation networks are built): conv → BN → ReLU nodes run as one.</summary>
    [Test]
    public void GraphChainsOfLayerNodesAreFused()
    {
        var g = new Graph();
        var conv = g.Add(new Conv2D(8, 3, padding: Padding.Same), g.Input);
        var norm = g.Add(new BatchNormalization(), conv);
        var relu = g.Add(new ReLU(), norm);
        var conv2 = g.Add(new Conv2D(8, 3, padding: Padding.Same), relu);
        var relu2 = g.Add(new ReLU(), conv2);
        g.SetOutput(g.Concat([relu2, relu]));
        g.Build([4, 12, 12], new RandomSource(5));
        Assert.That(g.InferenceEpilogues, Is.EqualTo(2));
        Disturb(g);
        AssertFusedEqualsUnfused(g, TestData.Random(6, 3, 4, 12, 12), "graph");
    }

    /// <summary>An output read by two nodes (or the graph's output) is not changed in place by a fused epilogue.</summary>
    [Test]
    public void AnOutputReadTwiceIsNotFused()
    {
        var g = new Graph();
        var conv = g.Add(new Conv2D(8, 3, padding: Padding.Same), g.Input);
        var norm = g.Add(new BatchNormalization(), conv);
        var sum = g.Sum([conv, norm]);   // the convolution's output is read by the batch norm and by the sum
        var relu = g.Add(new ReLU(), sum);
        g.SetOutput(g.Sum([relu, sum])); // the first sum's output is read twice
        g.Build([4, 10, 10], new RandomSource(5));
        Assert.That(g.InferenceEpilogues, Is.EqualTo(0));
        Disturb(g);
        AssertFusedEqualsUnfused(g, TestData.Random(6, 2, 4, 10, 10), "graph");

        var chain = new Sequential(new Conv2D(8, 3), new ReLU(), new MaxPool2D(2));
        chain.Build([4, 10, 10], new RandomSource(5));
        Assert.That(chain.InferenceEpilogues, Is.EqualTo(0), "a ReLU before a pairwise max pooling stays with the pooling");
    }

    /// <summary>NaN from the input stays NaN through the fused epilogue, as through the layers.</summary>
    [Test]
    public void NaNIsKept()
    {
        var net = new Sequential(new Conv2D(16, 3, padding: Padding.Same), new BatchNormalization(), new ReLU());
        net.Build([8, 10, 10], new RandomSource(3));
        Disturb(net);
        var x = TestData.Random(4, 2, 8, 10, 10);
        x[37] = float.NaN;
        var y = AssertFusedEqualsUnfused(net, x, "NaN");
        Assert.That(y.Count(float.IsNaN), Is.GreaterThan(0));
    }

    /// <summary>
    /// Fused and unfused inference give the same bits, and a backward pass after either gives the same input and parameter
    /// gradients (after a fused pass the chain runs its layers one by one again first). Returns the output.
    /// </summary>
    private static float[] AssertFusedEqualsUnfused(Layer net, Tensor x, string context)
    {
        var dy = TestData.Random(9, [.. net.Forward(x, false).Shape]);
        (float[] Output, float[] InputGradient, float[][] Gradients) Run(bool fuse)
        {
            Sequential.FuseInference = fuse;
            foreach (var p in net.Parameters)
            {
                p.Gradient.Span.Clear();
            }

            var output = net.Forward(x, false).Span.ToArray();
            net.ComputeInputGradient = true;
            var dx = net.Backward(dy).Span.ToArray();
            return (output, dx, [.. net.Parameters.Select(p => p.Gradient.Span.ToArray())]);
        }

        var unfused = Run(false);
        var fused = Run(true);
        ThreadCounts.AssertSameBits(
            [("output", unfused.Output), ("input gradient", unfused.InputGradient), .. unfused.Gradients.Select((g, i) => ($"gradient {i}", g))],
            [("output", fused.Output), ("input gradient", fused.InputGradient), .. fused.Gradients.Select((g, i) => ($"gradient {i}", g))],
            context);
        return fused.Output;
    }

    /// <summary>Moves batch norms away from the identity (running statistics, γ, β) and makes some outputs negative.</summary>
    private static void Disturb(Layer net)
    {
        var r = new RandomSource(11);
        foreach (var (name, value) in net.Buffers)
        {
            for (var i = 0; i < value.Length; i++)
            {
                value[i] = name.EndsWith("running_var", StringComparison.Ordinal) ? 0.3f + r.NextFloat() : r.NextFloat() - 0.5f;
            }
        }

        foreach (var p in net.Parameters.Where(p => !p.IsWeight))
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                p.Value[i] = r.NextFloat() - 0.3f;
            }
        }
    }
}
