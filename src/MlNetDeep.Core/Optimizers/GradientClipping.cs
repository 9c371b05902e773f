using System.Numerics.Tensors;
using MlNetDeep.Layers;

namespace MlNetDeep.Optimizers;

/// <summary>
/// Gradient clipping, the remedy seed 004 §3.2.1 gives for cliffs and exploding gradients: when the
/// gradient is too long, shrink it to a maximum length while keeping its direction.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the global L2 norm <c>‖g‖ = √(Σ g²)</c> over the gradients of all non-frozen parameters (in
    /// double) and, when it exceeds <paramref name="maxNorm"/>, multiplies every one of those gradients by
    /// <c>maxNorm/‖g‖</c>, as PyTorch's <c>clip_grad_norm_</c> does. Gradients are unchanged when the norm is
    /// at most <paramref name="maxNorm"/>, and also when it is not finite (so the caller can detect the
    /// overflow from the returned value and skip the step).
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="maxNorm">The largest allowed norm; finite and positive.</param>
    /// <returns>The norm before clipping.</returns>
    public static double ClipByGlobalNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0f && float.IsFinite(maxNorm)))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be finite and positive.");
        }

        var squares = 0.0;
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (!p.Frozen)
            {
                squares += DoubleSums.SumOfSquares(p.Gradient.Span);
            }
        }

        var norm = Math.Sqrt(squares);
        if (double.IsFinite(norm) && norm > maxNorm)
        {
            var scale = (float)(maxNorm / norm);
            for (var k = 0; k < parameters.Count; k++)
            {
                var p = parameters[k];
                if (!p.Frozen)
                {
                    var g = p.Gradient.Span;
                    TensorPrimitives.Multiply(g, scale, g);
                }
            }
        }

        return norm;
    }
}
