using MlNetDeep.Kernels;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>Saving, cloning, buffer reuse, threading and bad input for Conv2D and ConvTranspose2D.</summary>
public class ConvolutionBehaviourTests
{
    /// <summary>Every setting away from its default.</summary>
    private static Sequential Network() => new(
        new Conv2D(4, (3, 2), (2, 1), Padding.Explicit(1, 0, 2, 1), (1, 2), groups: 2) { Name = "odd conv" },
        new ReLU(),
        new Conv2D(6, 3, padding: Padding.Same, useBias: false),
        new ConvTranspose2D(3, (3, 2), (2, 2), Padding.Symmetric(1, 0), (1, 0), (1, 1), groups: 3, useBias: true) { Name = "up" },
        new ConvTranspose2D(2, 3, stride: 2, padding: Padding.Same, dilation: 2, useBias: false),
        new Conv2D(2, 1),
        new Dense(3));

    private static Sequential Built(ulong seed)
    {
        var net = Network();
        net.Build([2, 7, 6], new RandomSource(seed));
        return net;
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static IEnumerable<string> Flatten(LayerDescription d) =>
        [d.ToString(), .. d.Settings.Select(s => $"{s.Key}={s.Value}"), .. d.Children.SelectMany(Flatten)];

    [Test]
    public void SaveLoadAndCloneGiveBitIdenticalOutputs()
    {
        var original = Built(1);
        var x = TestData.Random(2, 5, 2, 7, 6);
        var expected = Bits(Inference.Predict(original, x));
        var stream = new MemoryStream();
        NetworkFile.Save(original, stream);

        var loaded = NetworkFile.Load(new MemoryStream(stream.ToArray()));
        var clone = NetworkFile.Clone(original);

        foreach (var copy in new[] { loaded, clone })
        {
            Assert.That(Bits(Inference.Predict(copy, x)), Is.EqualTo(expected));
            Assert.That(Flatten(copy.Describe()), Is.EqualTo(Flatten(original.Describe())));
            Assert.That(copy.Parameters.Select(p => p.Value.Shape.ToArray()), Is.EqualTo(original.Parameters.Select(p => p.Value.Shape.ToArray())));
        }
    }

    [Test]
    public void DescriptionsNameEverySetting()
    {
        var d = Network().Describe();

        Assert.That(d.Children[0].TypeKey, Is.EqualTo("Conv2D"));
        Assert.That(d.Children[0].Settings, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["filters"] = "4",
            ["kernelHeight"] = "3",
            ["kernelWidth"] = "2",
            ["strideHeight"] = "2",
            ["strideWidth"] = "1",
            ["padding"] = "1,0,2,1",
            ["dilationHeight"] = "1",
            ["dilationWidth"] = "2",
            ["groups"] = "2",
            ["useBias"] = "true",
        }));
        Assert.That(d.Children[2].Settings["padding"], Is.EqualTo("same"));
        Assert.That(d.Children[3].TypeKey, Is.EqualTo("ConvTranspose2D"));
        Assert.That(d.Children[3].Settings["outputPaddingHeight"], Is.EqualTo("1"));
        Assert.That(d.Children[3].Settings["outputPaddingWidth"], Is.EqualTo("0"));
        Assert.That(d.Children[3].Settings["padding"], Is.EqualTo("1,1,0,0"));
        Assert.That(new Conv2D(1, 3).Describe().Settings["padding"], Is.EqualTo("valid"));
    }

    [TestCase("valid")]
    [TestCase("same")]
    [TestCase("1,2,3,4")]
    [TestCase("0,0,0,1")]
    public void PaddingTextRoundTrips(string text)
    {
        Assert.That(Padding.Parse(text).ToString(), Is.EqualTo(text));
    }

    [TestCase("")]
    [TestCase("1,2,3")]
    [TestCase("1,2,3,-4")]
    [TestCase("SAME")]
    [TestCase("1, 2,3,4")]
    public void BadPaddingTextIsRejected(string text)
    {
        Assert.Throws<FormatException>(() => Padding.Parse(text));
    }

    [Test]
    public void PaddingValuesCompare()
    {
        Assert.That(default(Padding), Is.EqualTo(Padding.Valid));
        Assert.That((Padding)0, Is.EqualTo(Padding.Valid));
        Assert.That((Padding)2, Is.EqualTo(Padding.Explicit(2, 2, 2, 2)));
        Assert.That(Padding.Same, Is.Not.EqualTo(Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => Padding.Symmetric(-1));
    }

    [Test]
    public void BadDescriptionSettingGivesAClearError()
    {
        var d = new Conv2D(2, 3).Describe();
        var settings = d.Settings.ToDictionary();
        settings["padding"] = "sideways";

        var e = Assert.Throws<InvalidDataException>(() => LayerRegistry.Create(new LayerDescription("Conv2D", "c", settings)));

        Assert.That(e!.Message, Does.Contain("sideways"));
    }

    [TestCase(8, 8, 16)]
    [TestCase(2, 2, 64)]
    [TestCase(1, 1, 3)]
    public void BatchFoldedConvolutionsAllocateNothingInSteadyState(int height, int width, int batch)
    {
        // 8x8: folded whole, in chunks; 2x2: in parts (corners); 1x1: trimmed to the centre tap, one chunk.
        var conv = new Conv2D(16, 3, padding: 1);
        conv.Build([8, height, width], new RandomSource(1));
        var x = TestData.Random(2, batch, 8, height, width);
        var g = TestData.Random(3, batch, 16, height, width);
        for (var i = 0; i < 3; i++)
        {
            conv.Forward(x, true);
            conv.Backward(g);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            conv.Forward(x, true);
            conv.Backward(g);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [TestCase(8)]
    [TestCase(1)]
    public void ForwardAndBackwardAllocateNothingInSteadyState(int batch)
    {
        // Batch 1 runs on the calling thread with multi-threaded GEMMs; larger batches are split across the cores.
        var net = Built(3);
        var x = TestData.Random(4, batch, 2, 7, 6);
        var g = TestData.Random(5, batch, 3);
        for (var i = 0; i < 3; i++)
        {
            net.Forward(x, true);
            net.Backward(g);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            net.Forward(x, true);
            net.Backward(g);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void SerialAndParallelRunsAgree()
    {
        var net = Built(4);
        var x = TestData.Random(5, 7, 2, 7, 6);
        var g = TestData.Random(6, 7, 3);
        var saved = WorkerPool.MaxDegreeOfParallelism;
        Tensor[] Run()
        {
            foreach (var p in net.Parameters)
            {
                p.Gradient.Clear();
            }

            var y = net.Forward(x, true).Clone();
            var dx = net.Backward(g).Clone();
            return [y, dx, .. net.Parameters.Select(p => p.Gradient.Clone())];
        }

        try
        {
            WorkerPool.MaxDegreeOfParallelism = 1;
            var serial = Run();
            WorkerPool.MaxDegreeOfParallelism = 4;
            var parallel = Run();

            for (var i = 0; i < serial.Length; i++)
            {
                Assert.That(parallel[i].Span.ToArray(), Is.EqualTo(serial[i].Span.ToArray()), $"tensor {i} must hold the same bits");
            }
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    [Test]
    public void WrongChannelCountNamesExpectedAndActualShapes()
    {
        var conv = new Conv2D(4, 3);
        conv.Build([3, 8, 8], new RandomSource(1));

        var e = Assert.Throws<ArgumentException>(() => conv.Forward(new Tensor(2, 4, 8, 8), false));

        Assert.That(e!.Message, Does.Contain("[N, 3, 8, 8]").And.Contain("[2, 4, 8, 8]"));
    }

    [Test]
    public void KernelLargerThanThePaddedInputIsRejectedAtBuild()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2D(2, 5, padding: 1).Build([1, 2, 8], new RandomSource(1)));
        Assert.That(e!.Message, Does.Contain("kernel height 5").And.Contain("padded input height 4"));

        var dilated = Assert.Throws<ArgumentException>(() => new Conv2D(2, 3, dilation: 4).Build([1, 8, 8], new RandomSource(1)));
        Assert.That(dilated!.Message, Does.Contain("dilated by 4 to 9"));
    }

    [Test]
    public void NonImageInputAndIndivisibleGroupsAreRejected()
    {
        var flat = Assert.Throws<ArgumentException>(() => new Conv2D(2, 3).Build([64], new RandomSource(1)));
        Assert.That(flat!.Message, Does.Contain("[C, H, W]").And.Contain("[64]"));

        var groups = Assert.Throws<ArgumentException>(() => new Conv2D(4, 3, groups: 2).Build([3, 8, 8], new RandomSource(1)));
        Assert.That(groups!.Message, Does.Contain("3 channels").And.Contain("groups (2)"));

        Assert.Throws<ArgumentException>(() => _ = new Conv2D(3, 3, groups: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(2, 3, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ConvTranspose2D(2, 3, stride: 2, outputPadding: 2));
        Assert.Throws<ArgumentException>(() => _ = new ConvTranspose2D(2, 3, stride: 2, padding: Padding.Same, outputPadding: 1));
    }

    [Test]
    public void FlatBatchesOfTheRightSizeAreAccepted()
    {
        // MNIST rows of 784 values feed a [1, 28, 28] convolution directly.
        var conv = new Conv2D(2, 5);
        conv.Build([1, 28, 28], new RandomSource(1));
        var image = TestData.Random(2, 3, 1, 28, 28);
        var expected = conv.Forward(image, false).Clone();

        var flat = new Tensor(image.Data, 3, 784);

        Assert.That(Bits(conv.Forward(flat, false)), Is.EqualTo(Bits(expected)));
    }

    [Test]
    public void DefaultInitialisationIsPyTorchsFanInUniform()
    {
        var conv = new Conv2D(64, 3);
        conv.Build([16, 8, 8], new RandomSource(1));
        var bound = 1 / Math.Sqrt(16 * 9);
        var w = conv.Weight.Value.Span.ToArray();

        Assert.That(w.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9 * bound));
        Assert.That(w.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.9 * bound));
        Assert.That(conv.Bias!.Value.Span.ToArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.ParameterCount, Is.EqualTo((64 * 16 * 9) + 64));
    }

    [Test]
    public void LeNetFiveConvolutionParameterCounts()
    {
        // Seed 002: C1 has 6 filters of 5×5 (156 parameters), C3 16 filters of 5×5×6 (2416).
        var c1 = new Conv2D(6, 5);
        Assert.That(c1.Build([1, 32, 32], new RandomSource(1)), Is.EqualTo(new[] { 6, 28, 28 }));
        Assert.That(c1.ParameterCount, Is.EqualTo(156));
        var c3 = new Conv2D(16, 5);
        Assert.That(c3.Build([6, 14, 14], new RandomSource(1)), Is.EqualTo(new[] { 16, 10, 10 }));
        Assert.That(c3.ParameterCount, Is.EqualTo(2416));
    }
}
