using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

public sealed class MomentumTests
{
    [Test]
    public void ExponentialAverageFormMatchesAlgorithm14()
    {
        // V := 0.9·V + 0.1·dw, w := w − 0.1·V.
        // step 1: V = [0.05, −0.1]   w = [0.995, −1.99]
        // step 2: V = [0.045 + 0.025, −0.09 + 0.2] = [0.07, 0.11]   w = [0.988, −2.001]
        // step 3: V = [0.063 − 0.1, 0.099 + 0.05] = [−0.037, 0.149]   w = [0.9917, −2.0159]
        var momentum = new Momentum(0.1f);
        Assert.That(momentum.Form, Is.EqualTo(MomentumForm.ExponentialAverage));
        Assert.That(momentum.Beta, Is.EqualTo(0.9f));
        OptimizerTestKit.RunAndCheck(momentum, [[0.995, -1.99], [0.988, -2.001], [0.9917, -2.0159]]);
    }

    [Test]
    public void ClassicalFormMatchesPyTorchSgdMomentum()
    {
        // v := 0.9·v + dw, w := w − 0.1·v (PyTorch SGD(lr=0.1, momentum=0.9)).
        // step 1: v = [0.5, −1]   w = [0.95, −1.9]
        // step 2: v = [0.45 + 0.25, −0.9 + 2] = [0.7, 1.1]   w = [0.88, −2.01]
        // step 3: v = [0.63 − 1, 0.99 + 0.5] = [−0.37, 1.49]   w = [0.917, −2.159]
        var momentum = new Momentum(0.1f, 0.9f) { Form = MomentumForm.Classical };
        OptimizerTestKit.RunAndCheck(momentum, [[0.95, -1.9], [0.88, -2.01], [0.917, -2.159]]);
        var state = momentum.ExportState(0);
        Assert.That(state, Has.Count.EqualTo(1));
        Assert.That(state[0].Name, Is.EqualTo("momentum_buffer"));
        Assert.That(state[0].Values[0], Is.EqualTo(-0.37).Within(1e-6));
        Assert.That(state[0].Values[1], Is.EqualTo(1.49).Within(1e-6));
    }

    [Test]
    public void RejectsBetaOutsideUnitInterval()
    {
        Assert.That(() => new Momentum(0.1f, 1f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Momentum(0.1f, -0.1f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Momentum(-0.1f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Momentum(float.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
