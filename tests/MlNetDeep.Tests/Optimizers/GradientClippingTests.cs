using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class GradientClippingTests
{
    private static Parameter[] MakeParameters()
    {
        // Gradients [3, 4] and [12] (norm √(9 + 16 + 144) = 13) plus a frozen one that must be ignored.
        var a = new Parameter("a", true, 2);
        a.Gradient[0] = 3f;
        a.Gradient[1] = 4f;
        var b = new Parameter("b", false, 1);
        b.Gradient[0] = 12f;
        var frozen = new Parameter("frozen", true, 1) { Frozen = true };
        frozen.Gradient[0] = 100f;
        return [a, b, frozen];
    }

    [Test]
    public void ScalesToMaxNormWhenAbove()
    {
        var parameters = MakeParameters();
        var norm = GradientClipping.ClipByGlobalNorm(parameters, 6.5f);
        Assert.That(norm, Is.EqualTo(13.0).Within(1e-12));
        Assert.That(parameters[0].Gradient[0], Is.EqualTo(1.5).Within(1e-6));
        Assert.That(parameters[0].Gradient[1], Is.EqualTo(2.0).Within(1e-6));
        Assert.That(parameters[1].Gradient[0], Is.EqualTo(6.0).Within(1e-6));
        Assert.That(parameters[2].Gradient[0], Is.EqualTo(100f));
        Assert.That(GradientClipping.ClipByGlobalNorm(parameters, 100f), Is.EqualTo(6.5).Within(1e-5));
    }

    [Test]
    public void UntouchedAtOrBelowMaxNorm()
    {
        var parameters = MakeParameters();
        Assert.That(GradientClipping.ClipByGlobalNorm(parameters, 13f), Is.EqualTo(13.0).Within(1e-12));
        Assert.That(GradientClipping.ClipByGlobalNorm(parameters, 20f), Is.EqualTo(13.0).Within(1e-12));
        Assert.That(parameters[0].Gradient[0], Is.EqualTo(3f));
        Assert.That(parameters[0].Gradient[1], Is.EqualTo(4f));
        Assert.That(parameters[1].Gradient[0], Is.EqualTo(12f));
    }

    [Test]
    public void LongGradientNormIsComputedInDouble()
    {
        // 100 003 values of 0.01: norm = 0.01·√100003 (vector loop and tail).
        var p = new Parameter("w", true, 100_003);
        p.Gradient.Fill(0.01f);
        var norm = GradientClipping.ClipByGlobalNorm([p], 1f);
        Assert.That(norm, Is.EqualTo((double)0.01f * Math.Sqrt(100_003)).Within(1e-9));
        Assert.That(GradientClipping.ClipByGlobalNorm([p], 10f), Is.EqualTo(1.0).Within(1e-6));
    }

    [Test]
    public void RejectsNonPositiveMaxNorm()
    {
        var parameters = MakeParameters();
        Assert.That(() => GradientClipping.ClipByGlobalNorm(parameters, 0f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => GradientClipping.ClipByGlobalNorm(parameters, float.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
