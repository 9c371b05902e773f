using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class GradientDescentTests
{
    [Test]
    public void ThreeStepsMatchHandComputedUpdates()
    {
        // w := w − α·dw with α = 0.1:
        // step 1: [1 − 0.05, −2 + 0.1] = [0.95, −1.9]; step 2: [0.95 − 0.025, −1.9 − 0.2] = [0.925, −2.1];
        // step 3: [0.925 + 0.1, −2.1 − 0.05] = [1.025, −2.15].
        OptimizerTestKit.RunAndCheck(new GradientDescent(0.1f), [[0.95, -1.9], [0.925, -2.1], [1.025, -2.15]]);
    }

    [Test]
    public void QuadraticConvergesAsGeometricSequence()
    {
        // f(w) = ½·c·w², dw = c·w, so w_t = (1 − α·c)^t·w_0: with c = 2, α = 0.25, w halves each step.
        var p = new MlNetDeep.Layers.Parameter("w", true, 1);
        p.Value[0] = 8f;
        var gd = new GradientDescent(0.25f);
        double[] expected = [4, 2, 1, 0.5];
        foreach (var e in expected)
        {
            p.Gradient[0] = 2f * p.Value[0];
            gd.Step([p]);
            Assert.That(p.Value[0], Is.EqualTo(e).Within(1e-6));
        }
    }

    [Test]
    public void StepUsesTheGivenRateAndHasNoState()
    {
        var parameters = OptimizerTestKit.MakeParameters();
        OptimizerTestKit.SetGradients(parameters, 0);
        var gd = new GradientDescent(100f);
        gd.Step(parameters, 0.2f);

        // [1 − 0.2·0.5, −2 + 0.2·1] = [0.9, −1.8]: the scheduled rate, not LearningRate, is used.
        OptimizerTestKit.AssertPattern(parameters[1].Value.Span, 0.9, -1.8, "big");
        Assert.That(gd.StateNames, Is.Empty);
        Assert.That(gd.ExportState(0), Is.Empty);
    }
}
