using MlNetDeep.Losses;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Losses;

public class LossTests
{
    [Test]
    public void QuadraticCostIsHalfTheMeanSquaredNormAndItsGradientIsAMinusYOverN()
    {
        var a = new Tensor([0.5f, 0.2f, 0.9f, 0.1f], 2, 2);
        var y = new Tensor([1f, 0f, 1f, 0f], 2, 2);
        var g = new Tensor(2, 2);

        var c = new QuadraticCost().Compute(a, y, g);

        Assert.That(c, Is.EqualTo(((0.25 + 0.04) + (0.01 + 0.01)) / (2 * 2)).Within(1e-7));
        Assert.That(g.Span.ToArray(), Is.EqualTo(new[] { -0.25f, 0.1f, -0.05f, 0.05f }).Within(1e-7));
    }

    [Test]
    public void SoftmaxCrossEntropyOutputErrorIsAMinusY()
    {
        var z = new Tensor([1f, 2f, 3f], 1, 3);
        var g = new Tensor(1, 3);

        var c = new SoftmaxCrossEntropy().Compute(z, new Tensor([2f], 1), g);

        var s = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.That(c, Is.EqualTo(-Math.Log(Math.Exp(3) / s)).Within(1e-6));
        Assert.That(g[0], Is.EqualTo(Math.Exp(1) / s).Within(1e-6));
        Assert.That(g[2], Is.EqualTo((Math.Exp(3) / s) - 1).Within(1e-6));
    }

    [Test]
    public void LabelSmoothingEqualsTheSmoothedDistribution()
    {
        var z = new Tensor([0.5f, -1f, 2f, 0f], 1, 4);
        var gIndex = new Tensor(1, 4);
        var gDistribution = new Tensor(1, 4);
        var loss = new SoftmaxCrossEntropy(labelSmoothing: 0.2f);

        var byIndex = loss.Compute(z, new Tensor([2f], 1), gIndex);
        var byDistribution = new SoftmaxCrossEntropy().Compute(z, new Tensor([0.05f, 0.05f, 0.85f, 0.05f], 1, 4), gDistribution);

        Assert.That(byIndex, Is.EqualTo(byDistribution).Within(1e-6));
        Assert.That(gIndex.Span.ToArray(), Is.EqualTo(gDistribution.Span.ToArray()).Within(1e-6));
    }

    [Test]
    public void BinaryCrossEntropyOutputErrorIsSigmoidMinusYAndStableForLargeLogits()
    {
        var z = new Tensor([0f, 100f, -100f], 3, 1);
        var y = new Tensor([1f, 1f, 1f], 3, 1);
        var g = new Tensor(3, 1);

        var c = new BinaryCrossEntropy().Compute(z, y, g);

        Assert.That(c, Is.EqualTo((Math.Log(2) + 0 + 100) / 3).Within(1e-5));
        Assert.That(g.Span.ToArray(), Is.EqualTo(new[] { -0.5f / 3, 0f, -1f / 3 }).Within(1e-6));
    }

    [Test]
    public void TargetRowsMustMatchPredictionRows()
    {
        var e = Assert.Throws<ArgumentException>(() => new SoftmaxCrossEntropy().Compute(new Tensor(3, 4), new Tensor(2), null));
        Assert.That(e!.Message, Does.Contain("2 rows").And.Contain("3"));
    }
}
