using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Normalization;

/// <summary>Batch normalisation (seed 000 §1.11, algorithm 1.7).</summary>
public class BatchNormalizationTests
{
    private static BatchNormalization Built(params int[] shape)
    {
        var bn = new BatchNormalization();
        bn.Build(shape, new RandomSource(1));
        return bn;
    }

    /// <summary>Values with a different mean and spread per feature or channel (axis 1).</summary>
    private static Tensor Shifted(ulong seed, params int[] shape)
    {
        var t = TestData.Random(seed, shape);
        var inner = t.RowSize / shape[1];
        for (var i = 0; i < t.Length; i++)
        {
            var c = (i / inner) % shape[1];
            t[i] = (t[i] * (1 + c)) + (2 * c) - 1;
        }

        return t;
    }

    private static void SetNonTrivial(BatchNormalization bn)
    {
        for (var c = 0; c < bn.Gamma.Value.Length; c++)
        {
            bn.Gamma.Value[c] = 0.5f + (0.3f * c);
            bn.Beta.Value[c] = 0.2f - (0.1f * c);
            bn.RunningMean[c] = (2 * c) - 0.5f;
            bn.RunningVariance[c] = 0.5f + c;
        }
    }

    [TestCase(true, TestName = "BatchNorm dense passes gradient check in training mode")]
    [TestCase(false, TestName = "BatchNorm dense passes gradient check in inference mode")]
    public void DenseGradientCheck(bool training)
    {
        var net = new Sequential(new Dense(5, useBias: false), new BatchNormalization(), new Tanh(), new Dense(3));
        net.Build([4], new RandomSource(2));
        SetNonTrivial((BatchNormalization)net.Layers[1]);

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), Shifted(3, 6, 4), TestData.Labels(4, 6, 3), training: training);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.RelativeErrors.Keys, Does.Contain("1.gamma").And.Contain("1.beta"));
    }

    [TestCase(true, TestName = "BatchNorm conv passes gradient check in training mode")]
    [TestCase(false, TestName = "BatchNorm conv passes gradient check in inference mode")]
    public void ConvGradientCheck(bool training)
    {
        var bn = Built(3, 4, 5);
        SetNonTrivial(bn);
        var net = new Sequential(bn, new Sigmoid());
        net.Build([3, 4, 5], new RandomSource(2));

        var x = Shifted(5, 2, 3, 4, 5);
        var result = GradientCheck.Run(net, new QuadraticCost(), x, TestData.Uniform(6, 0, 1, 2, 3, 4, 5), training: training);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void TrainingOutputHasZeroMeanAndUnitVariancePerChannel()
    {
        var bn = Built(3, 4, 4);
        var x = Shifted(7, 10, 3, 4, 4);

        var y = bn.Forward(x, true);

        for (var c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, 10).SelectMany(n => y.Span.Slice((n * 48) + (c * 16), 16).ToArray()).ToArray();
            var mean = values.Average();
            var variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.That(mean, Is.EqualTo(0).Within(1e-5));
            Assert.That(variance, Is.EqualTo(1).Within(1e-3), "biased variance, ε = 1e-5");
        }
    }

    [Test]
    public void InferenceUsesTheRunningStatistics()
    {
        var bn = Built(2);
        bn.RunningMean.CopyFrom(new Tensor([1f, 2f], 2));
        bn.RunningVariance.CopyFrom(new Tensor([4f, 9f], 2));
        bn.Gamma.Value.CopyFrom(new Tensor([2f, 3f], 2));
        bn.Beta.Value.CopyFrom(new Tensor([0.5f, -1f], 2));
        var x = new Tensor([3f, 2f, -1f, 8f, 1f, 5f], 3, 2);

        var y = bn.Forward(x, false).Span.ToArray();

        double Expected(float v, double mu, double var, double g, double b) => (g * (v - mu) / Math.Sqrt(var + 1e-5)) + b;
        for (var r = 0; r < 3; r++)
        {
            Assert.That(y[2 * r], Is.EqualTo(Expected(x[r, 0], 1, 4, 2, 0.5)).Within(1e-5));
            Assert.That(y[(2 * r) + 1], Is.EqualTo(Expected(x[r, 1], 2, 9, 3, -1)).Within(1e-5));
        }

        Assert.That(bn.RunningMean.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }), "inference leaves the running statistics alone");
        Assert.That(bn.Forward(x.Clone(), false).Span.ToArray(), Is.EqualTo(y), "one sample at a time or many, the same map");
    }

    /// <summary>
    /// Image planes (here 6×20×20, and 3×4×5 below the plane path's 16 values) apply the running statistics plane by plane
    /// with scalars; a forward then a backward in inference mode, and a training forward after it, must give the bits of the
    /// per-value map fma(z − μ, γ/√(σ² + ε), β) with μ and the scale rounded to float, on batches cut across the cores.
    /// </summary>
    [TestCase(40, 6, 20, 20)]
    [TestCase(7, 3, 4, 5)]
    public void InferenceOnImagePlanesGivesThePerValueMapsBits(int rows, int channels, int height, int width)
    {
        var bn = new BatchNormalization();
        bn.Build([channels, height, width], new RandomSource(1));
        TestData.Uniform(2, -1f, 1f, channels).Span.CopyTo(bn.RunningMean.Span);
        TestData.Uniform(3, 0.1f, 3f, channels).Span.CopyTo(bn.RunningVariance.Span);
        TestData.Uniform(4, 0.5f, 2f, channels).Span.CopyTo(bn.Gamma.Value.Span);
        TestData.Uniform(5, -1f, 1f, channels).Span.CopyTo(bn.Beta.Value.Span);
        var x = TestData.Random(6, rows, channels, height, width);
        var plane = height * width;

        var y = bn.Forward(x, false).Span.ToArray();
        var dx = bn.Backward(TestData.Random(7, rows, channels, height, width)).Span.ToArray();

        for (var i = 0; i < x.Length; i++)
        {
            var c = i / plane % channels;
            var scale = (float)(bn.Gamma.Value[c] * (1.0 / Math.Sqrt((double)bn.RunningVariance[c] + bn.Epsilon)));
            var expected = MathF.FusedMultiplyAdd(x[i] - bn.RunningMean[c], scale, bn.Beta.Value[c]);
            if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(expected))
            {
                Assert.Fail($"value {i} (channel {c}): {y[i]:R}, the per-value map gives {expected:R}");
            }
        }

        Assert.That(dx, Is.All.Not.NaN);
        var trained = bn.Forward(x, true).Span.ToArray();
        Assert.That(trained, Is.Not.EqualTo(y), "a training forward after inference normalises with the batch's statistics");
    }

    [Test]
    public void RunningVarianceTakesTheUnbiasedBatchVariance()
    {
        var bn = new BatchNormalization(momentum: 0f);
        bn.Build([1], new RandomSource(1));

        bn.Forward(new Tensor([1f, 2f, 3f, 6f], 4, 1), true);

        Assert.That(bn.RunningMean[0], Is.EqualTo(3f));
        Assert.That(bn.RunningVariance[0], Is.EqualTo(14f / 3).Within(1e-5), "Σ(x − 3)² / (m − 1)");
    }

    [Test]
    public void RunningAveragesFollowTheSeedsExponentialAverage()
    {
        var bn = new BatchNormalization(momentum: 0.9f);
        bn.Build([1], new RandomSource(1));

        bn.Forward(new Tensor([1f, 3f], 2, 1), true);

        Assert.That(bn.RunningMean[0], Is.EqualTo(0.2f).Within(1e-6), "0.9·0 + 0.1·2");
        Assert.That(bn.RunningVariance[0], Is.EqualTo(1.1f).Within(1e-6), "0.9·1 + 0.1·2 (unbiased variance of {1, 3})");
    }

    [Test]
    public void RunningStatisticsConvergeToTheDataDistribution()
    {
        var bn = Built(2, 3, 3);
        var random = new RandomSource(11);
        var x = new Tensor(16, 2, 3, 3);
        for (var step = 0; step < 300; step++)
        {
            for (var i = 0; i < x.Length; i++)
            {
                var c = (i / 9) % 2;
                x[i] = c == 0 ? (float)(3 + (2 * random.NextGaussian())) : (float)(-2 + (0.5 * random.NextGaussian()));
            }

            bn.Forward(x, true);
        }

        Assert.That(bn.RunningMean[0], Is.EqualTo(3).Within(0.15));
        Assert.That(bn.RunningMean[1], Is.EqualTo(-2).Within(0.05));
        Assert.That(bn.RunningVariance[0], Is.EqualTo(4).Within(0.4));
        Assert.That(bn.RunningVariance[1], Is.EqualTo(0.25).Within(0.025));

        // With the statistics learned, inference normalises fresh data of the same distribution.
        var y = bn.Forward(x, false).Span.ToArray();
        Assert.That(y.Average(), Is.EqualTo(0).Within(0.2));
    }

    [Test]
    public void GammaAndBetaLearnTheTargetScaleAndShift()
    {
        var bn = Built(2);
        var loss = new QuadraticCost();
        var x = Shifted(12, 64, 2);
        var target = bn.Forward(x, true).Clone();
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = i % 2 == 0 ? (3 * target[i]) + 1 : (-0.5f * target[i]) + 2;
        }

        var grad = new Tensor(64, 2);
        for (var step = 0; step < 300; step++)
        {
            bn.Gamma.Gradient.Clear();
            bn.Beta.Gradient.Clear();
            loss.Compute(bn.Forward(x, true), target, grad);
            bn.Backward(grad);
            for (var c = 0; c < 2; c++)
            {
                bn.Gamma.Value[c] -= 0.5f * bn.Gamma.Gradient[c];
                bn.Beta.Value[c] -= 0.5f * bn.Beta.Gradient[c];
            }
        }

        Assert.That(bn.Gamma.Value.Span.ToArray(), Is.EqualTo(new[] { 3f, -0.5f }).Within(1e-3));
        Assert.That(bn.Beta.Value.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }).Within(1e-3));
        Assert.That(bn.Gamma.IsWeight || bn.Beta.IsWeight, Is.False, "γ and β are not L1/L2-regularised");
    }

    [TestCase(3)]
    [TestCase(3, 1, 1)]
    public void ATrainingBatchWithOneValuePerChannelIsRejectedNamingTheFix(params int[] shape)
    {
        // Dense: one row; convolutional: one image of 1×1 maps. Each value would be its own mean and the output β.
        var bn = Built(shape);
        bn.Name = "bn1";
        var x = TestData.Random(4, [1, .. shape]);

        var e = Assert.Throws<ArgumentException>(() => bn.Forward(x, true));

        Assert.That(e!.Message, Does.Contain("'bn1'").And.Contain(Tensor.Format([1, .. shape])).And.Contain("one value per channel")
            .And.Contain("at least 2 rows").And.Contain("GroupNormalization"));
        Assert.That(bn.RunningMean.Span.ToArray(), Is.All.EqualTo(0f), "nothing was learnt from it");
        Assert.That(bn.RunningVariance.Span.ToArray(), Is.All.EqualTo(1f));
        Assert.That(bn.Forward(x, false).Span.ToArray(), Is.EqualTo(x.Span.ToArray().Select(v => v / MathF.Sqrt(1 + 1e-5f))).Within(1e-6),
            "one row is fine at inference");
    }

    [Test]
    public void OneImageWithSeveralPixelsPerChannelTrains()
    {
        // As in PyTorch: the statistics of a convolutional layer are over N·H·W values, here 1·2·2.
        var bn = Built(3, 2, 2);
        var y = bn.Forward(Shifted(4, 1, 3, 2, 2), true).Span.ToArray();
        for (var c = 0; c < 3; c++)
        {
            Assert.That(y.AsSpan(c * 4, 4).ToArray().Average(), Is.EqualTo(0).Within(1e-5));
        }
    }

    [Test]
    public void LargeBatchesMatchADoublePrecisionReference()
    {
        // 40 × 6 × 12 × 12 = 34 560 values: the column-block passes run on both cores.
        var bn = Built(6, 12, 12);
        SetNonTrivial(bn);
        var x = Shifted(13, 40, 6, 12, 12);
        var dy = TestData.Random(14, 40, 6, 12, 12);

        var y = bn.Forward(x, true).Span.ToArray();
        var dx = bn.Backward(dy).Span.ToArray();

        const int m = 40 * 144;
        for (var c = 0; c < 6; c++)
        {
            var idx = Enumerable.Range(0, 40).SelectMany(n => Enumerable.Range(((n * 6) + c) * 144, 144)).ToArray();
            var mean = idx.Average(i => (double)x[i]);
            var variance = idx.Average(i => (x[i] - mean) * (x[i] - mean));
            var s = 1 / Math.Sqrt(variance + 1e-5);
            double g = bn.Gamma.Value[c], sumDy = idx.Sum(i => (double)dy[i]), sumDyXhat = idx.Sum(i => dy[i] * (x[i] - mean) * s);
            foreach (var i in idx)
            {
                var xhat = (x[i] - mean) * s;
                Assert.That(y[i], Is.EqualTo((g * xhat) + bn.Beta.Value[c]).Within(2e-5));
                Assert.That(dx[i], Is.EqualTo(g * s / m * ((m * dy[i]) - sumDy - (xhat * sumDyXhat))).Within(2e-6));
            }

            Assert.That(bn.Beta.Gradient[c], Is.EqualTo(sumDy).Within(1e-2));
            Assert.That(bn.Gamma.Gradient[c], Is.EqualTo(sumDyXhat).Within(1e-2));
            Assert.That(bn.RunningVariance[c], Is.EqualTo((0.9 * (0.5 + c)) + (0.1 * variance * m / (m - 1))).Within(1e-4));
        }
    }

    [Test]
    public void BadShapesAndSettingsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchNormalization().Build([3, 4], new RandomSource(1)));
        Assert.That(e!.Message, Does.Contain("[3, 4]").And.Contain("[N, C, H, W]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BatchNormalization(momentum: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BatchNormalization(epsilon: 0f));
        Assert.Throws<ArgumentException>(() => Built(4).Forward(new Tensor(2, 5), true));
    }
}
