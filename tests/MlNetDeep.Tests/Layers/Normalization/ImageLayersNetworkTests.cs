using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Normalization;

/// <summary>A small network of every pooling and normalisation layer: saving, cloning, gradients and allocation.</summary>
public class ImageLayersNetworkTests
{
    /// <summary>
    /// [4, 12, 12] → … → [3]; every layer type with non-default settings. No normalisation directly undoes another
    /// layer's parameters (a true gradient of zero would leave the gradient check's relative error to rounding):
    /// groups of two channels, a tanh between the bias-free dense layer and the batch norm.
    /// </summary>
    private static Sequential Network() => new(
        new Subsampling() { Name = "S2" },
        new Sigmoid(),
        new LocalResponseNormalization(3, 1.5f, 1e-3f, 0.7f),
        new BatchNormalization(0.8f, 1e-4f) { Name = "bn conv" },
        new MaxPool2D(3, 2, same: true),
        new GroupNormalization(2, 1e-4f),
        new AvgPool2D(2, 1),
        new Flatten(),
        new Dense(5, useBias: false),
        new Tanh(),
        new BatchNormalization(),
        new Dense(3)) { Name = "image layers" };

    private static Sequential Trained(ulong seed)
    {
        var net = Network();
        net.Build([4, 12, 12], new RandomSource(seed));
        var random = new RandomSource(seed + 1);
        foreach (var p in net.Parameters)
        {
            var span = p.Value.Span;
            for (var i = 0; i < span.Length; i++)
            {
                span[i] += 0.1f * (float)random.NextGaussian();
            }
        }

        // A few training forwards move the running statistics away from their initial values.
        for (var step = 0; step < 3; step++)
        {
            net.Forward(TestData.Random(seed + 10 + (ulong)step, 8, 4, 12, 12), true);
        }

        return net;
    }

    private static int[] Bits(Tensor t) => [.. t.Span.ToArray().Select(BitConverter.SingleToInt32Bits)];

    [Test]
    public void ShapesAndParameterCounts()
    {
        var net = Network();
        net.Build([4, 12, 12], new RandomSource(1));

        Assert.That(net.Layers.Select(l => Tensor.Format(l.OutputShape)), Is.EqualTo(new[]
        {
            "[4, 6, 6]", "[4, 6, 6]", "[4, 6, 6]", "[4, 6, 6]", "[4, 3, 3]", "[4, 3, 3]", "[4, 2, 2]", "[16]", "[5]", "[5]", "[5]", "[3]",
        }));
        Assert.That(net.ParameterCount, Is.EqualTo(8 + 8 + 8 + 80 + 10 + 18));
        Assert.That(net.Buffers.Select(b => b.Name), Is.EqualTo(new[] { "3.running_mean", "3.running_var", "10.running_mean", "10.running_var" }));
    }

    [Test]
    public void SaveLoadAndCloneKeepOutputsAndRunningStatistics()
    {
        var original = Trained(1);
        var stream = new MemoryStream();
        NetworkFile.Save(original, stream);

        var loaded = NetworkFile.Load(new MemoryStream(stream.ToArray()));
        var clone = NetworkFile.Clone(original);

        var x = TestData.Random(20, 7, 4, 12, 12);
        var expected = Bits(Inference.Predict(original, x));
        Assert.That(Bits(Inference.Predict(loaded, x)), Is.EqualTo(expected));
        Assert.That(Bits(Inference.Predict(clone, x)), Is.EqualTo(expected));
        Assert.That(loaded.Describe().ToString(), Is.EqualTo(original.Describe().ToString()));
        Assert.That(
            ((Sequential)loaded).Layers.Select(l => l.Describe().ToString()),
            Is.EqualTo(original.Layers.Select(l => l.Describe().ToString())),
            "every layer's type key, name and settings survive");

        var bn = (BatchNormalization)original.Layers[3];
        var loadedBn = (BatchNormalization)((Sequential)loaded).Layers[3];
        Assert.That(bn.RunningVariance.Span.ToArray(), Is.Not.All.EqualTo(1f), "the statistics were trained");
        Assert.That(Bits(loadedBn.RunningMean), Is.EqualTo(Bits(bn.RunningMean)));
        Assert.That(Bits(loadedBn.RunningVariance), Is.EqualTo(Bits(bn.RunningVariance)));
        Assert.That((loadedBn.Momentum, loadedBn.Epsilon), Is.EqualTo((0.8f, 1e-4f)));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void WholeNetworkPassesGradientCheck(bool training)
    {
        var net = Trained(2);

        // Each layer passes the check alone at 2e-3 (most near 1e-5). Through twelve float32 layers, a sigmoid feeding a
        // batch norm amplifies rounding in the central differences of the earliest entries to ~1e-3 (the errors
        // fall with a larger ε, so it is noise, not a wrong derivative, which shows as 1e-1 or more); hence 1e-2.
        var result = GradientCheck.Run(
            net, new SoftmaxCrossEntropy(), TestData.Random(3, 4, 4, 12, 12), TestData.Labels(4, 4, 3), training: training, tolerance: 1e-2);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void ForwardAndBackwardAllocateNothingInSteadyState()
    {
        // 24 × 4 × 12 × 12 plus a large net so that both the inline and the parallel paths are measured.
        var small = Trained(3);
        var large = new Sequential(
            new BatchNormalization(),
            new LocalResponseNormalization(),
            new MaxPool2D(3, 2),
            new GroupNormalization(4),
            new Subsampling(),
            new AvgPool2D(2, same: true),
            new Flatten(),
            new Dense(4));
        large.Build([8, 31, 31], new RandomSource(4));
        var cases = new[]
        {
            (Net: (Layer)small, X: TestData.Random(5, 24, 4, 12, 12), G: TestData.Random(6, 24, 3)),
            (Net: large, X: TestData.Random(7, 32, 8, 31, 31), G: TestData.Random(8, 32, 4)),
        };

        foreach (var (net, x, g) in cases)
        {
            for (var i = 0; i < 3; i++)
            {
                net.Forward(x, true);
                net.Backward(g);
                net.Forward(x, false);
                net.Backward(g);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10; i++)
            {
                net.Forward(x, true);
                net.Backward(g);
                net.Forward(x, false);
                net.Backward(g);
            }

            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, net.Name);
        }
    }

    [Test]
    public void EveryLayerTypeIsRegistered()
    {
        foreach (var key in new[] { "MaxPool2D", "AvgPool2D", "Subsampling", "LocalResponseNormalization", "BatchNormalization", "GroupNormalization", "Flatten" })
        {
            Assert.That(LayerRegistry.IsRegistered(key), key);
        }

        var pool = (MaxPool2D)LayerRegistry.Create(new MaxPool2D(3).Describe());
        Assert.That((pool.Size, pool.Stride, pool.Same), Is.EqualTo((3, 3, false)), "the default stride is saved as the size");
    }
}
