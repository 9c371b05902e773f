using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class RmsPropTests
{
    [Test]
    public void ThreeStepsMatchAlgorithm15WithEpsilonOutsideTheRoot()
    {
        // S := 0.9·S + 0.1·dw², w := w − 0.1·dw/(√S + 1e-8), evaluated in double:
        // step 1: S = [0.025, 0.1]          w = [0.683772254, −1.683772244]
        // step 2: S = [0.02875, 0.49]       w = [0.5363303065, −1.969486526]
        // step 3: S = [0.125875, 0.466]     w = [0.8181882287, −2.042731366]
        var rms = new RmsProp(0.1f);
        OptimizerTestKit.RunAndCheck(
            rms,
            [[0.683772254, -1.683772244], [0.5363303065, -1.969486526], [0.8181882287, -2.042731366]]);
        var state = rms.ExportState(1);
        Assert.That(state[0].Name, Is.EqualTo("square_avg"));
        Assert.That(state[0].Values[0], Is.EqualTo(0.125875).Within(1e-7));
        Assert.That(state[0].Values[1], Is.EqualTo(0.466).Within(1e-7));
    }

    [Test]
    public void EpsilonIsAddedOutsideTheSquareRoot()
    {
        // One step from S = 0 with dw = 1e-4 and ε = 1e-2, β = 0: S = 1e-8, √S = 1e-4.
        // Outside: Δw = α·1e-4/(1e-4 + 1e-2) = 0.00990099; inside (seed 000) would be α·1e-4/√(1e-2 + 1e-8) ≈ 0.001.
        var p = new MlNetDeep.Layers.Parameter("w", true, 1);
        p.Gradient[0] = 1e-4f;
        new RmsProp(1f, 0f, 1e-2f).Step([p]);
        Assert.That(p.Value[0], Is.EqualTo(-1e-4 / (1e-4 + 1e-2)).Within(1e-7));
    }

    [Test]
    public void RejectsInvalidEpsilon()
    {
        Assert.That(() => new RmsProp(0.1f, 0.9f, 0f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new RmsProp(0.1f, 0.9f, float.PositiveInfinity), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
