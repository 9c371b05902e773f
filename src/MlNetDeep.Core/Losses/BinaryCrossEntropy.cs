using System.Numerics.Tensors;

namespace MlNetDeep.Losses;

/// <summary>
/// Binary cross-entropy on logits z (seed 000 §1.6 eq. 36): with a = σ(z),
/// C = −(1/n)·Σ [y·ln a + (1−y)·ln(1−a)], computed stably as max(z,0) − z·y + ln(1+e^−|z|).
/// The output error is δ^L = a − y (eq. 37): no σ' factor, so no learning slowdown.
/// Targets are 0 or 1 (or probabilities in [0, 1]), one per output; outputs are summed per sample.
/// </summary>
public sealed class BinaryCrossEntropy : Loss
{
    /// <inheritdoc />
    public override bool IsClassification => true;

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        var y = target.Span;
        for (var i = 0; i < y.Length; i++)
        {
            if (!(y[i] >= 0f && y[i] <= 1f))
            {
                return $"target {i} is {y[i]}; binary cross-entropy expects values in [0, 1]";
            }
        }

        return null;
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        RequireSameLength(prediction, target);
        var z = prediction.Span;
        var y = target.Span;
        var n = prediction.Rows;
        var scale = 1f / n;
        double sum = 0;
        for (var i = 0; i < z.Length; i++)
        {
            double zi = z[i];
            sum += Math.Max(zi, 0) - (zi * y[i]) + Math.Log(1 + Math.Exp(-Math.Abs(zi)));
        }

        if (gradient is not null)
        {
            // δ = (σ(z) − y)/n; σ saturates to exactly 0 or 1 for large |z| instead of overflowing.
            var g = gradient.Span;
            TensorPrimitives.Sigmoid(z, g);
            TensorPrimitives.Subtract(g, y, g);
            TensorPrimitives.Multiply(g, scale, g);
        }

        return sum / n;
    }
}
