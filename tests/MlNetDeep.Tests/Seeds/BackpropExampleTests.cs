using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Seeds;

/// <summary>The worked numbers of the seeds, computed by the engine's layers.</summary>
public class BackpropExampleTests
{
    /// <summary>
    /// Seed 000 §1.4, eq. (10): L = σ(w0·x0 + w1·x1 + w2) with w0=2, x0=−1, w1=−3, x1=−2, w2=−3 gives L ≈ 0.73 and
    /// ∂L/∂w0 = −0.2, ∂L/∂x0 = 0.4, ∂L/∂w1 = −0.4, ∂L/∂x1 = −0.6, ∂L/∂w2 = 0.2 (the seed rounds σ'(1) ≈ 0.1966 to 0.2 before multiplying, hence the 0.015 tolerance).
    /// </summary>
    [Test]
    public void SigmoidNeuronBackpropagationMatchesSeed000()
    {
        var dense = new Dense(1);
        var net = new Sequential(dense, new Sigmoid());
        net.Build([2], new RandomSource(1));
        dense.Weight.Value[0] = 2f;
        dense.Weight.Value[1] = -3f;
        dense.Bias!.Value[0] = -3f;
        net.ComputeInputGradient = true;

        var output = net.Forward(new Tensor([-1f, -2f], 1, 2), training: false);
        var dx = net.Backward(new Tensor([1f], 1, 1));

        Assert.That(output[0], Is.EqualTo(0.73).Within(0.005));
        Assert.That(dense.Weight.Gradient[0], Is.EqualTo(-0.2).Within(0.015), "∂L/∂w0");
        Assert.That(dx[0], Is.EqualTo(0.4).Within(0.015), "∂L/∂x0");
        Assert.That(dense.Weight.Gradient[1], Is.EqualTo(-0.4).Within(0.015), "∂L/∂w1");
        Assert.That(dx[1], Is.EqualTo(-0.6).Within(0.015), "∂L/∂x1");
        Assert.That(dense.Bias.Gradient[0], Is.EqualTo(0.2).Within(0.015), "∂L/∂w2");

        // The exact values behind the rounding: σ'(1) = σ(1)(1 − σ(1)).
        var s = 1 / (1 + Math.Exp(-1));
        Assert.That(dense.Weight.Gradient[0], Is.EqualTo(-s * (1 - s)).Within(1e-6));
    }

    /// <summary>Seed 002 §2: σ(W·[1, −1]ᵀ + b) with W = [[1, −2], [−1, 1]], b = [1, 0] is [0.98, 0.12].</summary>
    [Test]
    public void TwoNeuronLayerMatchesSeed002()
    {
        var dense = new Dense(2);
        var net = new Sequential(dense, new Sigmoid());
        net.Build([2], new RandomSource(1));
        new[] { 1f, -2f, -1f, 1f }.CopyTo(dense.Weight.Value.Span);
        new[] { 1f, 0f }.CopyTo(dense.Bias!.Value.Span);

        var a = net.Forward(new Tensor([1f, -1f], 1, 2), training: false);

        Assert.That(a[0], Is.EqualTo(0.98).Within(0.005));
        Assert.That(a[1], Is.EqualTo(0.12).Within(0.005));
    }
}
