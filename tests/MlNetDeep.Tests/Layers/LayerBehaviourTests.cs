using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers;

public class LayerBehaviourTests
{
    [Test]
    public void DropoutKeepsTheExpectedFractionScaledAndIsIdentityAtInference()
    {
        var dropout = new Dropout(0.8f);
        dropout.Build([1000], new RandomSource(1));
        var x = new Tensor(50, 1000);
        x.Fill(1f);

        var trained = dropout.Forward(x, training: true);
        var kept = trained.Span.ToArray().Count(v => v != 0);
        Assert.That(kept / 50000.0, Is.EqualTo(0.8).Within(0.01));
        Assert.That(trained.Span.ToArray().Where(v => v != 0), Is.All.EqualTo(1.25f));
        Assert.That(trained.Span.ToArray().Average(), Is.EqualTo(1.0).Within(0.02), "inverted dropout keeps the expectation");

        var backward = dropout.Backward(x);
        Assert.That(backward.Span.ToArray(), Is.EqualTo(trained.Span.ToArray()), "the gradient flows through the same mask");

        var inference = dropout.Forward(x, training: false);
        Assert.That(inference.Span.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void DropoutMasksDifferBetweenBatchesButRepeatWithTheSeed()
    {
        float[] Run(ulong seed)
        {
            var d = new Dropout(0.5f);
            d.Build([64], new RandomSource(seed));
            var x = new Tensor(2, 64);
            x.Fill(1);
            return [.. d.Forward(x, true).Span.ToArray(), .. d.Forward(x, true).Span.ToArray()];
        }

        var a = Run(5);
        Assert.That(a, Is.EqualTo(Run(5)));
        Assert.That(a[..128], Is.Not.EqualTo(a[128..]));
    }

    [Test]
    public void SoftmaxRowsSumToOneAndAreStableForLargeLogits()
    {
        var s = new Softmax();
        s.Build([3], new RandomSource(1));
        var y = s.Forward(new Tensor([1000f, 1001f, 1002f, -5f, 0f, 5f], 2, 3), false);
        Assert.That(y.Row(0).ToArray().Sum(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(y.Row(0)[2], Is.EqualTo(1 / (1 + Math.Exp(-1) + Math.Exp(-2))).Within(1e-6));
        Assert.That(y.Span.ToArray(), Has.None.NaN);
    }

    /// <summary>
    /// ELU and SELU run on vectors of 16 (8 without AVX-512) with a scalar tail: 1,003 values a row cover both, from −12 to
    /// 12, against the formula y = λz (z &gt; 0) or λα(e^z − 1) and its derivative λ or λα·e^z.
    /// </summary>
    [TestCase(1f, 0.7f)]
    [TestCase(1.0507009873554805f, 1.6732632423543772f)]
    public void ExponentialLinearUnitsMatchTheFormula(float scale, float alpha)
    {
        Layer layer = scale == 1f ? new ELU(alpha) : new SELU();
        layer.Build([1003], new RandomSource(1));
        var x = TestData.Uniform(3, -12f, 12f, 7, 1003);
        var dy = TestData.Random(4, 7, 1003);

        var y = layer.Forward(x, training: true).Span.ToArray();
        var dx = layer.Backward(dy).Span.ToArray();

        for (var i = 0; i < x.Length; i++)
        {
            double z = x[i];
            var expected = z > 0 ? scale * z : scale * alpha * (Math.Exp(z) - 1);
            var slope = z > 0 ? scale : scale * alpha * Math.Exp(z);
            Assert.That(y[i], Is.EqualTo(expected).Within(1e-5 * Math.Max(1, Math.Abs(expected))), $"f({z})");
            Assert.That(dx[i], Is.EqualTo(dy[i] * slope).Within(1e-5 * Math.Max(1, Math.Abs(dy[i] * slope))), $"f'({z})");
        }
    }

    /// <summary>
    /// PReLU runs plane by plane on vectors: y = z or α_c·z, ∂C/∂z = g or α_c·g, ∂C/∂α_c += Σ over z ≤ 0 of z·g, per channel
    /// (3 channels of 7×9: vectors and tails) and shared; a frozen α gets nothing.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void PReLUMatchesItsFormulaPerChannelAndShared(bool shared)
    {
        var layer = new PReLU(0.25f, shared);
        layer.Build([3, 7, 9], new RandomSource(1));
        if (!shared)
        {
            new[] { 0.1f, 0.2f, -0.3f }.CopyTo(layer.Slope.Value.Span);
        }

        var x = TestData.Uniform(3, -2f, 2f, 5, 3, 7, 9);
        var dy = TestData.Random(4, 5, 3, 7, 9);

        var y = layer.Forward(x, training: true).Span.ToArray();
        var dx = layer.Backward(dy).Span.ToArray();

        var expectedDa = new double[layer.Slope.Value.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = shared ? 0 : i / 63 % 3;
            var alpha = layer.Slope.Value[c];
            Assert.That(y[i], Is.EqualTo(x[i] > 0 ? x[i] : alpha * x[i]), $"y[{i}]");
            Assert.That(dx[i], Is.EqualTo(x[i] > 0 ? dy[i] : alpha * dy[i]), $"dx[{i}]");
            expectedDa[c] += x[i] > 0 ? 0 : (double)x[i] * dy[i];
        }

        Assert.That(layer.Slope.Gradient.Span.ToArray(), Is.EqualTo(expectedDa.Select(v => (float)v).ToArray()).Within(1e-3f));

        layer.Slope.Gradient.Clear();
        layer.Slope.Frozen = true;
        layer.Forward(x, training: true);
        layer.Backward(dy);
        Assert.That(layer.Slope.Gradient.Span.ToArray(), Is.All.EqualTo(0f));
    }

    /// <summary>
    /// The masks come from the layer's generator (forked from the build's) a draw per unit in order: a unit is kept, scaled by
    /// 1/keep_prob, exactly when NextFloat() &lt; keep_prob; across two batches (the stream goes on), 1,003 units a row
    /// (vectors and a tail).
    /// </summary>
    [TestCase(0.5f)]
    [TestCase(0.8f)]
    public void DropoutKeepsAUnitExactlyWhenItsDrawIsBelowKeepProbability(float keep)
    {
        var dropout = new Dropout(keep);
        dropout.Build([1003], new RandomSource(9));
        var stream = new RandomSource(9).Fork();
        for (var batch = 0; batch < 2; batch++)
        {
            var x = TestData.Random((ulong)(20 + batch), 3, 1003);
            var y = dropout.Forward(x, training: true).Span.ToArray();
            for (var i = 0; i < x.Length; i++)
            {
                var expected = x[i] * (stream.NextFloat() < keep ? 1f / keep : 0f);
                Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"batch {batch}, unit {i}");
            }
        }
    }

    [Test]
    public void DenseRejectsInputOfTheWrongWidth()
    {
        var net = new Sequential(new Dense(3));
        net.Build([4], new RandomSource(1));

        var e = Assert.Throws<ArgumentException>(() => net.Forward(new Tensor(2, 5), false));

        Assert.That(e!.Message, Does.Contain("[N, 4]").And.Contain("[2, 5]"));
    }

    [Test]
    public void SequentialReportsShapesAndParameterCount()
    {
        var net = new Sequential(new Dense(256), new ReLU(), new Dense(128), new ReLU(), new Dense(10));
        var output = net.Build([784], new RandomSource(1));

        Assert.That(output, Is.EqualTo(new[] { 10 }));
        Assert.That(net.ParameterCount, Is.EqualTo((784 * 256) + 256 + (256 * 128) + 128 + (128 * 10) + 10));
        Assert.That(net.ParameterNames(), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }));
    }

    [Test]
    public void ForwardAllocatesNothingInSteadyState()
    {
        var net = new Sequential(new Dense(32), new ReLU(), new Dropout(0.9f), new Dense(10));
        net.Build([20], new RandomSource(1));
        var x = TestData.Random(2, 16, 20);
        var g = TestData.Random(3, 16, 10);
        for (var i = 0; i < 3; i++)
        {
            net.Forward(x, true);
            net.Backward(g);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++)
        {
            net.Forward(x, true);
            net.Backward(g);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
