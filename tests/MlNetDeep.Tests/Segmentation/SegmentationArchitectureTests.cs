using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>FCN-32s/16s/8s, U-Net, DeepLab (ASPP) and PSPNet: shapes, skip connections, errors, gradients, saving.</summary>
public class SegmentationArchitectureTests
{
    [TestCase(32)]
    [TestCase(16)]
    [TestCase(8)]
    public void FcnSkipShapesLineUp(int stride)
    {
        var fcn = SegmentationArchitectures.Fcn(classes: 5, outputStride: stride, filters: 4);
        Assert.That(fcn.Build([3, 64, 96], new RandomSource(1)), Is.EqualTo(new[] { 5, 64, 96 }));

        int[] Shape(string node) => fcn[node].OutputShape.ToArray();
        Assert.That(Shape("pool3"), Is.EqualTo(new[] { 16, 8, 12 }));
        Assert.That(Shape("pool4"), Is.EqualTo(new[] { 32, 4, 6 }));
        Assert.That(Shape("score_fr"), Is.EqualTo(new[] { 5, 2, 3 }));
        if (stride <= 16)
        {
            // score_fr up-sampled 2× meets pool4's scores; (for 8s) that sum up-sampled 2× meets pool3's.
            Assert.That(Shape("upscore2"), Is.EqualTo(Shape("score_pool4")).And.EqualTo(new[] { 5, 4, 6 }));
            Assert.That(fcn["fuse_pool4"].InputNames, Is.EqualTo(new[] { "upscore2", "score_pool4" }));
        }

        if (stride == 8)
        {
            Assert.That(Shape("upscore_pool4"), Is.EqualTo(Shape("score_pool3")).And.EqualTo(new[] { 5, 8, 12 }));
        }

        Assert.That(fcn.Nodes.Select(n => n.Name), stride == 32 ? Does.Not.Contain("score_pool4") : Does.Contain("score_pool4"));
        Assert.That(fcn.Nodes.Select(n => n.Name), stride == 8 ? Does.Contain("score_pool3") : Does.Not.Contain("score_pool3"));
    }

    [Test]
    public void FcnStartsAsTheCoarserNet()
    {
        // The skip scorers start at zero: before training, FCN-8s computes what FCN-16s and FCN-32s would compute with
        // the same backbone, up to the bilinear up-sampling path (checked here by the zero skip outputs).
        var fcn = SegmentationArchitectures.Fcn(classes: 3, outputStride: 8, filters: 2, batchNorm: false);
        fcn.Build([3, 32, 32], new RandomSource(3));
        fcn.Forward(TestData.Random(4, 2, 3, 32, 32), training: false);
        Assert.That(fcn["score_pool4"].Layer!.Parameters.SelectMany(p => p.Value.Span.ToArray()), Is.All.Zero);
        Assert.That(fcn["score_pool3"].Layer!.Parameters.SelectMany(p => p.Value.Span.ToArray()), Is.All.Zero);
    }

    [TestCase(1, 6)]
    [TestCase(2, 12)]
    [TestCase(3, 40)]
    [TestCase(3, 8)]
    public void UNetRoundTripsSizesDivisibleByTwoToTheDepth(int depth, int size)
    {
        var unet = SegmentationArchitectures.UNet(classes: 4, depth: depth, filters: 4);
        Assert.That(unet.Build([3, size, 2 * size], new RandomSource(1)), Is.EqualTo(new[] { 4, size, 2 * size }));
        Assert.That(unet["skip1"].OutputShape.ToArray(), Is.EqualTo(new[] { 8, size, 2 * size }));
    }

    [Test]
    public void UNetRefusesOtherSizesWithAClearError()
    {
        var unet = SegmentationArchitectures.UNet(classes: 4, depth: 3, filters: 4);
        var e = Assert.Throws<ArgumentException>(() => unet.Build([3, 30, 32], new RandomSource(1)));
        Assert.That(e!.Message, Does.Contain("U-Net of depth 3").And.Contain("multiples of 8").And.Contain("[3, 30, 32]").And.Contain("32×32"));
    }

    [Test]
    public void DeepLabKeepsResolutionWithAtrousConvolutionsAndAspp()
    {
        var net = SegmentationArchitectures.DeepLab(classes: 3, inputSize: 32, filters: 4);
        Assert.That(net.Build([3, 32, 32], new RandomSource(1)), Is.EqualTo(new[] { 3, 32, 32 }));
        Assert.That(net["atrous2"].OutputShape.ToArray(), Is.EqualTo(new[] { 16, 8, 8 }));
        Assert.That(net["aspp"].OutputShape.ToArray(), Is.EqualTo(new[] { 16 * 5, 8, 8 }));
        Assert.That(((Conv2D)net["aspp_rate3_conv"].Layer!).Dilation, Is.EqualTo((3, 3)));
        Assert.That(net["aspp_image_up"].OutputShape.ToArray(), Is.EqualTo(new[] { 16, 8, 8 }));
    }

    [Test]
    public void PspNetPoolsAPyramidAndRefusesBinsThatDoNotDivideTheMap()
    {
        var net = SegmentationArchitectures.PspNet(classes: 3, inputSize: 32, filters: 4, bins: [1, 2, 4]);
        Assert.That(net.Build([3, 32, 32], new RandomSource(1)), Is.EqualTo(new[] { 3, 32, 32 }));
        Assert.That(net["ppm2_pool"].OutputShape.ToArray(), Is.EqualTo(new[] { 16, 2, 2 }));
        Assert.That(net["pyramid"].OutputShape.ToArray(), Is.EqualTo(new[] { 16 + (3 * 4), 8, 8 }));
        Assert.That(
            () => SegmentationArchitectures.PspNet(3, 32, bins: [1, 3]),
            Throws.ArgumentException.With.Message.Contains("bin count 3 does not divide the 8×8 feature map"));
    }

    private static IEnumerable<TestCaseData> SmallNetworks()
    {
        yield return new TestCaseData((Func<Graph>)(() => SegmentationArchitectures.UNet(3, depth: 2, filters: 2, batchNorm: false)), 8).SetName("U-Net depth 2");
        yield return new TestCaseData((Func<Graph>)(() => SegmentationArchitectures.Fcn(3, 8, filters: 2, batchNorm: false)), 32).SetName("FCN-8s");
        yield return new TestCaseData((Func<Graph>)(() => SegmentationArchitectures.Fcn(3, 32, filters: 2, batchNorm: false)), 32).SetName("FCN-32s");
        yield return new TestCaseData((Func<Graph>)(() => SegmentationArchitectures.DeepLab(3, 8, filters: 2, rates: [1, 2], batchNorm: false)), 8).SetName("DeepLab ASPP");
        yield return new TestCaseData((Func<Graph>)(() => SegmentationArchitectures.PspNet(3, 8, filters: 2, bins: [1, 2], batchNorm: false)), 8).SetName("PSPNet");
    }

    [TestCaseSource(nameof(SmallNetworks))]
    public void SmallInstancesPassGradientCheck(Func<Graph> create, int size)
    {
        var net = create();
        net.Build([2, size, size], new RandomSource(11));
        var x = TestData.Random(12, 2, 2, size, size);
        var labels = TestData.Labels(13, 2 * size * size, 3);
        labels.Reshape(2, size, size);

        // Whole networks of ReLUs and max-pools in float32: a difference that straddles a kink costs a few 1e-3; a wrong
        // path (a skip whose gradient is lost) gives errors near 1.
        var result = GradientCheck.Run(net, new PixelSoftmaxCrossEntropy(), x, labels, tolerance: 3e-2, maxEntriesPerTensor: 24);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [TestCaseSource(nameof(SmallNetworks))]
    public void SmallInstancesSaveAndLoadToTheSameOutputs(Func<Graph> create, int size)
    {
        var net = create();
        net.Build([2, size, size], new RandomSource(11));
        var x = TestData.Random(12, 2, 2, size, size);
        var expected = net.Forward(x, training: false).Clone();

        using var stream = new MemoryStream();
        NetworkFile.Save(net, stream);
        stream.Position = 0;
        var loaded = NetworkFile.Load(stream);

        Assert.That(loaded.Forward(x, training: false).Span.ToArray(), Is.EqualTo(expected.Span.ToArray()));
    }
}
