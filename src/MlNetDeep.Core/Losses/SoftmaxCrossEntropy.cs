using System.Buffers;
using System.Numerics.Tensors;
using MlNetDeep.Tensors;

namespace MlNetDeep.Losses;

/// <summary>
/// Softmax followed by cross-entropy, on logits: C = −(1/n)·Σ_x Σ_j y_j·ln softmax(z)_j, with
/// ∂C/∂z = (a − y)/n, the seeds' output error a − y. Targets are class indices ([N] or [N, 1], values
/// 0..K−1) or distributions of the predictions' shape (one-hot or soft labels). With label smoothing ε, a class
/// index stands for the distribution (1 − ε)·one-hot + ε/K.
/// </summary>
public sealed class SoftmaxCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="labelSmoothing">ε in [0, 1): the share of each class-index target spread evenly over all classes.</param>
    public SoftmaxCrossEntropy(float labelSmoothing = 0f)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        }

        LabelSmoothing = labelSmoothing;
    }

    /// <summary>ε, the label smoothing applied to class-index targets.</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc />
    public override bool IsClassification => true;

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        if (target.RowSize != 1)
        {
            return target.RowSize == outputs ? null : $"targets have {target.RowSize} values a row; expected 1 (a class index) or {outputs} (a distribution)";
        }

        var y = target.Span;
        for (var i = 0; i < y.Length; i++)
        {
            if (!(y[i] >= 0 && y[i] < outputs) || y[i] != MathF.Floor(y[i]))
            {
                return $"label {y[i]} at row {i} is out of range; expected a class index in 0..{outputs - 1}";
            }
        }

        return null;
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        var n = prediction.Rows;
        var k = prediction.RowSize;
        var indices = target.RowSize == 1;
        if (!indices)
        {
            RequireSameLength(prediction, target);
        }

        // The probabilities go into the gradient (which becomes a − y); without one, into a scratch row.
        float[]? rented = null;
        var scratch = gradient is not null ? default : k <= 256 ? stackalloc float[k] : (rented = ArrayPool<float>.Shared.Rent(k)).AsSpan(0, k);
        try
        {
            var scale = 1f / n;
            double sum = 0;
            for (var r = 0; r < n; r++)
            {
                var z = prediction.Data.AsSpan(r * k, k);
                var a = gradient is null ? scratch : gradient.Data.AsSpan(r * k, k);

                // −ln a_j = (max − z_j) + ln Σ e^{z − max}, in double and in that order (max + ln Σ would lose ln Σ
                // next to a max of 3e38): finite for any finite logits.
                var (max, logSum) = VectorOps.Softmax(z, a);
                if (indices)
                {
                    var label = (int)target[r];
                    if ((uint)label >= (uint)k)
                    {
                        throw new ArgumentException($"Label {target[r]} at row {r} is out of range; expected a class index in 0..{k - 1}.", nameof(target));
                    }

                    sum += (1 - LabelSmoothing) * (((double)max - z[label]) + logSum);
                    if (LabelSmoothing > 0)
                    {
                        for (var j = 0; j < k; j++)
                        {
                            sum += LabelSmoothing / k * (((double)max - z[j]) + logSum);
                        }
                    }
                }
                else
                {
                    var y = target.Data.AsSpan(r * k, k);
                    for (var j = 0; j < k; j++)
                    {
                        sum += y[j] * (((double)max - z[j]) + logSum);
                    }
                }

                if (gradient is not null)
                {
                    TensorPrimitives.Multiply(a, scale, a);
                    if (indices)
                    {
                        if (LabelSmoothing > 0)
                        {
                            TensorPrimitives.Subtract(a, LabelSmoothing / k * scale, a);
                        }

                        a[(int)target[r]] -= (1 - LabelSmoothing) * scale;
                    }
                    else
                    {
                        TensorPrimitives.MultiplyAdd(target.Data.AsSpan(r * k, k), -scale, a, a);
                    }
                }
            }

            return sum / n;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }
}
