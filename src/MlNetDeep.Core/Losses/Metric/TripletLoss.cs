namespace MlNetDeep.Losses.Metric;

/// <summary>
/// The triplet loss of seed 001 (course 4 week 4, "Triplet 损失"): l(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0),
/// averaged over the triplets that <see cref="Mining"/> picks from the mini-batch of encodings f(x) (the network's output,
/// [N, d]). The targets are the rows' identities ([N] or [N, 1], integers ≥ 0), except with
/// <see cref="TripletMining.Triplets"/>, where the layout of the rows says which is which.
/// </summary>
/// <remarks>
/// <para>
/// The margin α is what keeps an encoder from satisfying the loss by outputting 0 everywhere (the seed's remark): then every
/// triplet costs α, not 0. A batch with no valid triplet (no identity seen twice, or only one identity) costs 0 and has a
/// zero gradient; train on P × K batches (<see cref="Training.PkBatchSampler"/>) so that every batch has triplets.
/// </para>
/// <para>
/// The rows of a mini-batch are coupled, so example weights (<see cref="Loss.Compute(Tensor, Tensor, Tensor?, ReadOnlySpan{float})"/>)
/// are not supported. The instance keeps scratch buffers: use one instance per training run.
/// </para>
/// </remarks>
public sealed class TripletLoss : Loss
{
    private readonly PairDistances _distances = new();
    private readonly List<Triplet> _triplets = [];
    private int[] _labels = [];

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">α ≥ 0; the seed's example is 0.2.</param>
    /// <param name="mining">Which triplets of a mini-batch count.</param>
    public TripletLoss(float margin = 0.2f, TripletMining mining = TripletMining.BatchHard)
    {
        if (!(margin >= 0 && float.IsFinite(margin)))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin α must be a finite value ≥ 0.");
        }

        if (!Enum.IsDefined(mining))
        {
            throw new ArgumentOutOfRangeException(nameof(mining), mining, "Unknown triplet mining.");
        }

        Margin = margin;
        Mining = mining;
    }

    /// <summary>α, the margin.</summary>
    public float Margin { get; }

    /// <summary>How the triplets are chosen.</summary>
    public TripletMining Mining { get; }

    /// <inheritdoc />
    protected override bool CouplesRows => true;

    /// <summary>The seed's formula for one triplet of encodings: max(‖a − p‖² − ‖a − n‖² + α, 0).</summary>
    public static double Of(ReadOnlySpan<float> anchor, ReadOnlySpan<float> positive, ReadOnlySpan<float> negative, float margin)
    {
        double ap = 0, an = 0;
        for (var k = 0; k < anchor.Length; k++)
        {
            double u = anchor[k] - positive[k], v = anchor[k] - negative[k];
            ap += u * u;
            an += v * v;
        }

        return Math.Max(ap - an + margin, 0);
    }

    /// <summary>The triplets <see cref="Mining"/> picks in a mini-batch of encodings with the given identities (for inspection).</summary>
    /// <param name="encodings">f(x) of the batch, [N, d].</param>
    /// <param name="identities">The rows' identities, [N] (ignored with <see cref="TripletMining.Triplets"/>).</param>
    public IReadOnlyList<Triplet> Mine(Tensor encodings, Tensor identities)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentNullException.ThrowIfNull(identities);
        lock (_triplets)
        {
            Select(encodings, identities);
            return [.. _triplets];
        }
    }

    /// <inheritdoc />
    public override string? Validate(Tensor target, int outputs)
    {
        if (Mining == TripletMining.Triplets)
        {
            return target.Rows % 3 == 0 ? null : $"{target.Rows} rows are not whole triplets (A, P, N); expected a multiple of 3";
        }

        return IdentityProblem(target);
    }

    /// <inheritdoc />
    protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        lock (_triplets)
        {
            Select(prediction, target);
            if (_triplets.Count == 0)
            {
                gradient?.Clear();
                return 0;
            }

            double sum = 0;
            var share = 1.0 / _triplets.Count;
            foreach (var (a, p, n) in _triplets)
            {
                var l = _distances[a, p] - _distances[a, n] + Margin;
                if (l > 0)
                {
                    sum += l;
                    _distances.AddCoefficient(a, p, share);
                    _distances.AddCoefficient(a, n, -share);
                }
            }

            if (gradient is not null)
            {
                _distances.Backward(prediction, gradient);
            }

            return sum * share;
        }
    }

    /// <summary>Computes the distances and fills <see cref="_triplets"/>.</summary>
    private void Select(Tensor encodings, Tensor target)
    {
        var n = encodings.Rows;
        _triplets.Clear();
        if (Mining == TripletMining.Triplets)
        {
            if (n % 3 != 0)
            {
                throw new ArgumentException($"TripletLoss: {n} rows are not whole triplets (A, P, N); expected a multiple of 3.", nameof(target));
            }

            _distances.Compute(encodings);
            for (var i = 0; i < n; i += 3)
            {
                _triplets.Add(new Triplet(i, i + 1, i + 2));
            }

            return;
        }

        if (IdentityProblem(target) is { } problem)
        {
            throw new ArgumentException($"TripletLoss: {problem}.", nameof(target));
        }

        if (_labels.Length < n)
        {
            _labels = new int[n];
        }

        var labels = _labels.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            labels[i] = (int)target.Data[i];
        }

        _distances.Compute(encodings);
        var d = _distances;
        for (var a = 0; a < n; a++)
        {
            switch (Mining)
            {
                case TripletMining.BatchAll:
                    for (var p = 0; p < n; p++)
                    {
                        if (p == a || labels[p] != labels[a])
                        {
                            continue;
                        }

                        for (var q = 0; q < n; q++)
                        {
                            if (labels[q] != labels[a])
                            {
                                _triplets.Add(new Triplet(a, p, q));
                            }
                        }
                    }

                    break;

                case TripletMining.BatchHard:
                {
                    int hardP = -1, hardN = -1;
                    for (var j = 0; j < n; j++)
                    {
                        if (j == a)
                        {
                            continue;
                        }

                        if (labels[j] == labels[a])
                        {
                            if (hardP < 0 || d[a, j] > d[a, hardP])
                            {
                                hardP = j;
                            }
                        }
                        else if (hardN < 0 || d[a, j] < d[a, hardN])
                        {
                            hardN = j;
                        }
                    }

                    if (hardP >= 0 && hardN >= 0)
                    {
                        _triplets.Add(new Triplet(a, hardP, hardN));
                    }

                    break;
                }

                case TripletMining.SemiHard:
                    for (var p = 0; p < n; p++)
                    {
                        if (p == a || labels[p] != labels[a])
                        {
                            continue;
                        }

                        int semiHard = -1, farthest = -1;
                        for (var q = 0; q < n; q++)
                        {
                            if (labels[q] == labels[a])
                            {
                                continue;
                            }

                            if (d[a, q] > d[a, p] && (semiHard < 0 || d[a, q] < d[a, semiHard]))
                            {
                                semiHard = q;
                            }

                            if (farthest < 0 || d[a, q] > d[a, farthest])
                            {
                                farthest = q;
                            }
                        }

                        if (farthest >= 0)
                        {
                            _triplets.Add(new Triplet(a, p, semiHard >= 0 ? semiHard : farthest));
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>Null when every target is one identity (an integer ≥ 0) a row; else what is wrong.</summary>
    internal static string? IdentityProblem(Tensor target)
    {
        if (target.RowSize != 1)
        {
            return $"targets have {target.RowSize} values a row; expected 1, the row's identity";
        }

        var y = target.Span;
        for (var i = 0; i < y.Length; i++)
        {
            if (!(y[i] >= 0 && y[i] <= int.MaxValue) || y[i] != MathF.Floor(y[i]))
            {
                return $"identity {y[i]} at row {i} is not an integer ≥ 0";
            }
        }

        return null;
    }
}
