using MlNetDeep.Layers;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.Optimizers;

/// <summary>
/// The tiny problem the optimizer tests share: a 2-element parameter starting at w = [1, −2], and a
/// 35-element one repeating that pattern (so the vectorised loop and the scalar tail both run), with
/// fixed gradients set before each step: g1 = [0.5, −1], g2 = [0.25, 2], g3 = [−1, 0.5].
/// </summary>
internal static class OptimizerTestKit
{
    public const double Tolerance = 1e-6;

    public static readonly float[][] Gradients = [[0.5f, -1f], [0.25f, 2f], [-1f, 0.5f]];

    public static Parameter[] MakeParameters()
    {
        var small = new Parameter("small", true, 2);
        var big = new Parameter("big", true, 5, 7);
        Fill(small.Value, 1f, -2f);
        Fill(big.Value, 1f, -2f);
        return [small, big];
    }

    public static void SetGradients(Parameter[] parameters, int step)
    {
        foreach (var p in parameters)
        {
            Fill(p.Gradient, Gradients[step][0], Gradients[step][1]);
        }
    }

    /// <summary>Runs the three steps, checking after each the expected [w0, w1] of every element.</summary>
    public static void RunAndCheck(Optimizer optimizer, double[][] expected)
    {
        var parameters = MakeParameters();
        for (var step = 0; step < expected.Length; step++)
        {
            SetGradients(parameters, step);
            optimizer.Step(parameters);
            Assert.That(optimizer.Steps, Is.EqualTo(step + 1));
            foreach (var p in parameters)
            {
                AssertPattern(p.Value.Span, expected[step][0], expected[step][1], $"{p.Name} after step {step + 1}");
            }
        }
    }

    public static void AssertPattern(ReadOnlySpan<float> values, double even, double odd, string what)
    {
        for (var i = 0; i < values.Length; i++)
        {
            Assert.That(values[i], Is.EqualTo(i % 2 == 0 ? even : odd).Within(Tolerance), $"{what}, element {i}");
        }
    }

    public static void Fill(MlNetDeep.Tensors.Tensor tensor, float even, float odd)
    {
        var span = tensor.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = i % 2 == 0 ? even : odd;
        }
    }
}
