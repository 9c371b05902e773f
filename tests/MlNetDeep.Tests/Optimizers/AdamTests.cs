using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class AdamTests
{
    [Test]
    public void ThreeStepsMatchAlgorithm16WithBiasCorrection()
    {
        // V := 0.9·V + 0.1·dw, S := 0.999·S + 0.001·dw², V' = V/(1 − 0.9^t), S' = S/(1 − 0.999^t),
        // w := w − 0.1·V'/(√S' + 1e-8), evaluated in double:
        // step 1: V = [0.05, −0.1]     S = [0.00025, 0.001]               w = [0.900000002, −1.900000001]
        // step 2: V = [0.07, 0.11]     S = [0.00031225, 0.004999]         w = [0.8067820405, −1.936610353]
        // step 3: V = [−0.037, 0.149]  S = [0.00131193775, 0.005244001]   w = [0.8274177429, −1.978175473]
        var adam = new Adam(0.1f);
        OptimizerTestKit.RunAndCheck(
            adam,
            [[0.900000002, -1.900000001], [0.8067820405, -1.936610353], [0.8274177429, -1.978175473]]);
        var state = adam.ExportState(0);
        Assert.That(state.Select(s => s.Name), Is.EqualTo(new[] { "exp_avg", "exp_avg_sq" }));
        Assert.That(state[0].Values[0], Is.EqualTo(-0.037).Within(1e-7));
        Assert.That(state[0].Values[1], Is.EqualTo(0.149).Within(1e-7));
        Assert.That(state[1].Values[0], Is.EqualTo(0.00131193775).Within(1e-9));
        Assert.That(state[1].Values[1], Is.EqualTo(0.005244001).Within(1e-9));
    }

    [Test]
    public void DefaultsAreTheSeeds()
    {
        var adam = new Adam();
        Assert.That(adam.LearningRate, Is.EqualTo(1e-3f));
        Assert.That(adam.Beta1, Is.EqualTo(0.9f));
        Assert.That(adam.Beta2, Is.EqualTo(0.999f));
        Assert.That(adam.Epsilon, Is.EqualTo(1e-8f));
    }

    [Test]
    public void FirstMomentReproducesSeedBiasCorrectionExample()
    {
        // Seed 000 §1.9.3 with β1 = 0.98 and gradients θ1 = 2, θ2 = 4:
        // V1 = 0.02·θ1 = 0.04, V'1 = V1/(1 − 0.98) = θ1 = 2;
        // V2 = 0.0196·θ1 + 0.02·θ2 = 0.1192, V'2 = V2/(1 − 0.98²) = (0.0196/0.0396)·θ1 + (0.02/0.0396)·θ2
        //    = 0.4949…·2 + 0.5050…·4 = 3.01010101 (the seed's "0.49·θ1 + 0.51·θ2").
        // With β2 = 0.5: S1 = 2, S'1 = 4; S2 = 9, S'2 = 12; w1 = −0.01·2/(2 + 1e-8), w2 = w1 − 0.01·3.01010101/(√12 + 1e-8).
        var p = new Parameter("w", true, 1);
        var adam = new Adam(0.01f, 0.98f, 0.5f);

        p.Gradient[0] = 2f;
        adam.Step([p]);
        var v1 = adam.ExportState(0)[0].Values[0];
        Assert.That(v1, Is.EqualTo(0.04).Within(1e-6));
        Assert.That(v1 / (1 - Math.Pow(0.98, 1)), Is.EqualTo(2.0).Within(1e-5));
        Assert.That(p.Value[0], Is.EqualTo(-0.00999999995).Within(1e-8));

        p.Gradient[0] = 4f;
        adam.Step([p]);
        var v2 = adam.ExportState(0)[0].Values[0];
        Assert.That(v2, Is.EqualTo(0.1192).Within(1e-6));
        Assert.That(v2 / (1 - Math.Pow(0.98, 2)), Is.EqualTo(3.01010101).Within(1e-5));
        Assert.That(adam.ExportState(0)[1].Values[0], Is.EqualTo(9.0).Within(1e-6));
        Assert.That(p.Value[0], Is.EqualTo(-0.01868941307).Within(1e-8));
    }

    [Test]
    public void FirstUpdateHasMagnitudeAlphaWhateverTheGradientScale()
    {
        // Bias correction makes step 1 equal to α·sign(g) (up to ε): V' = g, S' = g².
        foreach (var g in new[] { 1e-3f, 1f, 1e3f })
        {
            var p = new Parameter("w", true, 1);
            p.Gradient[0] = g;
            new Adam(0.01f).Step([p]);
            Assert.That(p.Value[0], Is.EqualTo(-0.01).Within(1e-6), $"g = {g}");
        }
    }
}
