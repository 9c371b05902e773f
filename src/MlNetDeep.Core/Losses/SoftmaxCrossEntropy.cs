using System.Numerics.Tensors;

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

        var scale = 1f / n;
        double sum = 0;
        for (var r = 0; r < n; r++)
        {
            var z = prediction.Data.AsSpan(r * k, k);
            var max = TensorPrimitives.Max(z);
            double sumExp = 0;
            for (var j = 0; j < k; j++)
            {
                sumExp += Math.Exp(z[j] - max);
            }

            var logSum = max + Math.Log(sumExp);
            if (indices)
            {
                var label = (int)target[r];
                if ((uint)label >= (uint)k)
                {
                    throw new ArgumentException($"Label {target[r]} at row {r} is out of range; expected a class index in 0..{k - 1}.", nameof(target));
                }

                sum += (1 - LabelSmoothing) * (logSum - z[label]);
                if (LabelSmoothing > 0)
                {
                    for (var j = 0; j < k; j++)
                    {
                        sum += LabelSmoothing / k * (logSum - z[j]);
                    }
                }
            }
            else
            {
                var y = target.Data.AsSpan(r * k, k);
                for (var j = 0; j < k; j++)
                {
                    sum += y[j] * (logSum - z[j]);
                }
            }

            if (gradient is not null)
            {
                var g = gradient.Data.AsSpan(r * k, k);
                var ls = (float)logSum;
                for (var j = 0; j < k; j++)
                {
                    g[j] = MathF.Exp(z[j] - ls) * scale;
                }

                if (indices)
                {
                    if (LabelSmoothing > 0)
                    {
                        var spread = LabelSmoothing / k * scale;
                        for (var j = 0; j < k; j++)
                        {
                            g[j] -= spread;
                        }
                    }

                    g[(int)target[r]] -= (1 - LabelSmoothing) * scale;
                }
                else
                {
                    var y = target.Data.AsSpan(r * k, k);
                    for (var j = 0; j < k; j++)
                    {
                        g[j] -= y[j] * scale;
                    }
                }
            }
        }

        return sum / n;
    }
}
