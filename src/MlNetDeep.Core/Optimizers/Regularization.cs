using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MlNetDeep.Layers;

namespace MlNetDeep.Optimizers;

/// <summary>
/// L1 and L2 weight penalties (seed 000 §1.7 and the cost of algorithm 1.2):
/// <c>Penalty = l1·Σ|w| + (l2/2)·Σw²</c> over the weights (<see cref="Parameter.IsWeight"/>), never the
/// biases, whose gradient <see cref="AddGradients"/> adds: <c>dw += l1·sign(w) + l2·w</c>.
/// </summary>
/// <remarks>
/// The seeds write the L2 term as <c>λ/(2m)·Σ_l ||W^[l]||_F²</c> with m the batch size, whose gradient is
/// <c>(λ/m)·W</c>, the "weight decay" term of backprop. Here <c>l2</c> is that coefficient λ/m: with the
/// mean loss over a mini-batch of m examples, pass <c>l2 = λ/m</c>. Likewise the seeds' L1 term
/// <c>λ/m·Σ|w|</c> (some write λ/(2m)) corresponds to <c>l1 = λ/m</c> (or λ/(2m)). sign(0) is taken as 0.
/// Frozen parameters are skipped by both methods' gradient side; <see cref="Penalty"/> counts every weight.
/// </remarks>
public static class Regularization
{
    /// <summary>
    /// Adds <c>l1·sign(w) + l2·w</c> to the gradient of every weight (<see cref="Parameter.IsWeight"/>) that
    /// is not frozen; biases and frozen parameters are left untouched. Call after backprop, before the step.
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="l1">The L1 coefficient; finite and non-negative.</param>
    /// <param name="l2">The L2 coefficient (λ/m in the seeds' notation); finite and non-negative.</param>
    public static void AddGradients(IReadOnlyList<Parameter> parameters, float l1, float l2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckCoefficient(l1, nameof(l1));
        CheckCoefficient(l2, nameof(l2));
        if (l1 == 0f && l2 == 0f)
        {
            return;
        }

        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (!p.IsWeight || p.Frozen)
            {
                continue;
            }

            var w = p.Value.Span;
            var g = p.Gradient.Span;
            if (w.Length != g.Length)
            {
                throw new InvalidOperationException($"Parameter {k} ('{p.Name}') has {w.Length} values but a gradient of {g.Length}.");
            }

            if (l1 == 0f)
            {
                TensorPrimitives.MultiplyAdd(w, l2, g, g);
            }
            else
            {
                AddL1L2(w, g, l1, l2);
            }
        }
    }

    /// <summary>
    /// Returns <c>l1·Σ|w| + (l2/2)·Σw²</c> over all weights (<see cref="Parameter.IsWeight"/>), accumulated
    /// in double, so that the cost <c>J + Penalty</c> has exactly the gradients <see cref="AddGradients"/> adds.
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="l1">The L1 coefficient; finite and non-negative.</param>
    /// <param name="l2">The L2 coefficient (λ/m in the seeds' notation); finite and non-negative.</param>
    public static double Penalty(IReadOnlyList<Parameter> parameters, float l1, float l2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckCoefficient(l1, nameof(l1));
        CheckCoefficient(l2, nameof(l2));
        double abs = 0, squares = 0;
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (!p.IsWeight)
            {
                continue;
            }

            if (l1 != 0f)
            {
                abs += DoubleSums.SumOfMagnitudes(p.Value.Span);
            }

            if (l2 != 0f)
            {
                squares += DoubleSums.SumOfSquares(p.Value.Span);
            }
        }

        return (l1 * abs) + (0.5 * l2 * squares);
    }

    private static void AddL1L2(ReadOnlySpan<float> weights, Span<float> gradient, float l1, float l2)
    {
        var n = weights.Length;
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var v1 = new Vector<float>(l1);
            var v2 = new Vector<float>(l2);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = (nuint)i;
                var x = Vector.LoadUnsafe(ref w, o);

                // l1·sign(x) as l1·(x > 0) − l1·(x < 0), selected by the comparison masks, so sign(0) = 0.
                var l1Sign = Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), v1, Vector<float>.Zero)
                    - Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), v1, Vector<float>.Zero);
                (Vector.LoadUnsafe(ref g, o) + l1Sign + (v2 * x)).StoreUnsafe(ref g, o);
            }
        }

        for (; i < n; i++)
        {
            var x = weights[i];
            var l1Sign = x > 0f ? l1 : x < 0f ? -l1 : 0f;
            gradient[i] = gradient[i] + l1Sign + (l2 * x);
        }
    }

    private static void CheckCoefficient(float value, string name)
    {
        if (!(value >= 0f && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, $"The regularisation coefficient {name} must be finite and non-negative.");
        }
    }
}
