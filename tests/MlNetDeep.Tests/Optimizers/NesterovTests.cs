using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class NesterovTests
{
    [Test]
    public void ThreeStepsMatchPyTorchFormulation()
    {
        // v := 0.9·v + g, w := w − 0.1·(g + 0.9·v).
        // step 1: v = [0.5, −1]          w = 1 − 0.1·(0.5 + 0.45) = 0.905;  −2 − 0.1·(−1 − 0.9) = −1.81
        // step 2: v = [0.7, 1.1]         w = 0.905 − 0.1·(0.25 + 0.63) = 0.817;  −1.81 − 0.1·(2 + 0.99) = −2.109
        // step 3: v = [−0.37, 1.49]      w = 0.817 − 0.1·(−1 − 0.333) = 0.9503;  −2.109 − 0.1·(0.5 + 1.341) = −2.2931
        OptimizerTestKit.RunAndCheck(new Nesterov(0.1f), [[0.905, -1.81], [0.817, -2.109], [0.9503, -2.2931]]);
    }

    [Test]
    public void EquivalentToSeed004LookAheadForm()
    {
        // Seed 004: ν_{t+1} = γ·ν_t − η·∇L(θ_t + γ·ν_t) (look-ahead gradient), θ_{t+1} = θ_t + ν_{t+1},
        // on f(θ) = ½·c·θ². The PyTorch form's weights are the look-ahead points w_t = θ_t + γ·ν_t.
        const double c = 3, eta = 0.05, gamma = 0.9;
        double theta = 2, nu = 0;
        var p = new Parameter("w", true, 1);
        p.Value[0] = 2f;
        var nesterov = new Nesterov((float)eta, (float)gamma);
        for (var t = 0; t < 20; t++)
        {
            nu = (gamma * nu) - (eta * c * (theta + (gamma * nu)));
            theta += nu;
            p.Gradient[0] = (float)c * p.Value[0];
            nesterov.Step([p]);
            Assert.That(p.Value[0], Is.EqualTo(theta + (gamma * nu)).Within(1e-5), $"step {t + 1}");
        }
    }
}
