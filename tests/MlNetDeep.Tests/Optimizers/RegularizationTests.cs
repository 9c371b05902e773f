using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class RegularizationTests
{
    private static Parameter[] MakeParameters()
    {
        // A weight with a zero entry (sign(0) = 0), a long weight (vector loop and tail), a bias.
        var small = new Parameter("w", true, 2, 2);
        float[] values = [0.5f, -1.5f, 0f, 2f];
        values.CopyTo(small.Value.Span);
        var big = new Parameter("w2", true, 37);
        for (var i = 0; i < big.Value.Length; i++)
        {
            big.Value[i] = (i % 3) - 1 + (0.25f * (i % 5));
        }

        var bias = new Parameter("b", false, 2);
        bias.Value[0] = 3f;
        bias.Value[1] = -4f;
        return [small, big, bias];
    }

    [Test]
    public void PenaltyIsL1PlusHalfL2OverWeightsOnly()
    {
        // Over the small weight alone: 0.1·(0.5 + 1.5 + 0 + 2) + (0.3/2)·(0.25 + 2.25 + 0 + 4) = 0.4 + 0.975.
        var small = MakeParameters()[0];
        var bias = MakeParameters()[2];
        Assert.That(Regularization.Penalty([small, bias], 0.1f, 0.3f), Is.EqualTo(1.375).Within(1e-6));
        Assert.That(Regularization.Penalty([bias], 0.1f, 0.3f), Is.EqualTo(0.0));
    }

    [Test]
    public void GradientsMatchNumericalDerivativeOfPenalty()
    {
        const float l1 = 0.1f, l2 = 0.3f;
        var parameters = MakeParameters();
        foreach (var p in parameters)
        {
            p.Gradient.Fill(0.5f);
        }

        Regularization.AddGradients(parameters, l1, l2);
        foreach (var p in parameters.Where(p => p.IsWeight))
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                var w = p.Value[i];
                const float h = 1e-2f;
                p.Value[i] = w + h;
                var plus = Regularization.Penalty(parameters, l1, l2);
                var wPlus = p.Value[i];
                p.Value[i] = w - h;
                var minus = Regularization.Penalty(parameters, l1, l2);
                var wMinus = p.Value[i];
                p.Value[i] = w;

                // Central difference; at w = 0 it gives 0 for the L1 term, matching sign(0) = 0.
                var numerical = (plus - minus) / ((double)wPlus - wMinus);
                Assert.That(p.Gradient[i] - 0.5, Is.EqualTo(numerical).Within(1e-5), $"{p.Name}[{i}] (w = {w})");
            }
        }
    }

    [Test]
    public void SignOfZeroIsZeroAndHandValuesHold()
    {
        var small = MakeParameters()[0];
        Regularization.AddGradients([small], 0.1f, 0.3f);

        // dw = 0.1·sign(w) + 0.3·w for w = [0.5, −1.5, 0, 2].
        Assert.That(small.Gradient[0], Is.EqualTo(0.1 + 0.15).Within(1e-7));
        Assert.That(small.Gradient[1], Is.EqualTo(-0.1 - 0.45).Within(1e-7));
        Assert.That(small.Gradient[2], Is.EqualTo(0.0));
        Assert.That(small.Gradient[3], Is.EqualTo(0.1 + 0.6).Within(1e-7));

        // The vectorised loop agrees: an all-zero long weight gets no gradient at all.
        var zeros = new Parameter("z", true, 40);
        Regularization.AddGradients([zeros], 1f, 1f);
        Assert.That(zeros.Gradient.Span.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void LongWeightAgreesWithScalarFormula()
    {
        var big = MakeParameters()[1];
        Regularization.AddGradients([big], 0.25f, 0.5f);
        for (var i = 0; i < big.Value.Length; i++)
        {
            double w = big.Value[i];
            var expected = (0.25 * Math.Sign(w)) + (0.5 * w);
            Assert.That(big.Gradient[i], Is.EqualTo(expected).Within(1e-7), $"element {i}");
        }
    }

    [Test]
    public void BiasesAndFrozenWeightsAreUntouched()
    {
        var parameters = MakeParameters();
        parameters[1].Frozen = true;
        Regularization.AddGradients(parameters, 0.1f, 0.3f);
        Assert.That(parameters[2].Gradient.Span.ToArray(), Is.All.EqualTo(0f));
        Assert.That(parameters[1].Gradient.Span.ToArray(), Is.All.EqualTo(0f));
        Assert.That(parameters[0].Gradient.Span.ToArray(), Is.Not.All.EqualTo(0f));
    }

    [Test]
    public void L2OnlyIsWeightDecay()
    {
        var small = MakeParameters()[0];
        Regularization.AddGradients([small], 0f, 0.3f);
        Assert.That(small.Gradient[1], Is.EqualTo(-0.45).Within(1e-7));
        Assert.That(Regularization.Penalty([small], 0f, 0.3f), Is.EqualTo(0.975).Within(1e-6));
    }

    [Test]
    public void RejectsNegativeCoefficients()
    {
        var parameters = MakeParameters();
        Assert.That(() => Regularization.AddGradients(parameters, -0.1f, 0f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Regularization.Penalty(parameters, 0f, float.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
