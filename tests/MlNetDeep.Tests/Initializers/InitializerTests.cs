using MlNetDeep.Initializers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Initializers;

/// <summary>Sampled statistics match seed 004 §4.3: Xavier Var = 2/(n_in + n_out), Kaiming Var = 2/n_in.</summary>
public class InitializerTests
{
    private static (double Mean, double Variance, double MaxAbs) Sample(Initializer init, int fanIn, int fanOut)
    {
        var values = new float[200_000];
        init.Fill(values, fanIn, fanOut, new RandomSource(42));
        var mean = values.Average(v => (double)v);
        var variance = values.Average(v => (v - mean) * (v - mean));
        return (mean, variance, values.Max(v => Math.Abs((double)v)));
    }

    [TestCase(300, 100)]
    [TestCase(784, 256)]
    public void XavierVarianceIsTwoOverFanInPlusFanOut(int fanIn, int fanOut)
    {
        var expected = 2.0 / (fanIn + fanOut);
        foreach (var init in new Initializer[] { new XavierNormal(), new XavierUniform() })
        {
            var (mean, variance, _) = Sample(init, fanIn, fanOut);
            Assert.That(mean, Is.EqualTo(0).Within(0.01 * Math.Sqrt(expected)), init.GetType().Name);
            Assert.That(variance, Is.EqualTo(expected).Within(0.02 * expected), init.GetType().Name);
        }
    }

    [TestCase(300, 100)]
    [TestCase(784, 256)]
    public void KaimingVarianceIsTwoOverFanIn(int fanIn, int fanOut)
    {
        var expected = 2.0 / fanIn;
        foreach (var init in new Initializer[] { new KaimingNormal(), new KaimingUniform() })
        {
            var (_, variance, _) = Sample(init, fanIn, fanOut);
            Assert.That(variance, Is.EqualTo(expected).Within(0.02 * expected), init.GetType().Name);
        }
    }

    [Test]
    public void UniformVariantsStayWithinTheirBounds()
    {
        Assert.That(Sample(new XavierUniform(), 10, 20).MaxAbs, Is.LessThanOrEqualTo(Math.Sqrt(6.0 / 30)));
        Assert.That(Sample(new KaimingUniform(), 10, 20).MaxAbs, Is.LessThanOrEqualTo(Math.Sqrt(6.0 / 10)));
        Assert.That(Sample(new FanInUniform(), 16, 20).MaxAbs, Is.LessThanOrEqualTo(0.25));
    }

    [Test]
    public void LeCunAndStandardNormalVariances()
    {
        Assert.That(Sample(new LeCunNormal(), 50, 10).Variance, Is.EqualTo(1.0 / 50).Within(0.02 / 50));
        Assert.That(Sample(new StandardNormal(), 50, 10).Variance, Is.EqualTo(1.0).Within(0.02));
        Assert.That(Sample(new Zeros(), 50, 10).MaxAbs, Is.Zero);
    }
}
