using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class ExponentialAverageTests
{
    [Test]
    public void ReproducesSeedBiasCorrectionNumbers()
    {
        // Seed 000 §1.9.3, β = 0.98: V1 = 0.02·θ1, V2 = 0.0196·θ1 + 0.02·θ2,
        // V'1 = θ1, V'2 = (0.0196·θ1 + 0.02·θ2)/0.0396 ≈ 0.49·θ1 + 0.51·θ2.
        const double theta1 = 10, theta2 = 30;
        var average = new ExponentialAverage(0.98);

        average.Update(theta1);
        Assert.That(average.Count, Is.EqualTo(1));
        Assert.That(average.Value, Is.EqualTo(0.2).Within(1e-12));
        Assert.That(average.Corrected, Is.EqualTo(10.0).Within(1e-12));

        average.Update(theta2);
        Assert.That(average.Value, Is.EqualTo(0.796).Within(1e-12)); // 0.196 + 0.6
        Assert.That(average.Corrected, Is.EqualTo(20.1010101010101).Within(1e-10)); // 0.796/0.0396
    }

    [Test]
    public void CorrectedWeightsAreThoseOfTheSeed()
    {
        // The weights of θ1 and θ2 in V'2, found by feeding unit impulses.
        var first = new ExponentialAverage(0.98);
        first.Update(1);
        first.Update(0);
        var second = new ExponentialAverage(0.98);
        second.Update(0);
        second.Update(1);
        Assert.That(first.Corrected, Is.EqualTo(0.494949494949).Within(1e-10)); // 0.0196/0.0396 ≈ 0.49
        Assert.That(second.Corrected, Is.EqualTo(0.505050505051).Within(1e-10)); // 0.02/0.0396 ≈ 0.51
        Assert.That(first.Value, Is.EqualTo(0.0196).Within(1e-12));
        Assert.That(second.Value, Is.EqualTo(0.02).Within(1e-12));
    }

    [Test]
    public void NinetyPercentAveragesAboutTenValues()
    {
        // Seed 000 eq. 61: the weight of θ from ten steps back is 0.1·0.9^10 ≈ 0.1·0.35.
        var average = new ExponentialAverage(0.9);
        average.Update(1);
        for (var i = 0; i < 10; i++)
        {
            average.Update(0);
        }

        Assert.That(average.Value, Is.EqualTo(0.0348678440).Within(1e-10));
        average.Reset();
        Assert.That(average.Count, Is.EqualTo(0));
        Assert.That(average.Value, Is.EqualTo(0.0));
        Assert.That(average.Corrected, Is.EqualTo(0.0));
        Assert.That(() => new ExponentialAverage(1.0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
