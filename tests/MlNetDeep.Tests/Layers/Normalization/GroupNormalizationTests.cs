using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Normalization;

/// <summary>Group normalisation (seed 004 §4.4.2).</summary>
public class GroupNormalizationTests
{
    private static GroupNormalization Built(int groups, params int[] shape)
    {
        var gn = new GroupNormalization(groups);
        gn.Build(shape, new RandomSource(1));
        for (var c = 0; c < gn.Gamma.Value.Length; c++)
        {
            gn.Gamma.Value[c] = 0.7f + (0.2f * c);
            gn.Beta.Value[c] = 0.1f * c;
        }

        return gn;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void ConvPassesGradientCheck(int groups)
    {
        var net = new Sequential(Built(groups, 4, 3, 3), new Tanh());
        net.Build([4, 3, 3], new RandomSource(2));
        var x = TestData.Random(3, 3, 4, 3, 3);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, TestData.Uniform(4, -1, 1, 3, 4, 3, 3));

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void DensePassesGradientCheck()
    {
        // No bias before the normalisation: its true gradient is zero (the group mean absorbs it), which leaves the
        // relative error to rounding noise.
        var net = new Sequential(new Dense(6, useBias: false), Built(2, 6), new ELU(), new Dense(3));
        net.Build([4], new RandomSource(5));

        var result = GradientCheck.Run(net, new SoftmaxCrossEntropy(), TestData.Random(6, 5, 4), TestData.Labels(7, 5, 3), training: true);

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void EachGroupOfEachSampleIsNormalised()
    {
        var gn = new GroupNormalization(2);
        gn.Build([4, 2, 2], new RandomSource(1));
        var x = TestData.Random(8, 3, 4, 2, 2);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (x[i] * 3) + 5;
        }

        var y = gn.Forward(x, true).Span.ToArray();

        for (var group = 0; group < 6; group++)
        {
            var values = y.AsSpan(group * 8, 8).ToArray();
            var mean = values.Average();
            Assert.That(mean, Is.EqualTo(0).Within(1e-5));
            Assert.That(values.Select(v => (v - mean) * (v - mean)).Average(), Is.EqualTo(1).Within(1e-3));
        }
    }

    [Test]
    public void SameInTrainingAndInferenceAndIndependentOfTheBatch()
    {
        var gn = Built(2, 4, 3, 3);
        var x = TestData.Random(9, 4, 4, 3, 3);

        var training = gn.Forward(x, true).Span.ToArray();
        var inference = gn.Forward(x, false).Span.ToArray();
        var alone = gn.Forward(new Tensor(x.Row(2).ToArray(), 1, 4, 3, 3), false).Span.ToArray();

        Assert.That(inference, Is.EqualTo(training));
        Assert.That(alone, Is.EqualTo(training.AsSpan(2 * 36, 36).ToArray()));
        Assert.That(gn.ParameterCount, Is.EqualTo(8), "γ and β per channel");
    }

    [TestCase(4, 4)]
    [TestCase(2, 2, 1, 1)]
    public void GroupsOfASingleValueAreRejected(int groups, params int[] shape)
    {
        var e = Assert.Throws<ArgumentException>(() => new GroupNormalization(groups).Build(shape, new RandomSource(1)));
        Assert.That(e!.Message, Does.Contain("GroupNormalization").And.Contain("one value").And.Contain("fewer groups"));
    }

    [Test]
    public void ASingleSampleTrainsAsWithinABatch()
    {
        // Unlike batch normalisation, a mini-batch of one row is fine: each sample is normalised on its own, dense or not.
        var gn = Built(2, 4);
        var x = TestData.Random(10, 5, 4);
        var batch = gn.Forward(x, true).Span.ToArray();
        var alone = gn.Forward(new Tensor(x.Row(3).ToArray(), 1, 4), true).Span.ToArray();
        Assert.That(alone, Is.EqualTo(batch.AsSpan(3 * 4, 4).ToArray()));
        var normalised = alone.Select((v, c) => (v - gn.Beta.Value[c]) / gn.Gamma.Value[c]).ToArray();
        Assert.That(normalised[0] + normalised[1], Is.EqualTo(0).Within(1e-5), "each group of the one sample has mean 0");
        Assert.That(normalised[2] + normalised[3], Is.EqualTo(0).Within(1e-5));
        Assert.That(alone.Distinct().Count(), Is.GreaterThan(1), "not collapsed to β");
    }

    [Test]
    public void LargeBatchesMatchADoublePrecisionReference()
    {
        var gn = Built(4, 8, 10, 10);
        var x = TestData.Random(10, 48, 8, 10, 10);
        var dy = TestData.Random(11, 48, 8, 10, 10);

        var y = gn.Forward(x, true).Span.ToArray();
        var dx = gn.Backward(dy).Span.ToArray();

        const int m = 200;
        var dGamma = new double[8];
        for (var item = 0; item < 48 * 4; item++)
        {
            var idx = Enumerable.Range(item * m, m).ToArray();
            var mean = idx.Average(i => (double)x[i]);
            var s = 1 / Math.Sqrt(idx.Average(i => (x[i] - mean) * (x[i] - mean)) + 1e-5);
            double Gamma(int i) => gn.Gamma.Value[(i / 100) % 8];
            var sumG = idx.Sum(i => dy[i] * Gamma(i));
            var sumGXhat = idx.Sum(i => dy[i] * Gamma(i) * (x[i] - mean) * s);
            foreach (var i in idx)
            {
                var xhat = (x[i] - mean) * s;
                dGamma[(i / 100) % 8] += dy[i] * xhat;
                Assert.That(y[i], Is.EqualTo((Gamma(i) * xhat) + gn.Beta.Value[(i / 100) % 8]).Within(2e-5));
                Assert.That(dx[i], Is.EqualTo(s / m * ((m * dy[i] * Gamma(i)) - sumG - (xhat * sumGXhat))).Within(2e-5));
            }
        }

        Assert.That(gn.Gamma.Gradient.Span.ToArray().Select(v => (double)v), Is.EqualTo(dGamma).Within(1e-2));
    }

    [Test]
    public void GroupsMustDivideTheChannels()
    {
        var e = Assert.Throws<ArgumentException>(() => new GroupNormalization(3).Build([4, 2, 2], new RandomSource(1)));

        Assert.That(e!.Message, Does.Contain("3 groups").And.Contain("4 channels"));
        Assert.Throws<ArgumentException>(() => new GroupNormalization(1).Build([4, 2], new RandomSource(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new GroupNormalization(0));
    }
}
