namespace MlNetDeep.Losses;

/// <summary>
/// A cost function C averaged over the mini-batch (seed 000 §1.3: C = (1/n)·Σ_x C_x). It returns the
/// cost and writes ∂C/∂prediction, which starts backpropagation.
/// </summary>
public abstract class Loss
{
    /// <summary>True for losses whose targets are class labels (accuracy is then reported).</summary>
    public virtual bool IsClassification => false;

    /// <summary>Computes the mean cost over the batch and, when <paramref name="gradient"/> is not null, ∂C/∂prediction.</summary>
    /// <param name="prediction">The network output, [N, K].</param>
    /// <param name="target">The targets; the accepted shapes depend on the loss.</param>
    /// <param name="gradient">Receives ∂C/∂prediction (same shape as <paramref name="prediction"/>), or null.</param>
    /// <returns>The mean cost.</returns>
    public double Compute(Tensor prediction, Tensor target, Tensor? gradient)
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

        return OnCompute(prediction, target, gradient);
    }

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
