using MlNetDeep.Training;

namespace MlNetDeep.Losses;

/// <summary>
/// A cost function C averaged over the mini-batch (seed 000 §1.3: C = (1/n)·Σ_x C_x). It returns the
/// cost and writes ∂C/∂prediction, which starts backpropagation.
/// </summary>
public abstract class Loss
{
    /// <summary>True for losses whose targets are class labels (accuracy is then reported).</summary>
    public virtual bool IsClassification => false;

    /// <summary>
    /// What kind of image-plane target this loss takes (boxes, masks), so that augmentation that moves pixels moves the
    /// targets too; null (the default) for targets that do not depend on where the pixels are (class labels, values).
    /// </summary>
    public virtual SpatialTargets? SpatialTargets => null;

    /// <summary>Computes the mean cost over the batch and, when <paramref name="gradient"/> is not null, ∂C/∂prediction.</summary>
    /// <param name="prediction">The network output, [N, K].</param>
    /// <param name="target">The targets; the accepted shapes depend on the loss.</param>
    /// <param name="gradient">Receives ∂C/∂prediction (same shape as <paramref name="prediction"/>), or null.</param>
    /// <returns>The mean cost.</returns>
    public double Compute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        CheckShapes(prediction, target, gradient);
        return OnCompute(prediction, target, gradient);
    }

    private void CheckShapes(Tensor prediction, Tensor target, Tensor? gradient)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rows != prediction.Rows)
        {
            throw new ArgumentException(
                $"{GetType().Name}: the targets have {target.Rows} rows but the predictions have {prediction.Rows}.", nameof(target));
        }

        if (gradient is not null && gradient.Length != prediction.Length)
        {
            throw new ArgumentException(
                $"{GetType().Name}: the gradient buffer has shape {Tensor.Format(gradient.Shape)}; expected {Tensor.Format(prediction.Shape)}.",
                nameof(gradient));
        }
    }

    /// <summary>
    /// Computes the weighted mean cost over the batch, C = Σ_i w_i·C_i / Σ_i w_i (each row's cost counts in proportion to
    /// its example weight, as ML.NET's example weight column means), and, when <paramref name="gradient"/> is not null,
    /// ∂C/∂prediction = w_i / Σw · ∂C_i/∂prediction_i for each row i. Equal weights give <see cref="Compute(Tensor, Tensor, Tensor)"/>'s
    /// mean; a batch whose weights are all 0 has cost 0 and a zero gradient.
    /// </summary>
    /// <param name="prediction">The network output, [N, K].</param>
    /// <param name="target">The targets; the accepted shapes depend on the loss.</param>
    /// <param name="gradient">Receives ∂C/∂prediction, or null.</param>
    /// <param name="weights">N finite weights ≥ 0.</param>
    /// <returns>The weighted mean cost.</returns>
    /// <remarks>The rows are computed one at a time through the loss's own formula (every loss here is a mean of
    /// independent per-row costs), in per-thread scratch tensors: nothing is allocated in steady state.</remarks>
    public double Compute(Tensor prediction, Tensor target, Tensor? gradient, ReadOnlySpan<float> weights)
    {
        CheckShapes(prediction, target, gradient);
        if (CouplesRows)
        {
            throw new NotSupportedException(
                $"{GetType().Name} couples the rows of a mini-batch (its cost is not a mean of per-row costs), so it cannot weigh rows by example weights.");
        }

        if (weights.Length != prediction.Rows)
        {
            throw new ArgumentException($"{GetType().Name}: {weights.Length} example weights for {prediction.Rows} rows.", nameof(weights));
        }

        double total = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0 && float.IsFinite(w)))
            {
                throw new ArgumentException($"{GetType().Name}: example weight {w} is not a finite value ≥ 0.", nameof(weights));
            }

            total += w;
        }

        if (total == 0)
        {
            gradient?.Clear();
            return 0;
        }

        var p = Tensor.Ensure(ref t_prediction, 1, prediction.Shape[1..]);
        var t = Tensor.Ensure(ref t_target, 1, target.Shape[1..]);
        var g = gradient is null ? null : Tensor.Ensure(ref t_gradient, 1, prediction.Shape[1..]);
        var pw = prediction.RowSize;
        var tw = target.RowSize;
        double sum = 0;
        for (var r = 0; r < prediction.Rows; r++)
        {
            prediction.Data.AsSpan(r * pw, pw).CopyTo(p.Data);
            target.Data.AsSpan(r * tw, tw).CopyTo(t.Data);
            sum += weights[r] * OnCompute(p, t, g);
            if (gradient is not null)
            {
                var scale = (float)(weights[r] / total);
                var row = gradient.Data.AsSpan(r * pw, pw);
                var source = g!.Data.AsSpan(0, pw);
                for (var j = 0; j < pw; j++)
                {
                    row[j] = source[j] * scale;
                }
            }
        }

        return sum / total;
    }

    [ThreadStatic]
    private static Tensor? t_prediction;

    [ThreadStatic]
    private static Tensor? t_target;

    [ThreadStatic]
    private static Tensor? t_gradient;

    /// <summary>
    /// True for a loss whose cost is not a mean of independent per-row costs (a metric-learning loss that compares the rows of
    /// a mini-batch with each other): example weights are then refused.
    /// </summary>
    protected virtual bool CouplesRows => false;

    /// <summary>True when the cost is a mean of independent per-row costs (see <see cref="CouplesRows"/>).</summary>
    internal bool IsMeanOfRows => !CouplesRows;

    /// <summary>Checks that every target is valid for this loss and returns a message for the first that is not, or null.</summary>
    public virtual string? Validate(Tensor target, int outputs) => null;

    /// <summary>The loss proper, after the common shape checks.</summary>
    protected abstract double OnCompute(Tensor prediction, Tensor target, Tensor? gradient);

    /// <summary>Throws when the target does not have the prediction's length.</summary>
    protected void RequireSameLength(Tensor prediction, Tensor target)
    {
        if (target.Length != prediction.Length)
        {
            throw new ArgumentException(
                $"{GetType().Name}: targets of shape {Tensor.Format(target.Shape)} do not match predictions of shape {Tensor.Format(prediction.Shape)}.",
                nameof(target));
        }
    }
}
