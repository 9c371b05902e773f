namespace MlNetDeep.Losses.Metric;

/// <summary>
/// The contrastive loss of a Siamese network on pairs (Hadsell, Chopra and LeCun 2006): for every pair of rows (i, j) of the
/// mini-batch, with D = ‖f(x_i) − f(x_j)‖₂, l = D² for two rows of one identity and max(m − D, 0)² for two identities;
/// averaged over all N(N−1)/2 pairs. Targets are the rows' identities ([N] or [N, 1], integers ≥ 0).
/// </summary>
/// <remarks>A batch of one row has no pair and costs 0. The rows are coupled: no example weights. One instance per training run (scratch buffers).</remarks>
public sealed class ContrastiveLoss : Loss
{
    private readonly PairDistances _distances = new();

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">m &gt; 0: pairs of different identities farther apart than m cost nothing.</param>
    public ContrastiveLoss(float margin = 1f)
    {
        if (!(margin > 0 && float.IsFinite(margin)))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin m must be a finite value > 0.");
        }

        Margin = margin;
    }

    /// <summary>m, the margin on the distance (not squared).</summary>
    public float Margin { get; }

    /// <inheritdoc />
    protected override bool CouplesRows => true;

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs) => TripletLoss.IdentityProblem(target);

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        if (TripletLoss.IdentityProblem(target) is { } problem)
        {
            throw new ArgumentException($"ContrastiveLoss: {problem}.", nameof(target));
        }

        lock (_distances)
        {
            var n = prediction.Rows;
            _distances.Compute(prediction);
            var pairs = (long)n * (n - 1) / 2;
            if (pairs == 0)
            {
                gradient?.Clear();
                return 0;
            }

            var share = 1.0 / pairs;
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                for (var j = i + 1; j < n; j++)
                {
                    var squared = _distances[i, j];
                    if (target.Data[i] == target.Data[j])
                    {
                        sum += squared;
                        _distances.AddCoefficient(i, j, share);
                        continue;
                    }

                    var distance = Math.Sqrt(squared);
                    var gap = Margin - distance;
                    if (gap > 0)
                    {
                        sum += gap * gap;

                        // ∂(m − D)²/∂D² = −(m − D)/D; at D = 0 the direction is undefined and the pair pushes nothing.
                        if (distance > 0)
                        {
                            _distances.AddCoefficient(i, j, -share * gap / distance);
                        }
                    }
                }
            }

            if (gradient is not null)
            {
                _distances.Backward(prediction, gradient);
            }

            return sum * share;
        }
    }
}
