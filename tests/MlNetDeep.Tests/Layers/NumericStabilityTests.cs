using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers;

/// <summary>Every softmax, log-softmax and sigmoid stays finite for any finite input, however large.</summary>
public class NumericStabilityTests
{
    private static readonly float[][] LogitRows =
    [
        [89f, 0f],
        [1e4f, 0f, -1e4f],
        [3e38f, -3e38f, 0f],
        [-3e38f, -3e38f],
        [float.MaxValue, -float.MaxValue, 1f, 88.8f],
        [1e4f, 1e4f - 1f, 1e4f - 2f],
        [-104f, -1e4f, -3e38f],
        [.. Enumerable.Range(0, 37).Select(i => i % 2 == 0 ? 3e38f : -1e4f * i)],
    ];

    private static IEnumerable<float[]> Rows() => LogitRows;

    /// <summary>softmax in double, from the maximum: the reference.</summary>
    private static double[] Reference(float[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    private static double LogSoftmax(float[] z, int j)
    {
        double max = z.Max();
        return z[j] - max - Math.Log(z.Sum(v => Math.Exp(v - max)));
    }

    [TestCaseSource(nameof(Rows))]
    public void SoftmaxIsFiniteAndSumsToOneForHugeLogits(float[] z)
    {
        var a = new float[z.Length];
        Softmax.Compute(z, a);
        Assert.That(a, Has.All.Matches<float>(float.IsFinite));
        Assert.That(a.Sum(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(a.Select(v => (double)v), Is.EqualTo(Reference(z)).Within(1e-6));

        // The layer: the same values, and a finite backward pass.
        var layer = new Softmax();
        layer.Build([z.Length], new RandomSource(1));
        var output = layer.Forward(new Tensor(z.ToArray(), 1, z.Length), training: true);
        Assert.That(output.Span.ToArray(), Is.EqualTo(a));
        var dx = layer.Backward(new Tensor([.. Enumerable.Range(0, z.Length).Select(i => (float)i)], 1, z.Length));
        Assert.That(dx.Span.ToArray(), Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void SoftmaxOfANonFiniteLogitIsNaN()
    {
        var a = new float[3];
        Softmax.Compute([1f, float.NaN, 2f], a);
        Assert.That(a, Has.All.NaN);
        Softmax.Compute([1f, float.PositiveInfinity, 2f], a);
        Assert.That(a, Has.All.NaN);
    }

    [TestCaseSource(nameof(Rows))]
    public void SoftmaxCrossEntropyHasFiniteLossAndGradientForHugeLogits(float[] z)
    {
        var k = z.Length;
        for (var label = 0; label < k; label++)
        {
            foreach (var smoothing in new[] { 0f, 0.1f })
            {
                var gradient = new Tensor(1, k);
                var loss = new SoftmaxCrossEntropy(smoothing).Compute(new Tensor(z.ToArray(), 1, k), new Tensor([label], 1), gradient);

                var expected = -((1 - smoothing) * LogSoftmax(z, label)) - Enumerable.Range(0, k).Sum(j => smoothing / k * LogSoftmax(z, j));
                Assert.That(double.IsFinite(loss), Is.True, $"label {label}, ε {smoothing}: loss {loss}");
                Assert.That(loss, Is.EqualTo(expected).Within(Math.Abs(expected) * 1e-6 + 1e-6), $"label {label}, ε {smoothing}");
                var a = Reference(z);
                var g = gradient.Span.ToArray();
                for (var j = 0; j < k; j++)
                {
                    var y = ((j == label ? 1 - smoothing : 0) + (smoothing / k));
                    Assert.That(g[j], Is.EqualTo(a[j] - y).Within(1e-6), $"label {label}, ε {smoothing}, output {j}");
                }
            }
        }

        // A distribution target, and the value alone (evaluation) from a scratch row.
        var uniform = new Tensor([.. Enumerable.Repeat(1f / k, k)], 1, k);
        var withGradient = new SoftmaxCrossEntropy().Compute(new Tensor(z.ToArray(), 1, k), uniform, new Tensor(1, k));
        var alone = new SoftmaxCrossEntropy().Compute(new Tensor(z.ToArray(), 1, k), uniform, null);
        Assert.That(double.IsFinite(withGradient), Is.True);
        Assert.That(alone, Is.EqualTo(withGradient));
    }

    [Test]
    public void SoftmaxCrossEntropyOfManyClassesWithoutAGradientUsesNoStackForALargeRow()
    {
        // 1000 classes: the value-only path takes its scratch row from the pool.
        var z = new Tensor([.. Enumerable.Range(0, 2000).Select(i => i == 3 ? 1e4f : (float)Math.Sin(i))], 2, 1000);
        var withGradient = new SoftmaxCrossEntropy().Compute(z, new Tensor([3f, 5f], 2), new Tensor(2, 1000));
        var alone = new SoftmaxCrossEntropy().Compute(z, new Tensor([3f, 5f], 2), null);
        Assert.That(alone, Is.EqualTo(withGradient));
        Assert.That(double.IsFinite(alone), Is.True);
    }

    private static readonly float[] SigmoidInputs = [1e4f, -1e4f, 88f, -88f, 88.8f, -88.8f, 104f, -104f, 3e38f, -3e38f, float.MaxValue, -float.MaxValue, 0f, 20f, -20f];

    [TestCase(1)]
    [TestCase(37)]
    public void SigmoidIsInZeroOneForEveryFiniteInput(int repeat)
    {
        // 37 copies run the vectorised path and its scalar tail.
        foreach (var x in SigmoidInputs)
        {
            var input = Enumerable.Repeat(x, repeat).ToArray();
            var y = new float[repeat];
            Sigmoid.Compute(input, y);
            var expected = 1 / (1 + Math.Exp(-(double)x));
            Assert.That(y, Has.All.InRange(0f, 1f).And.All.EqualTo(expected).Within(1e-6), $"σ({x})");

            var layer = new Sigmoid();
            layer.Build([repeat], new RandomSource(1));
            Assert.That(layer.Forward(new Tensor(input, 1, repeat), training: false).Span.ToArray(), Is.EqualTo(y), $"layer σ({x})");
        }
    }

    [Test]
    public void BinaryCrossEntropyHasFiniteLossAndGradientForHugeLogits()
    {
        float[] z = [1e4f, -1e4f, 3e38f, -3e38f, 104f, -104f, 0f];
        foreach (var target in new[] { 0f, 1f })
        {
            var gradient = new Tensor(z.Length, 1);
            var loss = new BinaryCrossEntropy().Compute(new Tensor(z.ToArray(), z.Length, 1), new Tensor([.. Enumerable.Repeat(target, z.Length)], z.Length, 1), gradient);

            var expected = z.Sum(v => Math.Max(v, 0.0) - (v * (double)target) + Math.Log(1 + Math.Exp(-Math.Abs((double)v)))) / z.Length;
            Assert.That(double.IsFinite(loss), Is.True);
            Assert.That(loss, Is.EqualTo(expected).Within(expected * 1e-9));
            for (var i = 0; i < z.Length; i++)
            {
                var a = 1 / (1 + Math.Exp(-(double)z[i]));
                Assert.That(gradient[i], Is.EqualTo((a - target) / z.Length).Within(1e-7), $"z = {z[i]}, y = {target}");
            }
        }
    }
}
