using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Layers.Normalization;

/// <summary>AlexNet's local response normalisation (seed 000 §2.4, formula 64).</summary>
public class LocalResponseNormalizationTests
{
    private static LocalResponseNormalization Built(LocalResponseNormalization lrn, params int[] shape)
    {
        lrn.Build(shape, new RandomSource(1));
        return lrn;
    }

    [Test]
    public void AlexNetFormulaOnAHandExample()
    {
        // 4 channels at one position, window 3: channel 0 sums channels 0-1, channel 1 sums 0-2, channel 3 sums 2-3.
        var lrn = Built(new LocalResponseNormalization(3, k: 2, alpha: 0.1f, beta: 0.75f), 4, 1, 1);
        var x = new Tensor([1f, 2f, 3f, 4f], 1, 4, 1, 1);

        var y = lrn.Forward(x, false).Span.ToArray();

        double B(double a, double sumSquares) => a / Math.Pow(2 + (0.1 * sumSquares), 0.75);
        Assert.That(y[0], Is.EqualTo(B(1, 1 + 4)).Within(1e-6));
        Assert.That(y[1], Is.EqualTo(B(2, 1 + 4 + 9)).Within(1e-6));
        Assert.That(y[2], Is.EqualTo(B(3, 4 + 9 + 16)).Within(1e-6));
        Assert.That(y[3], Is.EqualTo(B(4, 9 + 16)).Within(1e-6));
    }

    [Test]
    public void DefaultsAreAlexNetsAndAlphaIsNotDividedByTheWindow()
    {
        var lrn = Built(new LocalResponseNormalization(), 6, 2, 1);
        Assert.That((lrn.Size, lrn.K, lrn.Alpha, lrn.Beta), Is.EqualTo((5, 2f, 1e-4f, 0.75f)));

        var x = TestData.Random(1, 1, 6, 2, 1);
        x.Span.ToArray().CopyTo(x.Span);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= 30;
        }

        var y = lrn.Forward(x, true).Span.ToArray();
        for (var c = 0; c < 6; c++)
        {
            for (var p = 0; p < 2; p++)
            {
                var sum = Enumerable.Range(Math.Max(c - 2, 0), Math.Min(c + 2, 5) - Math.Max(c - 2, 0) + 1).Sum(j => (double)x[(j * 2) + p] * x[(j * 2) + p]);
                Assert.That(y[(c * 2) + p], Is.EqualTo(x[(c * 2) + p] / Math.Pow(2 + (1e-4 * sum), 0.75)).Within(1e-5));
            }
        }
    }

    [Test]
    public void EvenWindowsTakeOneMoreChannelBefore()
    {
        var lrn = Built(new LocalResponseNormalization(2, k: 1, alpha: 1, beta: 1), 3, 1, 1);

        var y = lrn.Forward(new Tensor([1f, 2f, 3f], 1, 3, 1, 1), false).Span.ToArray();

        Assert.That(y, Is.EqualTo(new[] { 1f / 2, 2f / 6, 3f / 14 }).Within(1e-6), "window of channel i: [i − 1, i]");
    }

    private static IEnumerable<TestCaseData> Settings()
    {
        yield return new TestCaseData(5, 2f, 1e-4f, 0.75f).SetName("LRN AlexNet defaults");
        yield return new TestCaseData(3, 1f, 0.5f, 0.75f).SetName("LRN strong, beta 0.75");
        yield return new TestCaseData(4, 1.5f, 0.3f, 0.6f).SetName("LRN even window, beta 0.6");
        yield return new TestCaseData(7, 0.5f, 0.2f, 1.2f).SetName("LRN window wider than the channels");
    }

    [TestCaseSource(nameof(Settings))]
    public void PassesGradientCheck(int size, float k, float alpha, float beta)
    {
        var net = new Sequential(new LocalResponseNormalization(size, k, alpha, beta));
        net.Build([5, 3, 2], new RandomSource(1));
        var x = TestData.Random(2, 3, 5, 3, 2);

        var result = GradientCheck.Run(net, new QuadraticCost(), x, TestData.Uniform(3, -1, 1, 3, 5, 3, 2));

        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void LargeBatchesGiveTheSameResultsAsOneSampleAtATime()
    {
        // 2 samples of 16 × 40 × 40: two blocks of positions per sample, on both cores.
        var big = Built(new LocalResponseNormalization(5, 1, 0.01f, 0.75f), 16, 40, 40);
        var single = Built(new LocalResponseNormalization(5, 1, 0.01f, 0.75f), 16, 40, 40);
        var x = TestData.Random(4, 2, 16, 40, 40);
        var dy = TestData.Random(5, 2, 16, 40, 40);

        var y = big.Forward(x, true).Span.ToArray();
        var dx = big.Backward(dy).Span.ToArray();

        for (var n = 0; n < 2; n++)
        {
            var size = x.RowSize;
            Assert.That(single.Forward(new Tensor(x.Row(n).ToArray(), 1, 16, 40, 40), true).Span.ToArray(), Is.EqualTo(y.AsSpan(n * size, size).ToArray()));
            Assert.That(single.Backward(new Tensor(dy.Row(n).ToArray(), 1, 16, 40, 40)).Span.ToArray(), Is.EqualTo(dx.AsSpan(n * size, size).ToArray()));
        }
    }

    [Test]
    public void BadShapesAndSettingsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new LocalResponseNormalization().Build([96], new RandomSource(1)));

        Assert.That(e!.Message, Does.Contain("[C, H, W]").And.Contain("[96]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LocalResponseNormalization(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LocalResponseNormalization(k: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LocalResponseNormalization(alpha: -1));
    }
}
