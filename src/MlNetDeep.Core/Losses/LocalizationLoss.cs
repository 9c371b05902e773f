using MlNetDeep.Tensors;

namespace MlNetDeep.Losses;

/// <summary>
/// The seed's classification-with-localisation loss (目标定位). The target of a row is y = [pc, bx, by, bh, bw, c1..cK]
/// (pc = 1 when an object is present; its centre (bx, by) and size (bh, bw), relative to the image; the class one-hot),
/// for example [1, 0.5, 0.7, 0.3, 0.4, 0, 1, 0]. The prediction has the same layout with pc and the classes as logits.
/// The loss is piecewise: when pc = 0 only pc counts; when pc = 1, logistic loss on pc + squared error on the box +
/// softmax log-loss on the classes:
/// C_x = −[pc·ln σ(z₀) + (1 − pc)·ln(1 − σ(z₀))] + pc·(Σ_{k=1..4} (z_k − y_k)² − Σ_c y_c·ln softmax(z)_c), averaged over rows.
/// </summary>
public sealed class LocalizationLoss : Loss
{
    /// <summary>The number of values before the class scores: pc, bx, by, bh, bw.</summary>
    public const int BoxValues = 5;

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        if (target.RowSize != outputs || outputs <= BoxValues)
        {
            return $"targets have {target.RowSize} values a row; expected {outputs} = [pc, bx, by, bh, bw] and {outputs - BoxValues} class values";
        }

        for (var r = 0; r < target.Rows; r++)
        {
            var y = target.Row(r);
            if (y[0] != 0 && y[0] != 1)
            {
                return $"pc {y[0]} at row {r} is neither 0 nor 1";
            }

            if (y[0] == 1)
            {
                var ones = 0;
                for (var c = BoxValues; c < y.Length; c++)
                {
                    if (y[c] != 0 && y[c] != 1)
                    {
                        return $"class value {y[c]} at row {r}, position {c} is not one-hot";
                    }

                    ones += (int)y[c];
                }

                if (ones != 1)
                {
                    return $"row {r} has pc = 1 but {ones} classes set; expected exactly one";
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        RequireSameLength(prediction, target);
        var n = prediction.Rows;
        var width = prediction.RowSize;
        if (width <= BoxValues)
        {
            throw new ArgumentException($"{nameof(LocalizationLoss)}: predictions have {width} values a row; expected [pc, bx, by, bh, bw] and at least one class.", nameof(prediction));
        }

        var classes = width - BoxValues;
        Span<float> probabilities = classes <= 256 ? stackalloc float[classes] : new float[classes];
        var scale = 1f / n;
        double sum = 0;
        for (var r = 0; r < n; r++)
        {
            var z = prediction.Data.AsSpan(r * width, width);
            var y = target.Data.AsSpan(r * width, width);
            var pc = y[0];

            // −ln σ(z) = softplus(−z), −ln(1 − σ(z)) = softplus(z): finite for any finite logit.
            sum += (pc * Softplus(-z[0])) + ((1 - pc) * Softplus(z[0]));
            var g = gradient is null ? default : gradient.Data.AsSpan(r * width, width);
            if (gradient is not null)
            {
                g[0] = (Sigmoid(z[0]) - pc) * scale;
            }

            if (pc == 0)
            {
                // The other values of the target mean nothing ("don't care"): no cost, no gradient.
                if (gradient is not null)
                {
                    g[1..].Clear();
                }

                continue;
            }

            for (var k = 1; k < BoxValues; k++)
            {
                var d = z[k] - y[k];
                sum += pc * d * d;
                if (gradient is not null)
                {
                    g[k] = 2 * pc * d * scale;
                }
            }

            var (max, logSum) = VectorOps.Softmax(z[BoxValues..], probabilities);
            for (var c = 0; c < classes; c++)
            {
                var yc = y[BoxValues + c];
                if (yc != 0)
                {
                    sum += pc * yc * (((double)max - z[BoxValues + c]) + logSum);
                }

                if (gradient is not null)
                {
                    g[BoxValues + c] = pc * (probabilities[c] - yc) * scale;
                }
            }
        }

        return sum / n;
    }

    private static double Softplus(float z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

    private static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));
}
