namespace MlNetDeep.Losses;

/// <summary>
/// The quadratic cost (mean squared error) of seed 000 eq. (1): C = 1/(2n)·Σ_x ‖y(x) − a‖²,
/// so ∂C/∂a = (a − y)/n and, through a sigmoid output, δ^L = (a − y)·σ'(z) (eq. 33).
/// </summary>
public sealed class QuadraticCost : Loss
{
    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        RequireSameLength(prediction, target);
        var a = prediction.Span;
        var y = target.Span;
        var n = prediction.Rows;
        double sum = 0;
        var g = gradient is null ? default : gradient.Span;
        var scale = 1f / n;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - y[i];
            sum += (double)d * d;
            if (gradient is not null)
            {
                g[i] = d * scale;
            }
        }

        return sum / (2.0 * n);
    }
}
